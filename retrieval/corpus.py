"""Parse corpus/policy.txt into chapters, 30 articles and numbered clauses.

Clause ids follow CONTRACT.md §3: ``"<article>.<n>"``, n counting the sentences (ending in 。)
of the article body after its title sentence, from 1; the 责任单位 note is excluded.
Every text held here is a verbatim substring of policy.txt, so quotes can be checked by ``in``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
POLICY_PATH = CORPUS_DIR / "policy.txt"

CN_NUMERALS = "一二三四五六七八九十"

# Dates the engine reasons with. Art. 30: 自发布之日起30日后施行，有效期五年.
ISSUED = dt.date(2024, 9, 20)
EFFECTIVE = ISSUED + dt.timedelta(days=30)
EXPIRES = dt.date(EFFECTIVE.year + 5, EFFECTIVE.month, EFFECTIVE.day) - dt.timedelta(days=1)
DOCUMENT_TITLE = "鄂尔多斯市关于深入实施科技“突围”工程加快培育新质生产力的若干政策"


def cn_number(text: str) -> int:
    """'十五' -> 15, '三十' -> 30, '二十九' -> 29 (the article numbering only goes to 30)."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, units = text.partition("十")
        return (CN_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (
            CN_NUMERALS.index(units) + 1 if units else 0
        )
    return CN_NUMERALS.index(text) + 1


def article_label(number: int) -> str:
    """15 -> '（十五）', the way the text numbers articles."""
    if number <= 10:
        cn = "十" if number == 10 else CN_NUMERALS[number - 1]
    else:
        tens, units = divmod(number, 10)
        cn = ("" if tens == 1 else CN_NUMERALS[tens - 1]) + "十" + (CN_NUMERALS[units - 1] if units else "")
    return f"（{cn}）"


@dataclass(frozen=True)
class Clause:
    id: str  # "15.2"
    article: int
    n: int
    text: str  # the sentence, verbatim, ending in 。


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    chapter: int
    chapter_title: str
    text: str  # the whole paragraph, verbatim, from （N） through the 责任单位 note
    body: str  # after the title sentence, without the 责任单位 note
    clauses: tuple[Clause, ...]
    departments: tuple[str, ...]

    @property
    def label(self) -> str:
        return article_label(self.number)

    def clause(self, clause_id: str) -> Clause:
        for c in self.clauses:
            if c.id == clause_id:
                return c
        raise KeyError(clause_id)


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    articles: tuple[int, ...]


@dataclass(frozen=True)
class Policy:
    text: str
    chapters: tuple[Chapter, ...]
    articles: tuple[Article, ...]
    issued: dt.date = ISSUED
    effective: dt.date = EFFECTIVE
    expires: dt.date = EXPIRES
    title: str = DOCUMENT_TITLE

    def article(self, number: int) -> Article:
        if not 1 <= number <= len(self.articles):
            raise KeyError(number)
        return self.articles[number - 1]

    def clause(self, clause_id: str) -> Clause:
        article, _, _ = clause_id.partition(".")
        return self.article(int(article)).clause(clause_id)

    @property
    def clauses(self) -> list[Clause]:
        return [c for a in self.articles for c in a.clauses]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]


_CHAPTER_RE = re.compile(r"^[\s\u3000]*([一二三四五六七八九十]+)、(.+?)\s*$")
_ARTICLE_RE = re.compile(r"^[\s\u3000]*（([一二三四五六七八九十]+)）(.+?)。")
_DEPT_RE = re.compile(r"（责任单位：(.+?)）\s*$")
_SENTENCE_RE = re.compile(r"[^。]+。")


def parse_policy(text: str) -> Policy:
    chapters: list[Chapter] = []
    articles: list[Article] = []
    chapter_no, chapter_title, chapter_articles = 0, "", []
    for raw_line in text.splitlines():
        line = raw_line.strip(" \u3000\t")
        if not line:
            continue
        if m := _CHAPTER_RE.match(line):
            if chapter_no:
                chapters.append(Chapter(chapter_no, chapter_title, tuple(chapter_articles)))
            chapter_no, chapter_title, chapter_articles = cn_number(m.group(1)), m.group(2), []
            continue
        m = _ARTICLE_RE.match(line)
        if not m or not chapter_no:
            continue
        number = cn_number(m.group(1))
        title = m.group(2)
        rest = line[m.end():]
        dept_match = _DEPT_RE.search(rest)
        departments: tuple[str, ...] = ()
        if dept_match:
            departments = tuple(d for d in dept_match.group(1).split("、") if d)
            rest = rest[: dept_match.start()]
        body = rest.strip()
        clauses = tuple(
            Clause(f"{number}.{i}", number, i, s)
            for i, s in enumerate(_SENTENCE_RE.findall(body), start=1)
        )
        articles.append(
            Article(number, title, chapter_no, chapter_title, line.rstrip(), body, clauses, departments)
        )
        chapter_articles.append(number)
    if chapter_no:
        chapters.append(Chapter(chapter_no, chapter_title, tuple(chapter_articles)))
    numbers = [a.number for a in articles]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"policy articles out of order: {numbers}")
    return Policy(text=text, chapters=tuple(chapters), articles=tuple(articles))


@cache
def load_policy(path: Path = POLICY_PATH) -> Policy:
    return parse_policy(path.read_text(encoding="utf-8"))
