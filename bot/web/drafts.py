"""Copilot texts: reading a pasted thread, the draft reply for the customer, and a case as Markdown.

    split_thread("客户：你好\\n客服：您好\\n客户：高企能拿多少")  -> ["你好", "高企能拿多少"]
    draft_text(reply)                                          -> plain text ready to paste
    case_markdown(case, rows)                                  -> the whole case for the file

A thread is recognised by speaker labels at the start of lines (客户：/用户：/企业：… for the customer,
客服：/坐席：/工作人员：… for our side, also `Name 10:32` chat-export headers are ignored). Our side's
lines are dropped; consecutive customer lines form one message. Text without any label is one
message.
"""

from __future__ import annotations

import re
import time

from bot.dialogue.reply import Reply
from bot.web.render import article_label, view

CUSTOMER = r"客户|用户|企业|来访者|访客|咨询人|咨询者|customer|client|user"
STAFF = r"客服|坐席|工作人员|我方|助手|机器人|staff|agent|helpdesk|bot"
_LABEL_RE = re.compile(rf"^\s*(?:\[[^\]]*\]\s*)?(?P<who>{CUSTOMER}|{STAFF})(?:\s*[\w\u4e00-\u9fff]{{0,8}})?\s*[:：]\s*(?P<rest>.*)$",
                       re.IGNORECASE)
_STAFF_RE = re.compile(rf"^(?:{STAFF})$", re.IGNORECASE)
_STAMP_RE = re.compile(r"^\s*\S{0,20}\s*\d{1,2}:\d{2}(?::\d{2})?\s*$")  # "张经理 10:32" export headers
MAX_MESSAGES = 20


def split_thread(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(_LABEL_RE.match(line) for line in lines):
        body = text.strip()
        return [body] if body else []
    messages: list[tuple[str, list[str]]] = []
    speaker = "customer"
    for line in lines:
        m = _LABEL_RE.match(line)
        if m:
            speaker = "staff" if _STAFF_RE.match(m.group("who")) else "customer"
            line = m.group("rest")
        elif _STAMP_RE.match(line):
            continue
        if not line.strip():
            continue
        if messages and messages[-1][0] == speaker:
            messages[-1][1].append(line.strip())
        else:
            messages.append((speaker, [line.strip()]))
    customer = ["\n".join(parts) for who, parts in messages if who == "customer"]
    return customer[-MAX_MESSAGES:]


def draft_text(reply: Reply) -> str:
    """The reply as a helpdesk answer: the bot's text, then only what it does not already say
    (amounts with formulas, the clauses, the questions, whom to contact)."""
    v = view(reply)
    parts = ["您好！", reply.reply.strip()]
    missing_items = [b for b in v.benefits if b.item not in reply.reply]
    if missing_items:
        lines = ["测算（仅供参考，以主管部门审核为准）："]
        for i, b in enumerate(missing_items, 1):
            lines.append(f"{i}. {b.item}：{b.amount}（{b.period}；{b.formula}；依据{b.clause}）")
        lines.extend(v.totals)
        parts.append("\n".join(lines))
    cited = [c for c in v.citations if c.quote and c.quote not in reply.reply]
    if cited:
        parts.append("政策依据：\n" + "\n".join(f"· {c.label}：“{c.quote}”" for c in cited[:4]))
    if v.asks:
        parts.append("为便于进一步测算，还想了解：\n" + "\n".join(f"· {a}" for a in v.asks))
    if v.departments and not all(d in reply.reply for d in v.departments):
        parts.append("具体申报可咨询：" + "、".join(v.departments) + "。")
    return "\n\n".join(p for p in parts if p)


def _md_escape(text: str) -> str:
    """Markdown-inert text: nothing a renderer would turn into a link, an image or raw HTML."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def _quote_block(text: str) -> str:
    return "\n".join("> " + _md_escape(line) for line in text.splitlines() or [""])


def case_markdown(case, rows) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(case.created))
    out = [f"# 咨询案例：{_md_escape(case.title)}", "", f"- 案例编号：{case.id}", f"- 创建时间：{when}",
           f"- 经办人：{_md_escape(case.staff)}", ""]
    for row in rows:
        v = view(row.reply)
        stamp = time.strftime("%H:%M", time.localtime(row.created))
        heading = {"message": "客户消息", "fact": "补充事实", "choice": "选择"}.get(row.kind, "消息")
        out += [f"## {row.seq}. {heading}（{stamp}）", "", _quote_block(row.text), "", "### 答复草稿", ""]
        out += [_quote_block(row.draft or draft_text(row.reply)), ""]
        if v.benefits:
            out += ["### 测算", "", "| 项目 | 金额 | 依据 | 计算方式 | 期限 | 条款 |", "|---|---|---|---|---|---|"]
            for b in v.benefits:
                cells = [b.item, b.amount, b.basis, b.formula, b.period, b.clause]
                out.append("| " + " | ".join(_md_escape(c).replace("\n", " ") for c in cells) + " |")
            out += [""] + [f"- {_md_escape(t)}" for t in v.totals] + [""]
        if v.citations:
            out += ["### 政策依据", ""]
            out += [f"- {article_label(c.article, c.clause)} {_md_escape(c.title)}：“{_md_escape(c.quote)}”"
                    for c in v.citations]
            out.append("")
        if row.reply.asks:
            out += ["### 仍需了解", ""] + [f"- {_md_escape(a)}" for a in row.reply.asks] + [""]
        if v.departments:
            out += [f"责任单位：{_md_escape('、'.join(v.departments))}", ""]
    return "\n".join(out).rstrip() + "\n"
