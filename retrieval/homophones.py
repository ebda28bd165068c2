"""Homophone typos of the policy's words put right: 高心企业 -> 高新企业, 三清灵 -> 三清零.

People type Chinese with pinyin input methods, so the commonest typo is a character that sounds
like the right one. ``Homophones.correct`` replaces such a character where a stretch of the
text sounds like a word of the domain vocabulary and differs from it in very few characters.

The rule, for every window of the text as long as a vocabulary word:

1. Every character of the window shares a toneless pinyin reading with the word's character
   at the same place (高心企业 gao xin qi ye = 高新企业).
2. At most one character differs for words of 3-4 characters, at most two for longer ones, and
   at least one does; the window is not itself a vocabulary word.
3. The vocabulary is every word of 3+ characters: the policy terms (terms.txt), the alias keys
   and one-part alias variants (aliases.yaml, Chinese only) and the literal words of the
   catalogue's cues (benefits.yaml). Two-character words are left out: 科小/可笑, 高企/搞起
   have too many innocent homophones. The parts of an ``A+B`` alias variant are context words
   (第一次, 带项目), not names of anything, and are left out too.
4. Only Chinese characters change; Latin letters, digits and the Chinese numerals of an amount
   never do, and the text keeps its length (the NLU works with character offsets): a
   correction replaces character for character.

What sounds alike but is meant (each found by running the rule over the evaluation questions
and over every word of jieba's dictionary):

- A character of a vocabulary word the text already contains exactly is never changed (in
  研发飞地 the 飞 is not 研发费's 费).
- A changed character at either end of the window that makes a common two-character word with
  the character next to it outside the window stays: 实验是否 (not 实验室), 研发累计 (not 研发类).
- A changed character that is a function character (的 地 得 是 时 了 在 …) is meant: 做实验时
  (not 实验室).
- A window that is itself a word of the general dictionary is a real word: it only becomes one
  of the policy's own terms (terms.txt, alias keys), never a colloquial variant or a cue:
  孵化期 -> 孵化器 (a term), but 研究员 stays (研究院 is a variant), 农科院 stays (农科园),
  卫生员 stays (卫生院).
- A word ending in 期 followed by a duration or a period word names a period: 孵化期三年,
  孵化期内, 孵化期满 stay; 国家级孵化期 becomes 孵化器.
- Where two vocabulary words fit one window equally well, neither is used.

Readings come from pypinyin at index time (``build``, the only place it is imported); the
index keeps a compact map syllable -> characters (``homophones.json``) that the query path
loads with the JSON module alone. A reading counts when it is the character's first, or when
pypinyin's phrase dictionary uses it in at least MIN_PHRASES phrases: 行 hang and 长 zhang
count, the stray readings 找 hua or 是 ti do not (they turned 清华大学 into 清找大学).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

FORMAT = 1
MIN_WORD = 3  # shorter words have too many innocent homophones
MIN_PHRASES = 5  # a reading other than the first counts when this many phrases use it
BOUNDARY_FREQ = 100  # jieba frequency of a two-character word that keeps a changed edge char
REAL_WORD_FREQ = 3  # jieba frequency from which a window is a real word

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟")
_FUNCTION = frozenset("的地得是时了着过在和与及或就也都还又而为被把让给向从对等之其这那")
# after a window ending in 期: a duration or a period word ("孵化期三年", "孵化期内", "孵化期满后")
_PERIOD_AFTER = re.compile(
    r"\s*(?:[内满间中后完]|结束|到期|多长|多久|是多|有多|为期|[0-9一二两三四五六七八九十几半]+\s*(?:个)?\s*(?:年|月|周|天))"
)
_END = ""  # key of a trie node's words (no syllable is empty)


def max_changes(length: int) -> int:
    """How many characters may differ from a vocabulary word of `length` characters."""
    return 1 if length <= 4 else 2


def vocabulary(texts: Iterable[str]) -> list[str]:
    """The Chinese runs of 3+ characters in `texts`, each once, in order of first appearance."""
    return list(dict.fromkeys(run for text in texts for run in _CJK.findall(text) if len(run) >= MIN_WORD))


_LOOKAROUND = re.compile(r"\(\?(?:<?[!=]|[a-zA-Z]+\))[^()]*\)?|\(\?[a-zA-Z]+\)")
_OPAQUE = re.compile(r"\[[^\]]*\]|\\.|\.")


def literal_words(pattern: str) -> list[str]:
    """The literal Chinese words of a cue regex: runs that are a whole alternative.

    ``'(?<!国家)(?<!国家级)工程研究中心'`` gives 工程研究中心, ``'(自然科学|技术发明)奖'`` gives
    自然科学 and 技术发明 (not 奖), ``'临床(医学)?研究中心'`` and ``'科技型(小微|小)企业'`` no word
    of three characters: a run is taken only when it stands between the start, ``|`` or ``(``
    and the end, ``|`` or ``)``, and is not made optional.
    """
    text = _LOOKAROUND.sub("", pattern)
    text = _OPAQUE.sub("\x00", text)
    words = []
    for m in _CJK.finditer(text):
        before = text[m.start() - 1] if m.start() else "|"
        after = text[m.end()] if m.end() < len(text) else "|"
        quantified = after == ")" and text[m.end() + 1 : m.end() + 2] in ("?", "*", "{")
        if before in "|(" and after in "|)" and not quantified:
            words.append(m.group())
    return words


@dataclass(frozen=True, eq=False)
class Homophones:
    """The vocabulary and the readings it is matched with; ``correct`` is thread-safe."""

    words: tuple[str, ...]  # the vocabulary, 3+ characters
    terms: frozenset[str]  # the policy's own terms among them: a real word may become one
    readings: dict[str, tuple[str, ...]] = field(repr=False)  # char -> toneless syllables
    # common two-character words, "重大 是否 …": made a set on first use, since most texts
    # never need it and building it costs more than loading everything else
    boundary_words: str = field(default="", repr=False)
    real_words: frozenset[str] = field(default=frozenset(), repr=False)  # dictionary words that sound like one
    trie: dict | None = field(default=None, repr=False)  # built from the above if not given

    def __post_init__(self) -> None:
        object.__setattr__(self, "_vocabulary", frozenset(self.words))
        if self.trie is None:
            object.__setattr__(self, "trie", self._build_trie())

    def _build_trie(self) -> dict:
        """A trie over syllables: a word with heteronyms is reachable along each of its readings."""
        trie: dict = {}
        readings = self.readings
        for word in self.words:
            if len(word) < MIN_WORD or any(ch not in readings for ch in word):
                continue
            nodes = [trie]
            for ch in word:
                syllables = readings[ch]
                if len(nodes) == 1 and len(syllables) == 1:
                    nodes = [nodes[0].setdefault(syllables[0], {})]
                else:
                    nodes = [node.setdefault(r, {}) for node in nodes for r in syllables]
            for node in nodes:
                node.setdefault(_END, []).append(word)
        return trie

    def correct(self, text: str) -> str:
        """`text` with the homophone typos of vocabulary words replaced (same length)."""
        exact, candidates = self._candidates(text)
        if not candidates:
            return text
        chars = list(text)
        protected = [False] * len(text)
        for start, end in exact:
            protected[start:end] = [True] * (end - start)
        for _, _, start, word in sorted(candidates):
            end = start + len(word)
            if all(chars[p] == word[p - start] or not protected[p] for p in range(start, end)):
                chars[start:end] = word
                protected[start:end] = [True] * (end - start)
        return "".join(chars)

    def _candidates(self, text: str):
        """(spans of vocabulary words in `text`, [(changes, -length, start, word)] to make)."""
        readings, trie = self.readings, self.trie
        n = len(text)
        exact: list[tuple[int, int]] = []
        fits: dict[tuple[int, int], dict[str, int]] = {}
        for i in range(n):
            syllables = readings.get(text[i])
            if not syllables:
                continue
            states = [node for r in syllables if (node := trie.get(r)) is not None]
            j = i + 1
            while states:
                window = None
                for node in states:
                    for word in node.get(_END, ()):
                        window = window or text[i:j]
                        if window == word:
                            exact.append((i, j))
                        else:
                            changes = self._changes(text, i, window, word)
                            if changes:
                                fits.setdefault((i, j), {})[word] = changes
                if j >= n or not (syllables := readings.get(text[j])):
                    break
                states = [child for node in states for r in syllables if (child := node.get(r)) is not None]
                j += 1
        candidates = []
        for (start, end), words in fits.items():
            best = min(words.values())
            winners = [w for w, c in words.items() if c == best]
            if len(winners) == 1:  # two words fitting equally well: neither
                candidates.append((best, start - end, start, winners[0]))
        return exact, candidates

    def _sounds_like_a_word(self, text: str) -> bool:
        """Whether the rule would make all of `text` into a vocabulary word."""
        states = [self.trie]
        for ch in text:
            syllables = self.readings.get(ch, ())
            states = [child for node in states for r in syllables if (child := node.get(r)) is not None]
            if not states:
                return False
        return any(self._changes(text, 0, text, word) for node in states for word in node.get(_END, ()))

    @cached_property
    def _common(self) -> frozenset[str]:
        return frozenset(self.boundary_words.split())

    def _changes(self, text: str, start: int, window: str, word: str) -> int:
        """How many characters `window` (at `start`) changes to become `word`; 0 if it must not."""
        changed = [k for k in range(len(word)) if window[k] != word[k]]
        if not changed or len(changed) > max_changes(len(word)) or window in self._vocabulary:
            return 0
        if any(window[k] in _NUMERALS or window[k] in _FUNCTION for k in changed):
            return 0
        end = start + len(word)
        if changed[0] == 0 and start > 0 and text[start - 1 : start + 1] in self._common:
            return 0
        if changed[-1] == len(word) - 1 and end < len(text) and text[end - 1 : end + 1] in self._common:
            return 0
        if window in self.real_words and word not in self.terms:
            return 0
        if window[-1] == "期" and _PERIOD_AFTER.match(text, end):
            return 0
        return len(changed)


# -- the index file --------------------------------------------------------------------------
def to_json(homophones: Homophones) -> dict:
    """A compact form: characters grouped by their readings ("qi ji": "期…"), lists as strings."""
    by_readings: dict[str, list[str]] = {}
    for ch, syllables in homophones.readings.items():
        by_readings.setdefault(" ".join(syllables), []).append(ch)
    return {
        "format": FORMAT,
        "words": " ".join(homophones.words),
        "terms": " ".join(sorted(homophones.terms)),
        "readings": {key: "".join(chars) for key, chars in sorted(by_readings.items())},
        "boundary_words": homophones.boundary_words,
        "real_words": " ".join(sorted(homophones.real_words)),
        "trie": homophones.trie,
    }


def from_json(data: dict) -> Homophones:
    readings: dict[str, tuple[str, ...]] = {}
    for key, chars in data["readings"].items():
        readings.update(dict.fromkeys(chars, tuple(key.split())))
    return Homophones(
        tuple(data["words"].split()),
        frozenset(data["terms"].split()),
        readings,
        data["boundary_words"],
        frozenset(data["real_words"].split()),
        data.get("trie"),
    )


# -- building (index time only: pypinyin and jieba's full dictionary) -------------------------
def pinyin_readings() -> dict[str, tuple[str, ...]]:
    """char -> toneless syllables of every CJK character pypinyin knows (see MIN_PHRASES)."""
    from collections import Counter
    from functools import cache

    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    toneless = cache(to_normal)
    options = {
        chr(code): tuple(dict.fromkeys(toneless(r) for r in text.split(",")))
        for code, text in pinyin_dict.items()
        if 0x4E00 <= code <= 0x9FFF
    }
    used: Counter[tuple[str, str]] = Counter()
    for phrase, syllables in phrases_dict.items():
        if len(phrase) == len(syllables):
            for ch, said in zip(phrase, syllables, strict=True):
                if len(options.get(ch, ())) > 1:
                    used[ch, toneless(said[0])] += 1
    return {
        ch: rs if len(rs) == 1 else tuple(r for k, r in enumerate(rs) if k == 0 or used[ch, r] >= MIN_PHRASES)
        for ch, rs in options.items()
    }


def _jieba_words(lengths: set[int]) -> dict[str, int]:
    """Words of jieba's full dictionary with these lengths (and frequent enough) -> frequency."""
    from pathlib import Path

    import jieba

    text = Path(jieba.__file__).with_name("dict.txt").read_text(encoding="utf-8")
    return {
        word: int(freq)
        for word, freq in re.findall(r"^(\S+) (\d+)", text, re.M)
        if len(word) in lengths and int(freq) >= REAL_WORD_FREQ
    }


def build(words: Iterable[str], terms: Iterable[str]) -> Homophones:
    """The corrector for `words` (the vocabulary) with `terms` (the policy's own terms)."""
    vocab = tuple(vocabulary(words))
    readings = pinyin_readings()
    lengths = {len(w) for w in vocab}
    general = _jieba_words(lengths | {2})
    heard = {r for w in vocab for ch in w for r in readings.get(ch, ())}
    readings = {ch: kept for ch, rs in readings.items() if (kept := tuple(r for r in rs if r in heard))}
    boundary = " ".join(sorted(w for w, f in general.items() if len(w) == 2 and f >= BOUNDARY_FREQ))
    plain = Homophones(vocab, frozenset(terms) & frozenset(vocab), readings, boundary)
    # the dictionary words the rule would change: a window that is one of them is a real word
    # (a word the rule changes keeps one of its first three characters: a cheap test first)
    places = [{w[k] for w in vocab} for k in range(3)]
    real = frozenset(
        w
        for w in general
        if len(w) >= MIN_WORD and any(w[k] in places[k] for k in range(3)) and plain._sounds_like_a_word(w)
    )
    return Homophones(vocab, plain.terms, readings, boundary, real)
