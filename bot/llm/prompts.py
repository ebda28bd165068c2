"""prompts/llm.yaml, loaded once: the system prompt with its canary, the core_answer preamble,
the errors sent back to the model, the notes added to a fallback reply, the configuration hints."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from calculators.yamlfile import load_yaml

PROMPTS = Path(__file__).resolve().parent.parent.parent / "prompts" / "llm.yaml"
_SECTIONS = ("core_answer", "tool_errors", "fallback_notes", "config")


@cache
def prompts() -> dict:
    data = load_yaml(PROMPTS.read_text(encoding="utf-8"))
    for key in ("version", "canary", "system"):
        if not data.get(key):
            raise ValueError(f"{PROMPTS}: {key}: is missing")
    for section in _SECTIONS:
        if not isinstance(data.get(section), dict):
            raise ValueError(f"{PROMPTS}: section {section}: is missing")
    if "{canary}" not in data["system"]:
        raise ValueError(f"{PROMPTS}: system: must contain {{canary}}")
    return data


def version() -> int:
    return int(prompts()["version"])


def canary() -> str:
    return prompts()["canary"]


def system_prompt() -> str:
    return prompts()["system"].replace("{canary}", canary())


def text(section: str, key: str, /, **args) -> str:
    return prompts()[section][key].format_map(args)
