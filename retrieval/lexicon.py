"""The domain vocabulary: corpus/terms.txt (policy terms kept whole) and corpus/aliases.yaml.

Both are data a policy officer edits; this module only reads them. An alias entry maps the
policy's own wording (the key, several terms separated by spaces) to the ways people say it (a
list). A variant is a literal piece of text, or ``"A+B"``: all parts present anywhere in the
question. Variants match on the normalized question (simplified, half-width, lower-case).

Two keys of aliases.yaml are not aliases: ``本政策未涉及`` lists programmes the policy does not
cover (专精特新, 上市…), ``本政策不提供的待遇`` the kinds of benefit it never gives (所得税, 房租,
人才公寓, 贴息…). Both are blanked out of a question before scoring; retrieval.search decides
what a question naming either still asks.

``Lexicon.correct`` puts homophone typos of these words right before anything else reads the
question (高心企业 -> 高新企业, see retrieval.homophones); its data is built with the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.corpus import CORPUS_DIR
from retrieval.textproc import fold, normalize

if TYPE_CHECKING:
    from retrieval.homophones import Homophones

TERMS_PATH = CORPUS_DIR / "terms.txt"
ALIASES_PATH = CORPUS_DIR / "aliases.yaml"





@dataclass(frozen=True)
class Alias:
    terms: tuple[str, ...]  # the policy's wording, added to the query
    variants: tuple[tuple[str, ...], ...]  # each variant: parts that must all occur


@dataclass(frozen=True)
class Expansion:
    groups: tuple[tuple[str, ...], ...]  # the policy wording of each alias that fired, file order
    spans: tuple[tuple[int, int], ...]  # where the variants matched (start, end) in the text
    # how many distinct variants of each group matched ("疫情…没做成…被追责": three for 容错)
    hits: tuple[int, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """All policy terms to add, without repeats."""
        return tuple(dict.fromkeys(t for group in self.groups for t in group))


def _across_words(cuts: frozenset[int] | None, start: int, end: int) -> bool:
    """The span reaches across a cut into a word it ends inside (水电 in 抽水|电站, 用电 in
    矿|用|电动轮). A compound ending with it is still that thing (电费 in 水电|费: words are
    head-final), and so is a word that contains it (电费补贴: no cut within)."""
    return bool(cuts) and end not in cuts and any(start < c < end for c in cuts)


def _find_all(text: str, part: str) -> list[int]:
    out, i = [], text.find(part)
    while i >= 0:
        out.append(i)
        i = text.find(part, i + 1)
    return out


def _first_char_index(items) -> dict[str, tuple[tuple[str, int], ...]]:
    index: dict[str, list[tuple[str, int]]] = {}
    for word, n in items:
        if word:
            index.setdefault(word[0], []).append((word, n))
    return {ch: tuple(sorted(v, key=lambda x: -len(x[0]))) for ch, v in index.items()}


def _free(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in spans)


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _word_edges(text: str, start: int, end: int) -> bool:
    """True unless a Latin-letter or digit part continues into the text around it (rent/current)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (_latin(text[start]) and _latin(before)) and not (_latin(text[end - 1]) and _latin(after))


def _outside_terms(terms: list[tuple[int, int]], start: int, end: int) -> bool:
    """False if [start, end) lies strictly inside a longer policy term; edges may overlap."""
    return not any(s <= start and end <= e and end - start < e - s for s, e in terms)


@dataclass(frozen=True)
class Lexicon:
    terms: tuple[str, ...]
    aliases: tuple[Alias, ...]
    out_of_scope: tuple[tuple[str, ...], ...] = ()  # phrases naming programmes the policy lacks
    foreign_benefits: tuple[tuple[str, ...], ...] = ()  # kinds of benefit the policy never gives
    other_places: tuple[str, ...] = ()  # other cities and higher governments' departments
    # homophone typos of the vocabulary (retrieval.homophones, from the index's homophones.json)
    homophones: Homophones | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        words = set(self.terms)
        for alias in self.aliases:
            words.update(alias.terms)
        words = {w for w in words if len(w) >= 2}
        object.__setattr__(self, "_words", frozenset(words))
        object.__setattr__(self, "_term_index", _first_char_index((w, -1) for w in words))
        literal = ((v[0], n) for n, a in enumerate(self.aliases) for v in a.variants if len(v) == 1)
        object.__setattr__(self, "_literal_index", _first_char_index(literal))
        # "A+B" variants grouped by their first part: one `in` test per distinct first part
        combos: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for n, a in enumerate(self.aliases):
            for v in a.variants:
                if len(v) > 1:
                    combos.setdefault(v[0], []).append((n, v))
        object.__setattr__(self, "_combos", tuple((first, tuple(group)) for first, group in combos.items()))
        masks = ((v[0], i) for i, v in enumerate(self.out_of_scope))
        object.__setattr__(self, "_mask_index", _first_char_index(masks))
        foreign = ((v[0], i) for i, v in enumerate(self.foreign_benefits))
        object.__setattr__(self, "_foreign_index", _first_char_index(foreign))
        object.__setattr__(self, "_place_index", _first_char_index((w, i) for i, w in enumerate(self.other_places)))

    def correct(self, text: str) -> str:
        """`text` with homophone typos of the policy's words put right, same length
        (高心企业 -> 高新企业); unchanged without the index's homophone data."""
        return text if self.homophones is None else self.homophones.correct(text)

    def _occurrences(self, text: str, index: dict) -> list[tuple[int, int, int]]:
        """(start, end, alias number) of every indexed string in `text`, longest first."""
        found = []
        for i, ch in enumerate(text):
            for word, n in index.get(ch, ()):
                if text.startswith(word, i):
                    found.append((i, i + len(word), n))
        found.sort(key=lambda f: (f[0] - f[1], f[0]))
        return found

    def mask_out_of_scope(self, text: str, cuts: frozenset[int] | None = None) -> str:
        """`text` with every out-of-scope phrase blanked out: the programmes (``本政策未涉及``)
        and the kinds of benefit the policy never gives (``本政策不提供的待遇``)."""
        chars = list(text)
        for start, end in self.foreign_benefit_spans(text, cuts):
            chars[start:end] = " " * (end - start)
        candidates = {i for _, _, i in self._occurrences(text, self._mask_index)}
        for variant in (self.out_of_scope[i] for i in sorted(candidates)):
            spans = []
            for part in variant:
                i = text.find(part)
                if i < 0:
                    break
                spans.append((i, i + len(part)))
            else:
                for start, end in spans:
                    chars[start:end] = " " * (end - start)
        return "".join(chars)

    def other_place_mentions(self, text: str) -> tuple[tuple[int, int], ...]:
        """(start, end) of each mention of another place or a higher government's department, in
        text order; the longest wins where two overlap (呼和浩特 over 呼市 is not needed: both
        are listed), Latin words whole (``baotou``)."""
        spans: list[tuple[int, int]] = []
        for start, end, _ in self._occurrences(text, self._place_index):
            if _word_edges(text, start, end) and _free(spans, start, end):
                spans.append((start, end))
        return tuple(sorted(spans))

    def foreign_benefit_spans(self, text: str, cuts: frozenset[int] | None = None) -> tuple[tuple[int, int], ...]:
        """(start, end) of every occurrence of a benefit kind the policy never gives, in text order.

        Every part of an ``A+B`` variant must occur; a Latin-letter part matches whole words only
        (``rent`` is not in ``current``, ``tax`` not in ``taxi``); with the text's word `cuts`
        (Tokenizer.cuts) a Chinese part that starts and ends inside two different words is not
        that word (水电 in 抽水|电站).
        """
        spans: set[tuple[int, int]] = set()
        candidates = {i for _, _, i in self._occurrences(text, self._foreign_index)}
        for variant in (self.foreign_benefits[i] for i in sorted(candidates)):
            found = [
                [(i, i + len(part)) for i in _find_all(text, part)
                 if _word_edges(text, i, i + len(part)) and not _across_words(cuts, i, i + len(part))]
                for part in variant
            ]
            if all(found):
                spans.update(span for part_spans in found for span in part_spans)
        return tuple(sorted(spans))

    def expand(self, text: str) -> Expansion:
        """The alias expansion of folded `text`.

        Longer variants win over the shorter ones they overlap, and a variant never fires inside
        a policy term already in the text: in 制造业创新中心 the variant 创新中心 (of
        技术创新中心) does not fire, and in 国家高新区 the variant 国家高新 (of 高新技术企业)
        loses to 国家高新区. Each part of an ``A+B`` variant obeys the same rule; those variants
        are matched first, and a plain variant cannot reuse their characters.
        """
        taken: list[tuple[int, int]] = []
        for start, end, _ in self._occurrences(text, self._term_index):
            if _free(taken, start, end):
                taken.append((start, end))
        matched: list[tuple[int, int]] = []
        fired: set[int] = set()
        # "A+B" first: two cues together say more than either alone (深圳+研发中心 is a 飞地,
        # so the literal 研发中心 of another alias no longer fires on the same characters)
        combos = (c for first, group in self._combos if first in text for c in group)
        for n, variant in combos:
            if n in fired or not all(part in text for part in variant[1:]):
                continue
            spans = []
            for part in variant:
                free = [i for i in _find_all(text, part) if _outside_terms(taken, i, i + len(part))]
                if not free:
                    break
                spans.append((free[0], free[0] + len(part)))
            else:
                matched.extend(spans)
                fired.add(n)
        variants: dict[int, set[str]] = {n: {"+"} for n in fired}  # a combo counts as one variant
        for start, end, n in self._occurrences(text, self._literal_index):
            if _outside_terms(taken, start, end) and _free(matched, start, end):
                matched.append((start, end))
                fired.add(n)
                variants.setdefault(n, set()).add(text[start:end])
        order = sorted(fired)
        groups = tuple(self.aliases[n].terms for n in order)
        return Expansion(groups, tuple(sorted(set(matched))), tuple(len(variants[n]) for n in order))

    def spellings(self) -> tuple[str, ...]:
        """The policy's wording and the literal ways people write it: the terms, the alias keys and
        the one-part variants (an ``A+B`` variant's parts are context words such as 第一次, not names
        of anything). The homophone vocabulary is made from these and the catalogue's cues."""
        variants = (v[0] for a in self.aliases for v in a.variants if len(v) == 1)
        return tuple(dict.fromkeys([*self.terms, *(t for a in self.aliases for t in a.terms), *variants]))

    def words(self) -> frozenset[str]:
        """The policy's own words the tokenizer must keep whole: the terms and the alias keys.

        Variants are not added: they are matched on the raw question, and as dictionary words
        they would only pull characters out of the ordinary words around them.
        """
        return self._words


def read_terms(path: Path = TERMS_PATH) -> tuple[str, ...]:
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.append(line)
    return tuple(dict.fromkeys(terms))


OUT_OF_SCOPE_KEY = "本政策未涉及"
FOREIGN_BENEFITS_KEY = "本政策不提供的待遇"
OTHER_PLACES_KEY = "其他地区和上级部门"


def lexicon_to_json(lexicon: Lexicon) -> dict:
    return {
        "terms": list(lexicon.terms),
        "aliases": [
            {"terms": list(a.terms), "variants": [list(v) for v in a.variants]} for a in lexicon.aliases
        ],
        "out_of_scope": [list(v) for v in lexicon.out_of_scope],
        "foreign_benefits": [list(v) for v in lexicon.foreign_benefits],
        "other_places": list(lexicon.other_places),
    }


def lexicon_from_json(data: dict, homophones: Homophones | None = None) -> Lexicon:
    aliases = tuple(Alias(tuple(a["terms"]), tuple(tuple(v) for v in a["variants"])) for a in data["aliases"])
    return Lexicon(
        tuple(data["terms"]),
        aliases,
        tuple(tuple(v) for v in data["out_of_scope"]),
        tuple(tuple(v) for v in data.get("foreign_benefits", ())),
        tuple(data.get("other_places", ())),
        homophones,
    )


def _variants(key: str, values: list, normalize) -> tuple[tuple[str, ...], ...]:
    """Plain variants (tuples of parts) from the file's notation.

    ``A+B``: both parts; ``A|B`` inside a part: either word. ``北京|上海+研发|孵化`` is the four
    variants 北京+研发, 北京+孵化, 上海+研发, 上海+孵化.
    """
    from itertools import product

    variants = []
    for value in values:
        parts = []
        for part in str(value).split("+"):
            words = tuple(w for w in (fold(normalize(x)).strip() for x in part.split("|")) if w)
            if words:
                parts.append(words)
        combos = list(product(*parts)) if parts else []
        if not combos or any(sum(len(p) for p in combo) < 2 for combo in combos):
            raise ValueError(f"aliases.yaml: variant {value!r} of {key!r} is shorter than two characters")
        variants.extend(combos)
    return tuple(dict.fromkeys(variants))


@dataclass(frozen=True)
class ParsedAliases:
    aliases: tuple[Alias, ...] = ()
    out_of_scope: tuple[tuple[str, ...], ...] = ()  # 本政策未涉及
    foreign_benefits: tuple[tuple[str, ...], ...] = ()  # 本政策不提供的待遇
    other_places: tuple[str, ...] = ()  # 其他地区和上级部门


def parse_aliases(data: object, *, normalize=lambda s: s) -> ParsedAliases:
    """The aliases and the three lists that are not aliases, from the loaded YAML mapping.

    Raises ValueError naming a malformed entry.
    """
    if data is None:
        return ParsedAliases()
    if not isinstance(data, dict):
        raise ValueError("aliases.yaml: expected a mapping 原文用语: [叫法, ...]")
    aliases = []
    out_of_scope: tuple[tuple[str, ...], ...] = ()
    foreign_benefits: tuple[tuple[str, ...], ...] = ()
    other_places: list[str] = []
    for key, values in data.items():
        if not isinstance(key, str) or not isinstance(values, list):
            raise ValueError(f"aliases.yaml: entry {key!r} must map text to a list of variants")
        if key.strip() == OUT_OF_SCOPE_KEY:
            out_of_scope += _variants(key, values, normalize)
            continue
        if key.strip() == FOREIGN_BENEFITS_KEY:
            foreign_benefits += _variants(key, values, normalize)
            continue
        if key.strip() == OTHER_PLACES_KEY:
            for variant in _variants(key, values, normalize):
                if len(variant) != 1:
                    raise ValueError(f"aliases.yaml: {key}: {'+'.join(variant)!r} must be one name, not A+B")
                other_places.append(variant[0])
            continue
        terms = tuple(fold(normalize(t)) for t in key.split())
        aliases.append(Alias(terms, _variants(key, values, normalize)))
    return ParsedAliases(tuple(aliases), out_of_scope, foreign_benefits, tuple(dict.fromkeys(other_places)))


@cache
def load_lexicon(terms_path: Path = TERMS_PATH, aliases_path: Path = ALIASES_PATH) -> Lexicon:
    from calculators.yamlfile import load_yaml  # yaml only when the aliases are read

    data = load_yaml(aliases_path.read_text(encoding="utf-8")) if aliases_path.exists() else None
    terms = read_terms(terms_path) if terms_path.exists() else ()
    parsed = parse_aliases(data, normalize=normalize)
    return Lexicon(
        tuple(fold(normalize(t)) for t in terms),
        parsed.aliases,
        parsed.out_of_scope,
        parsed.foreign_benefits,
        parsed.other_places,
    )
