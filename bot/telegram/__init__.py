"""The Telegram front end, split along its seams (the runnable entry is bot/telegram_app.py).

    render.py     Reply -> HTML chunks (escaping, citations, benefits, splitting ≤ 4096 UTF-16 units)
    keyboards.py  inline keyboards and the short callback ids behind them
    store.py      telegram.sqlite3 or PostgreSQL: processed/claimed updates, the inbox, live prompts, blocked chats
    processor.py  per-chat ordering and duplicate suppression for concurrently processed updates
    app.py        build_application(): handlers over engine.turn(), error handler
    runner.py     polling / webhook serving, logging (token redaction), run_telegram()
    webhook.py    the one-process webhook server and receive_update (both webhook routes decide with it)
    asgi.py       the webhook as an ASGI route: every `policybot serve` worker behind one URL
    flow.mmd      the update flow as a Mermaid diagram
"""
