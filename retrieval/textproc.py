"""Text to search tokens: normalize, take numbers out, cut with jieba over a compact dictionary.

The steps, in order:

1. ``normalize``: calculators.textnorm (NFKC, invisible characters, OpenCC t2s, whitespace).
2. ``fold``: parentheses removed, lower-case (``首台（套）`` -> ``首台套``), see fold below.
3. ``split_numbers``: amounts, percentages, years and counts are taken out before cutting, so
   ``1200万`` in a question never matches ``1000万元`` in a clause; the engine parses figures.
4. jieba (precise mode, no HMM) over a dictionary written at index time: jieba's own words
   common enough to matter, every jieba word that occurs in the policy, and the domain terms
   (corpus/terms.txt and the alias keys) at a frequency that keeps them whole.
5. Stop words and single characters dropped.

jieba's full dictionary takes over a second to load; the compact one about a tenth of that,
which is what keeps a cold ``policybot ask`` fast.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

_PARENS = re.compile(r"[（）()“”‘’\"]")


def fold(text: str) -> str:
    """The surface form terms and aliases are matched in: no parentheses or quotes, lower-case.

    ``首台（套）`` and ``首台(套)`` both become ``首台套`` and 科技“突围” becomes 科技突围, so a
    term written as in the policy matches however the user types it.
    """
    return _PARENS.sub("", text).lower()



try:  # the shared normal form (calculators is the layer below)
    from calculators.textnorm import normalize as _normalize
except ImportError:  # pragma: no cover - only while calculators.textnorm is absent
    _normalize = None

MIN_JIEBA_FREQ = 200  # jieba words rarer than this stay out unless the policy uses them
TERM_FREQ = 20000  # frequency given to domain terms so jieba keeps them whole

# Function words and question words: never evidence for or against an article.
STOPWORDS = frozenset(
    """
    我们 我司 我们公司 咱们 你们 他们 本公司 自己 这个 那个 这些 那些 这种 那种 一个 一些 一下 一点
    什么 怎么 怎么样 怎样 如何 多少 哪些 哪个 哪里 哪儿 为什么 是否 能否 可否 是不是 有没有 能不能
    可不可以 会不会 要不要 吗 呢 吧 啊 呀 的 了 和 与 及 或 或者 还是 以及 并且 而且 但是 如果 的话
    可以 能够 应该 需要 还有 还能 已经 现在 目前 今年 去年 明年 前年 上年 每年 时候 请问 想问 咨询
    问一下 问问 一般 大概 大约 左右 之类 情况 相关 有关 方面 这样 那样 就是 然后 所以 因为 对于 关于
    给予 给 对 按 按照 在 从 到 把 被 让 向 于 由 及其 其 该 各 等 之 以 为 是 有 无 没有 不 也 都
    就 还 又 再 才 很 最 更 多 少 能 会 要 想 请 帮 帮忙 一次 一共 总共 具体 多久 哪 谁 您 你 我 他
    里 中 上 下 内 啥 些 么 享受 能享受 可享受
    """.split()
)

_CN_DIGIT = "零〇一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾"
_CN_UNIT = "十百千万亿拾佰仟"
_CN_ANY = f"[{_CN_DIGIT}{_CN_UNIT}]"
_NUMBER_RE = re.compile(
    # Arabic figures, or Chinese numerals with at least one digit and one unit (三百万, 十万);
    # 三清零, 一事一议, 万众 stay words
    rf"(?:第)?(?:\d+(?:[.,:：]\d+)*|{_CN_ANY}*[{_CN_DIGIT}]{_CN_ANY}*[{_CN_UNIT}]{_CN_ANY}*)"
    r"\s*(?:[万亿千百]+)?\s*(?:元|块钱|块|%|个百分点|个点|周岁|岁|年度|年|个月|月|日|号|倍|名|家|个|项|台|套|人)?"
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
MAX_SUBWORD = 12
_WORD_RE = re.compile(r"[\u4e00-\u9fffa-z0-9&+#.\-]+")


def normalize(text: str) -> str:
    """The project-wide normal form (simplified, half-width, one space)."""
    if _normalize is not None:
        return _normalize(text)
    import unicodedata

    return " ".join(_t2s(unicodedata.normalize("NFKC", text)).split())


def _t2s(text: str) -> str:  # pragma: no cover - fallback only
    import opencc

    return opencc.OpenCC("t2s").convert(text)


def prepare(text: str) -> str:
    """normalize + fold: the text aliases are matched in."""
    return fold(normalize(text))


def split_numbers(text: str) -> tuple[str, list[str]]:
    """(text with amounts/percentages/years/counts replaced by spaces, the figures taken out)."""
    figures: list[str] = []

    def take(m: re.Match[str]) -> str:
        figures.append(m.group().strip())
        return " "

    return _NUMBER_RE.sub(take, text), figures


def write_dictionary(path: Path, *, domain_words: Iterable[str], corpus_text: str) -> int:
    """Write the compact jieba dictionary to `path`; returns the number of words."""
    import jieba

    source = Path(jieba.__file__).with_name("dict.txt")
    folded = fold(corpus_text)
    in_corpus = {folded[i : i + n] for n in range(2, 9) for i in range(len(folded) - n + 1)}
    entries: dict[str, int] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition(" ")
        freq = int(rest.partition(" ")[0] or 0)
        if freq >= MIN_JIEBA_FREQ or word in in_corpus:
            entries[word] = freq
    for word in domain_words:
        if _WORD_RE.fullmatch(word):
            entries[word] = max(entries.get(word, 0), TERM_FREQ)
    path.write_text("".join(f"{w} {f}\n" for w, f in entries.items()), encoding="utf-8")
    return len(entries)


class Tokenizer:
    """Cuts prepared text into search tokens; the jieba dictionary loads on first use."""

    def __init__(self, dictionary: Path) -> None:
        self.dictionary = dictionary
        self._jieba = None
        self._subwords: dict[str, list[str]] = {}

    def load(self) -> Tokenizer:
        """Load the dictionary now (the index loader does, so the files may be pruned later)."""
        self._cutter()
        return self

    def _cutter(self):
        if self._jieba is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer(str(self.dictionary))
            tk.tmp_dir = str(self.dictionary.parent)
            tk.initialize()
            self._jieba = tk
        return self._jieba

    def cuts(self, text: str) -> frozenset[int]:
        """Where jieba cuts `text` into words: the offsets between words ("抽水|电站" -> 0, 2, 4)."""
        offsets, at = {0}, 0
        for word in self._cutter().lcut(text, HMM=False):
            at += len(word)
            offsets.add(at)
        return frozenset(offsets)

    def words(self, text: str) -> list[str]:
        """All jieba words of prepared `text` (numbers already taken out), stop words included."""
        return [w for w in self._cutter().lcut(text, HMM=False) if _WORD_RE.fullmatch(w)]

    def tokens(self, text: str) -> list[str]:
        """Search tokens of prepared `text`: words without stop words and single characters."""
        return [w for w in self.words(text) if len(w) > 1 and w not in STOPWORDS]

    def subwords(self, token: str) -> list[str]:
        """Dictionary words inside a token of 3+ characters (高新技术企业 -> 高新, 技术, 企业, 高新技术…).

        Indexed next to the whole token, so a long policy term still matches a question that
        names only part of it, and vice versa.
        """
        n = len(token)
        if n < 3 or not _CJK_RUN.fullmatch(token):
            return []
        cached = self._subwords.get(token)
        if cached is not None:
            return cached
        freq = self._cutter().FREQ
        out = []
        for i in range(n - 1):
            for j in range(i + 2, min(n, i + MAX_SUBWORD) + 1):
                if j - i < n:
                    sub = token[i:j]
                    if freq.get(sub) and sub not in STOPWORDS:
                        out.append(sub)
        if len(self._subwords) < 50_000:
            self._subwords[token] = out
        return out

    def index_tokens(self, text: str) -> list[str]:
        """Tokens of a unit to index: the tokens and, after them, their sub-words."""
        tokens = self.tokens(text)
        return tokens + [s for t in tokens for s in self.subwords(t)]

    def weight(self, word: str) -> float:
        """How informative `word` is in general language: -log of its jieba frequency share.

        Words the dictionary does not know count as rare.
        """
        tk = self._cutter()
        freq = tk.FREQ.get(word) or 1
        return math.log(tk.total / freq)
