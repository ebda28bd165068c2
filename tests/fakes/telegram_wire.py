"""What travels between PTB and the fake Bot API: how PTB encodes parameters, what Telegram checks.

    params = decode(content_type, body, query)   # PTB: form fields, non-string values JSON-encoded
    plain = parse_html(text)                     # Telegram's HTML mode, strictly; EntityParseError if rejected
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from typing import Any
from urllib.parse import parse_qsl

_STRING_FIELDS = {
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "description",
    "short_description", "language_code", "name", "title", "emoji", "query", "inline_message_id",
    "business_connection_id", "message_effect_id", "ip_address", "file_id", "sticker", "photo",
    "document", "voice", "audio", "video", "animation", "action",
}  # fmt: skip
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "span", "blockquote", "tg-emoji", "tg-time"}  # fmt: skip
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:=\"[^\"<>]*\"|='[^'<>]*'|=[^\s<>\"']+)?)*)\s*(/?)>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_ENTITY_CHARS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """The plain text Telegram would show for `text` in HTML mode; EntityParseError if it would reject it."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if not m:
                raise EntityParseError(f"Unsupported start tag at byte offset {len(text[:i].encode())}")
            closing, name = m.group(1), m.group(2).lower()
            if name not in _ALLOWED_TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {len(text[:i].encode())}')
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityParseError(f'Unmatched end tag at byte offset {len(text[:i].encode())}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"')
                stack.pop()
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY_RE.match(text, i)
            if not m:
                raise EntityParseError(f"Unsupported entity at byte offset {len(text[:i].encode())}")
            ref = m.group(1)
            out.append(_ENTITY_CHARS.get(ref) or chr(int(ref[2:], 16) if ref.startswith("#x") else int(ref[1:])))
            i = m.end()
        elif ch == ">":
            raise EntityParseError(f'Character ">" is reserved at byte offset {len(text[:i].encode())}')
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _decode_value(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """PTB sends form fields whose non-string values are JSON; accept JSON bodies and multipart too."""
    params = {k: _decode_value(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        params.update(json.loads(body))
    elif kind == "application/x-www-form-urlencoded":
        params.update({k: _decode_value(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True)})
    elif kind == "multipart/form-data":
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                params[name] = {"__file__": part.get_filename()}
            else:
                params[name] = _decode_value(name, part.get_content())
    return params
