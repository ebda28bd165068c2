"""The lexicon: named word classes from corpus/lexicon.yaml, compiled once into regexes.

    from calculators.grammar import lexicon
    lexicon().matches("how_much", "高企能拿多少")      # True
    lexicon().regex("level.national").search(text)
    lexicon().expand(r"(?<!{level.region})产业创新中心")  # a cue written with class references

A class is literal `words` and/or regex `patterns`; a pattern may reference another class as
``{name}`` (its alternatives inline) or negate one in a look-behind, ``(?<!{name})``, which
expands into one fixed-width look-behind per word of the class (its patterns are left out) (Python's look-behinds must be fixed width).
`form` anchors a class: ``whole`` (the whole message, then `tail`), ``prefix`` (the start of it).
Every class is case-insensitive. Its `examples` must match and its `counter` examples must not:
tests/calculators/test_lexicon.py runs them all, the way Duckling's corpus tests its rules.

    ValueError
     └── LexiconError      a class is malformed, refers to an unknown class, or fails to compile
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from calculators.yamlfile import load_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "corpus" / "lexicon.yaml"

_REFERENCE = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_NEGATED_REFERENCE = re.compile(r"\(\?<!\{([a-z_][a-z0-9_.]*)\}\)")
_FORMS = ("search", "whole", "prefix")


class LexiconError(ValueError):
    """lexicon.yaml is malformed; the message names the class and what to fix."""


@dataclass(frozen=True)
class WordClass:
    name: str
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    form: str = "search"
    tail: str = ""
    examples: tuple[str, ...] = ()
    counter: tuple[str, ...] = ()


@dataclass
class Lexicon:
    classes: dict[str, WordClass]
    _bodies: dict[str, str] = field(default_factory=dict, repr=False)
    _compiled: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False)

    # -- building -------------------------------------------------------------------------
    def body(self, name: str, _seen: tuple[str, ...] = ()) -> str:
        """The class as one regex alternation, its references expanded (no anchors)."""
        if name in self._bodies:
            return self._bodies[name]
        if name not in self.classes:
            raise LexiconError(f"unknown word class {{{name}}}" + (f" (used by {_seen[-1]})" if _seen else ""))
        if name in _seen:
            raise LexiconError(f"word class {name} refers to itself: {' -> '.join((*_seen, name))}")
        wc = self.classes[name]
        words = sorted(wc.words, key=len, reverse=True)  # longest first: 自治区级 before 自治区
        parts = [re.escape(w) for w in words]
        parts += [self._expand(p, (*_seen, name)) for p in wc.patterns]
        body = "|".join(parts) if parts else "(?!)"
        self._bodies[name] = body
        return body

    def _expand(self, pattern: str, seen: tuple[str, ...]) -> str:
        def negated(m: re.Match[str]) -> str:
            target = self.classes.get(m.group(1))
            if target is None:
                raise LexiconError(f"unknown word class {{{m.group(1)}}} in {pattern!r}")
            if not target.words:
                raise LexiconError(f"(?<!{{{target.name}}}) needs a class with words; {target.name} has none")
            return "".join(f"(?<!{re.escape(w)})" for w in sorted(target.words, key=len, reverse=True))

        pattern = _NEGATED_REFERENCE.sub(negated, pattern)
        return _REFERENCE.sub(lambda m: f"(?:{self.body(m.group(1), seen)})", pattern)

    def expand(self, pattern: str) -> str:
        """A pattern written elsewhere (a trigger cue in benefits.yaml) with its class references
        expanded; a pattern without references comes back unchanged."""
        if "{" not in pattern:
            return pattern
        return self._expand(pattern, ())

    def regex(self, name: str) -> re.Pattern[str]:
        """The compiled class, anchored as its `form` says."""
        compiled = self._compiled.get(name)
        if compiled is None:
            wc = self.classes.get(name)
            if wc is None:
                raise LexiconError(f"unknown word class {name!r}")
            body = self.body(name)
            if wc.form == "whole":
                source = rf"^(?:{body}){wc.tail}$"
            elif wc.form == "prefix":
                source = rf"^(?:{body}){wc.tail}"
            else:
                source = body
            try:
                compiled = re.compile(source, re.I)
            except re.error as exc:
                raise LexiconError(f"word class {name} does not compile: {exc}") from None
            self._compiled[name] = compiled
        return compiled

    # -- using ----------------------------------------------------------------------------
    def matches(self, name: str, text: str) -> bool:
        regex = self.regex(name)
        return bool(regex.match(text) if self.classes[name].form != "search" else regex.search(text))

    def search(self, name: str, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.regex(name).search(text, pos, len(text) if endpos is None else endpos)

    def finditer(self, name: str, text: str):
        return self.regex(name).finditer(text)

    def words(self, name: str) -> tuple[str, ...]:
        return self.classes[name].words


def _tuple(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list):
        raise LexiconError(f"{where} must be a list of strings")
    if not all(isinstance(v, str) for v in value):  # YAML reads a bare yes/no/on as a boolean
        raise LexiconError(f"{where}: every item must be a string (quote yes, no, on, off)")
    return tuple(value)


def parse_lexicon(raw, source: str = "lexicon.yaml") -> Lexicon:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("classes"), Mapping):
        raise LexiconError(f"{source}: the top level must be a mapping with classes:")
    classes: dict[str, WordClass] = {}
    for name, spec in raw["classes"].items():
        where = f"{source}: class {name}"
        if not isinstance(spec, Mapping):
            raise LexiconError(f"{where} must be a mapping (words, patterns, form, examples)")
        unknown = set(spec) - {"words", "patterns", "form", "tail", "examples", "counter"}
        if unknown:
            raise LexiconError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        form = spec.get("form", "search")
        if form not in _FORMS:
            raise LexiconError(f"{where}: form must be one of {', '.join(_FORMS)}")
        classes[name] = WordClass(
            name=name,
            words=_tuple(spec.get("words"), f"{where}.words"),
            patterns=_tuple(spec.get("patterns"), f"{where}.patterns"),
            form=form,
            tail=str(spec.get("tail") or ""),
            examples=_tuple(spec.get("examples"), f"{where}.examples"),
            counter=_tuple(spec.get("counter"), f"{where}.counter"),
        )
    lexicon = Lexicon(classes)
    for name in classes:  # every class compiles and every reference resolves, at load time
        lexicon.regex(name)
    return lexicon


@cache
def lexicon(path: Path = DEFAULT_PATH) -> Lexicon:
    """The project's lexicon (loaded and compiled once per process)."""
    try:
        raw = load_yaml(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"cannot read the lexicon {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path} is not valid YAML: {exc}") from None
    return parse_lexicon(raw, str(path))
