"""The fixed sentences the Telegram front end says on its own (everything else comes from the engine)."""

MISSING_TOKEN = (
    "未设置 TELEGRAM_BOT_TOKEN：请先 export TELEGRAM_BOT_TOKEN=<从 @BotFather 获得的令牌> 再运行。"
    " / TELEGRAM_BOT_TOKEN is not set: export the token from @BotFather and run again."
)
BAD_WEBHOOK_ARGS = (
    "--webhook-url 和 --port 需同时提供（不提供则使用长轮询）。"
    " / --webhook-url and --port go together (omit both for long polling)."
)
INVALID_TOKEN = (
    "Telegram 拒绝了 TELEGRAM_BOT_TOKEN：请检查令牌是否正确。"
    " / Telegram rejected TELEGRAM_BOT_TOKEN: check the token."
)
CANNOT_CONNECT = (
    "无法连接 Telegram Bot API（{url}）：请检查网络或 TELEGRAM_API_BASE_URL。"
    " / Cannot reach the Telegram Bot API ({url}): check the network or TELEGRAM_API_BASE_URL."
)
NO_ENGINE = "无法启动对话引擎：{error} / Cannot start the dialogue engine: {error}"

ARTICLE_USAGE = "用法：/article 条号（1–30），例如 /article 15"
UNKNOWN_COMMAND = "没有这个命令。可用命令：/start /help /check /articles /article N /reset /delete"
EDIT_NOTE = (
    "✏️ 已看到您修改了消息。修改过的消息不会被重新处理（以免把数值记到别的问题下）。"
    "如需更正，请直接再发一条，例如“不对，是1500万”。"
)
NON_TEXT_NOTE = "我只能读文字消息，您发送的内容没有被下载或保存。"
STALE_BUTTON = "这个按钮已过期。"
PLEASE_CHOOSE = "请选择："
NO_PROMPT = "请直接用文字提问，例如“高新技术企业能拿多少奖补？”，或发送 /check 开始逐项测算。"
APOLOGY = "抱歉，处理这条消息时出错了。请再发一次；如果仍不行，发送 /reset 重新开始。"
DELETE_ASK = "确定要删除本对话保存的全部信息（会话记录、已填写的资料）吗？此操作不可撤销。"
DELETED = "已删除本对话保存的全部信息。发送 /start 可重新开始。"
DELETE_CANCELLED = "已取消，没有删除任何信息。"
DELETE_STALE = "这个确认按钮已过期；如需删除，请重新发送 /delete。"
