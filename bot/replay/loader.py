"""Find and load replay files; every problem is reported as ``file:line: what is wrong``.

    files = collect_paths([Path("tests/dialogues")])   # files and folders (recursive *.yaml/*.yml)
    dialogue = load_dialogue(files[0])                 # -> Dialogue, or raises ReplayFileError

Line numbers come from the YAML node tree (``yaml.compose``): a pydantic error's location
(``turns.2.expect.first_citaton``) is walked down the nodes to the key or value it names.

Errors:
    ReplayFileError      the file cannot be used; ``str(e)`` is the one-line ``file:line: message``
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.replay.schema import BenefitPattern, Expect, ReplayFile, Turn

SUFFIXES = (".yaml", ".yml")


class ReplayFileError(Exception):
    """A replay file (or path) that cannot be run. ``str(e)`` is ``file:line: message``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{display_path(self.path)}:{line}" if line else display_path(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Dialogue:
    path: Path
    spec: ReplayFile
    turn_lines: tuple[int, ...]  # 1-based line of each turn, for reports

    @property
    def name(self) -> str:
        return self.spec.name or self.path.stem


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def collect_paths(paths: list[Path]) -> list[Path]:
    """Expand folders to their *.yaml / *.yml files (recursive, sorted); keep order, drop repeats."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in SUFFIXES)
            if not found:
                raise ReplayFileError(p, None, "no *.yaml or *.yml replay files in this folder")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise ReplayFileError(p, None, "no such file or folder")
    seen: set[Path] = set()
    unique = []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def load_dialogue(path: Path) -> Dialogue:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ReplayFileError(path, None, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ReplayFileError(path, None, f"cannot read: {e.strerror}") from None
    return parse_dialogue(text, path)


def parse_dialogue(text: str, path: Path) -> Dialogue:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_duplicate_keys(node, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        raise ReplayFileError(path, mark.line + 1 if mark else None, f"YAML syntax: {problem}") from None
    except yaml.YAMLError as e:
        raise ReplayFileError(path, None, f"YAML: {e}") from None
    finally:
        loader.dispose()
    if node is None:
        raise ReplayFileError(path, 1, "the file is empty; a replay file needs `name:` and `turns:`")
    if not isinstance(data, dict):
        raise ReplayFileError(
            path, node.start_mark.line + 1, "the top level must be a mapping with `name:` and `turns:`"
        )
    try:
        spec = ReplayFile.model_validate(data)
    except ValidationError as e:
        # The first problem in the file; a missing key last (it is often a misspelt key's echo).
        err = min(e.errors(), key=lambda d: (d["type"] == "missing", _line_of(node, d["loc"], d["type"])))
        line = _line_of(node, err["loc"], err["type"])
        raise ReplayFileError(path, line, _describe(err)) from None
    turns_node = _child(node, "turns")
    lines = tuple(n.start_mark.line + 1 for n in turns_node.value) if turns_node is not None else ()
    return Dialogue(path=path, spec=spec, turn_lines=lines)


# ---------------------------------------------------------------- node walking


def _check_duplicate_keys(node: yaml.Node, path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise ReplayFileError(path, key.start_mark.line + 1, f"duplicate key `{key.value}`")
                seen.add(key.value)
            _check_duplicate_keys(value, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, path)


def _child(node: yaml.Node, key: str | int, *, want_key: bool = False) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return k if want_key else v
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def _line_of(root: yaml.Node, loc: tuple[Any, ...], error_type: str) -> int:
    """The line of the node a pydantic error location points at (the deepest one that exists)."""
    node = root
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        child = _child(node, part, want_key=last and error_type == "extra_forbidden")
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


# ---------------------------------------------------------------- messages

_MODELS: dict[str, type[BaseModel]] = {"": ReplayFile, "turns": Turn, "expect": Expect}


def _where(loc: tuple[Any, ...]) -> str:
    """('turns', 2, 'expect', 'covered') -> 'turns[2].expect.covered' (indices as in the file)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    parents = [p for p in loc[:-1] if isinstance(p, str)]
    parent = parents[-1] if parents else ""
    if parent == "benefits_include":
        return list(BenefitPattern.model_fields)
    model = _MODELS.get(parent)
    return list(model.model_fields) if model else []


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    where = _where(loc)
    got = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" — did you mean `{close[0]}`?" if close else f" (allowed: {', '.join(allowed)})"
        return f"unknown key `{key}` in {_where(loc[:-1]) or 'the top level'}{hint}"
    if kind == "missing":
        return f"missing required key `{loc[-1]}`"
    if kind == "too_short" and loc == ("turns",):
        return "a dialogue needs at least one turn under `turns:`"
    if kind == "value_error":
        return f"{where}: {err['msg'].removeprefix('Value error, ')}" if where else err["msg"]
    expected = {
        "int_type": "an integer",
        "string_type": "a string (quote it if it looks like a number or yes/no)",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "literal_error": err["msg"].removeprefix("Input should be ").removesuffix(".") or "",
    }.get(kind)
    if expected:
        return f"{where}: expected {expected}, got {_show(got)}"
    return f"{where}: {err['msg']}"


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"
