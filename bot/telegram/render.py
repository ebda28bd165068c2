"""Reply -> Telegram HTML: escaping, citations, benefits, and splitting into ≤ 4096-unit messages.

    chunks = render_reply(reply)        # list[Chunk]; chunk.html for parse_mode=HTML, chunk.plain as fallback

Everything that comes from the engine is escaped (`< > &`); the only tags are the ones added here
(<b>, <i>), and every paragraph closes the tags it opens. Telegram counts message length in UTF-16
code units, so does this module. A long reply is cut at a paragraph break where possible, then at a
line break, then after a sentence; never inside a tag, an entity or a surrogate pair, and a tag open
at a cut is closed before it and reopened after it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal

from bot.dialogue.reply import Citation, Reply
from calculators.format import BASIS_PREFIX
from calculators.models import Benefit

MAX_MESSAGE_UNITS = 4096  # Telegram's limit for one text message, in UTF-16 code units

_DIGITS = "零一二三四五六七八九"
_PERIOD_SUFFIX = {"one_time": "", "per_year": "/年", "per_project": "/项", "per_person_per_year": "/人·年"}


@dataclass(frozen=True)
class Chunk:
    html: str  # for parse_mode=HTML
    plain: str  # the same text without markup, sent when Telegram rejects the HTML


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def chinese_number(n: int) -> str:
    """1..99 as Chinese numerals: 15 -> 十五, 20 -> 二十, 30 -> 三十."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


def article_label(article: int, clause: str = "") -> str:
    """「第（十五）条 15.2」"""
    tail = f" {clause}" if clause else ""
    return f"「第（{chinese_number(article)}）条{tail}」"


def wan(amount_yuan: int) -> str:
    """300000 -> '30万元', 3333300 -> '333.33万元', 12345 -> '1.2345万元'."""
    value = (Decimal(amount_yuan) / Decimal(10000)).normalize()
    text = format(value, "f")
    return f"{text}万元"


def benefit_amount(benefit: Benefit) -> str:
    if benefit.amount_yuan == 0 and benefit.missing:
        return "待补充数据后计算"
    return f"{BASIS_PREFIX.get(benefit.basis, '')}{wan(benefit.amount_yuan)}{_PERIOD_SUFFIX.get(benefit.period, '')}"


def render_benefit(benefit: Benefit) -> str:
    line = f"• {esc(benefit.item)}：<b>{esc(benefit_amount(benefit))}</b>"
    detail = [esc(benefit.formula)] if benefit.formula else []
    detail.append(esc(article_label(benefit.article, benefit.clause)))
    if benefit.note:
        detail.append(esc(benefit.note))
    return line + "\n  " + " · ".join(detail)


def render_citation(citation: Citation) -> str:
    head = f"<b>{esc(article_label(citation.article, citation.clause))}</b>{esc(citation.title)}"
    if citation.quote:
        head += f"\n<i>“{esc(citation.quote)}”</i>"
    return head


def reply_paragraphs(reply: Reply) -> list[str]:
    """The reply as HTML paragraphs, each self-contained (opens and closes its own tags)."""
    paragraphs = [esc(p.strip("\n")) for p in re.split(r"\n\s*\n", reply.reply.strip()) if p.strip()]
    pending_asks = [a for a in reply.asks if a.strip() and a.strip() not in reply.reply]
    if pending_asks:
        paragraphs.append("\n".join(f"👉 <b>{esc(a.strip())}</b>" for a in pending_asks))
    # The engine's text may already list benefits (item, amount, formula), quote clauses or name the
    # departments; only what it does not already say is added, so nothing is shown twice.
    benefits = [b for b in reply.benefits if b.item not in reply.reply]
    if benefits:
        paragraphs.append("<b>可享受的支持</b>")
        paragraphs.extend(render_benefit(b) for b in benefits)
    citations = [c for c in reply.citations if not (c.quote and c.quote in reply.reply)]
    if citations:
        paragraphs.append("<b>政策依据</b>")
        paragraphs.extend(render_citation(c) for c in citations)
    departments = [d for d in reply.departments if d not in reply.reply]
    if departments:
        paragraphs.append(f"<b>责任单位</b>：{esc('、'.join(departments))}")
    return paragraphs or ["（空回复）"]


def render_reply(reply: Reply, limit: int = MAX_MESSAGE_UNITS) -> list[Chunk]:
    return _chunks("\n\n".join(reply_paragraphs(reply)), limit)


def render_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[Chunk]:
    """Plain text (the front end's own notes) as escaped chunks."""
    return _chunks(esc(text), limit)


def _chunks(html_text: str, limit: int) -> list[Chunk]:
    pieces = split_html(html_text, limit) or ["（空回复）"]
    return [Chunk(html=h, plain=to_plain(h)) for h in pieces]


def to_plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", html_text))


# --- splitting ------------------------------------------------------------------------------

_ATOM = re.compile(r"<[^<>]*>|&#?\w+;|.", re.S)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)")
_SENTENCE_END = set("。！？；!?;")
_NO_BREAK_BEFORE = re.compile(r"[\u0300-\u036f\u200c\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")
_PARAGRAPH, _LINE, _SENTENCE, _ANY = 3, 2, 1, 0


def split_html(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Cut HTML into pieces of at most `limit` UTF-16 units, preferring paragraph breaks."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if to_plain(text).strip() else []
    atoms = _ATOM.findall(text)
    pieces: list[str] = []
    start, reopen = 0, ()
    while start < len(atoms):
        end, stack = _fill(atoms, start, reopen, limit)
        body = "".join(atoms[start:end])
        closing = "".join(f"</{_tag_name(t)}>" for t in reversed(stack))
        piece = ("".join(reopen) + body + closing).strip()
        if to_plain(piece).strip():
            pieces.append(piece)
        start, reopen = end, stack
    return pieces


def _tag_name(tag: str) -> str:
    m = _TAG.match(tag)
    return m.group(2).lower() if m else ""


def _fill(atoms: list[str], start: int, reopen: tuple[str, ...], limit: int) -> tuple[int, tuple[str, ...]]:
    """How far one piece starting at `start` reaches: (end index, tags open at the cut)."""
    stack = list(reopen)
    used = sum(utf16_len(t) for t in reopen)
    closing = sum(len(_tag_name(t)) + 3 for t in reopen)
    best: dict[int, tuple[int, tuple[str, ...], int]] = {}  # priority -> (end, stack, used)
    i = start
    while i < len(atoms):
        atom = atoms[i]
        m = _TAG.match(atom) if atom.startswith("<") else None
        add_closing = 0
        if m and not m.group(1):
            add_closing = len(m.group(2)) + 3
        elif m:
            add_closing = -(len(m.group(2)) + 3)
        size = utf16_len(atom)
        if used + size + closing + add_closing > limit and i > start:
            return _choose(best, i, tuple(stack), used, limit)
        used += size
        closing += add_closing
        if m and not m.group(1):
            stack.append(atom)
        elif m and stack:
            stack.pop()
        i += 1
        if not m and not atom.startswith("<"):
            prio = _break_priority(atoms, i)
            if prio is not None:
                best[prio] = (i, tuple(stack), used)
    return len(atoms), tuple(stack)


def _break_priority(atoms: list[str], end: int) -> int | None:
    """Priority of cutting right before atoms[end] (None: not allowed there)."""
    if end < len(atoms) and _NO_BREAK_BEFORE.match(atoms[end]):
        return None
    prev = atoms[end - 1]
    if prev == "\u200d":
        return None
    if prev == "\n":
        return _PARAGRAPH if end >= 2 and atoms[end - 2] == "\n" else _LINE
    if prev in _SENTENCE_END:
        return _SENTENCE
    return _ANY


def _choose(best, i, stack, used, limit):
    floor = limit // 3
    for prio in (_PARAGRAPH, _LINE, _SENTENCE):
        if prio in best and best[prio][2] >= floor:
            return best[prio][0], best[prio][1]
    if _ANY in best:
        return best[_ANY][0], best[_ANY][1]
    for prio in (_SENTENCE, _LINE, _PARAGRAPH):
        if prio in best:
            return best[prio][0], best[prio][1]
    return i, stack
