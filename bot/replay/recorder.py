"""Record a live dialogue as a replay file whose expectations are the bot's actual outputs.

    recorder = Recorder("高企认定后问奖补")
    reply = engine.turn(session, "我们是高新技术企业")
    recorder.add(user="我们是高新技术企业", choice=None, reply=reply)
    reply = engine.turn(session, choice="企业")
    recorder.add(user=None, choice="企业", reply=reply)
    recorder.write(Path("tests/dialogues/high_tech.yaml"))

Each turn records: covered, first_citation, citations_include, benefits_include (article,
amount_yuan, basis), asks_nonempty — and a ``# bot:`` comment with the start of the reply so a
reviewer reading the diff sees what was said. The file is a starting point: review it, delete
what is incidental, add ``reply_contains`` for what matters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.reply import Reply


class _Flow(list):
    """A list dumped inline: ``[15, 16]`` / ``{article: 15, ...}`` rows."""


class _FlowMap(dict):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML writes NEL / LS / PS raw inside single quotes and reads them back as spaces:
    # force the double-quoted style, which escapes them (\N, \L, \P).
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)


@dataclass(frozen=True)
class _Recorded:
    user: str | None
    choice: str | None
    reply: Reply


def expectations_of(reply: Reply) -> dict[str, Any]:
    """What a recorded turn expects: the reply's actual outputs."""
    expect: dict[str, Any] = {"covered": reply.covered}
    if reply.citations:
        expect["first_citation"] = reply.citations[0].article
        expect["citations_include"] = _Flow(dict.fromkeys(c.article for c in reply.citations))
    if reply.benefits:
        expect["benefits_include"] = [
            _FlowMap(article=b.article, amount_yuan=b.amount_yuan, basis=b.basis) for b in reply.benefits
        ]
    expect["asks_nonempty"] = bool(reply.asks)
    return expect


class Recorder:
    """Collects (user text or choice, Reply) pairs; ``write`` saves them as a replay file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.turns: list[_Recorded] = []

    def add(self, *, user: str | None, choice: str | None, reply: Reply) -> None:
        if (user is None) == (choice is None):
            raise ValueError("Recorder.add needs exactly one of user= or choice=")
        self.turns.append(_Recorded(user, choice, reply))

    def to_yaml(self) -> str:
        header = {
            "name": self.name,
            "description": f"recorded {dt.datetime.now().astimezone().isoformat(timespec='seconds')}; "
            "expectations are the bot's outputs at that time — review before committing",
        }
        parts = [dump_yaml(header), "turns:\n"]
        for t in self.turns:
            turn: dict[str, Any] = {"user": t.user} if t.user is not None else {"choice": t.choice}
            turn["expect"] = expectations_of(t.reply)
            parts.append(_comment(t.reply.reply))
            parts.append(_indent(dump_yaml([turn]), "  "))
        return "".join(parts)

    def write(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_yaml(), encoding="utf-8")


def _comment(reply_text: str, width: int = 60) -> str:
    flat = "".join(c for c in " ".join(reply_text.split()) if c.isprintable())
    flat = flat if len(flat) <= width else flat[: width - 1] + "…"
    return f"  # bot: {flat}\n" if flat else ""


def _indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))
