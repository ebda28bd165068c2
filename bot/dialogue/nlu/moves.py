"""Commands and conversational moves: what kind of message this is, read from the lexicon's
named classes (corpus/lexicon.yaml). Text is already normalized (calculators.textnorm)."""

from __future__ import annotations

import re

from calculators.catalogue import Catalogue
from calculators.grammar import lexicon

# A message that is "mainly" an article reference keeps at most this many other characters
# after the lexicon's filler words are removed ("看看第15条讲什么" -> "", "第十五条规定的高企奖补
# 要什么条件才能拿到呢" keeps far more and is a question about the article's content).
ARTICLE_LOOKUP_REST = 4
ARTICLES = range(1, 31)
CJK = re.compile(r"[\u4e00-\u9fff]")  # a Chinese character

_LEX = lexicon()


def is_move(name: str, text: str) -> bool:
    """Whether `text` is the lexicon class `name` (greeting, skip, done, yes, correction, …)."""
    return _LEX.matches(name, text)


def finditer(name: str, text: str):
    """The matches of the lexicon class `name` in `text`."""
    return _LEX.finditer(name, text)


ENGLISH_COUNTS = {w: i for i, w in enumerate("two three four five six seven eight nine ten".split(), start=2)}


def count_of(token: str) -> int | None:
    """'3', '三', '两', 'three' -> the number (None if it is none)."""
    return ENGLISH_COUNTS.get(token.lower()) or cn_or_int(token)


def cn_or_int(token: str) -> int | None:
    """'15', '十五', '两' -> the number (None if it is none)."""
    if token.isdigit():
        return int(token)
    from calculators.money import parse_amount
    from retrieval.corpus import cn_number

    try:
        return cn_number(token)
    except (ValueError, IndexError, KeyError):
        pass
    try:  # cn2an reads 两 and the other colloquial numerals
        return parse_amount(token)
    except ValueError:
        return None


def article_ref(text: str) -> int | None:
    """'第十五条', '第15条', '（十五）', '/article 15' -> 15 (only 1..30)."""
    m = _LEX.search("article_ref", text.strip())
    if not m:
        return None
    number = cn_or_int(next(g for g in m.groups() if g))
    return number if number in ARTICLES else None


TITLE_SHARED_MIN = 2  # characters a phrase shares with one article's title to name it ("飞地")


def article_by_title(text: str, titles: dict[int, str]) -> int | None:
    """"容错机制那条", "科技金融那一条": the article whose title shares the longest run of characters
    with the words before 那条, when one title alone shares the most (at least TITLE_SHARED_MIN)."""
    m = _LEX.search("article_by_title", text)
    if not m:
        return None
    said = m.group(1).strip("“”")

    def shared(title: str) -> int:
        return max((n for i in range(len(said)) for n in range(len(said) - i, 0, -1) if said[i:i + n] in title),
                   default=0)

    scores = sorted(((shared(t), n) for n, t in titles.items()), reverse=True)
    best, runner = scores[0], scores[1] if len(scores) > 1 else (0, None)
    return best[1] if best[0] >= TITLE_SHARED_MIN and best[0] > runner[0] else None


def article_lookup(text: str) -> int | None:
    """The article a message mainly refers to ("第十五条", "看看第15条讲什么"), else None."""
    number = article_ref(text)
    if number is None:
        return None
    rest = _LEX.regex("article_ref").sub("", text)
    rest = _LEX.regex("article_lookup_filler").sub("", rest)
    return number if len(rest) <= ARTICLE_LOOKUP_REST else None


def org_type_of(text: str, catalogue: Catalogue) -> str | None:
    """A typed or pressed organisation type: its label or key, else the first of the words users
    name it by (benefits.yaml org_type_words, in match order)."""
    stripped = text.strip()
    for key, label in catalogue.org_types.items():
        if stripped in (label, key):
            return key
    for key, words in catalogue.org_type_words.items():
        if any(_names_the_asker(text, w) for w in words):
            return key
    return None


ESTABLISHED_WINDOW = 12  # characters before an org word read for "办了个" / "成立了一家"


def _names_the_asker(text: str, word: str) -> bool:
    """`word` in `text` other than as something the asker set up ("…自己出钱办了个研究院")."""
    at = text.find(word)
    while at >= 0:
        if not _LEX.search("established_before", text[max(0, at - ESTABLISHED_WINDOW):at]):
            return True
        at = text.find(word, at + 1)
    return False


def looks_like_question(text: str) -> bool:
    return is_move("question", text)


QUESTION_KINDS = ("how_much", "asks_amount", "total", "ask.when", "ask.validity", "ask.overlap", "ask.old_policy",
                  "ask.failure",
                  "ask.funding_source", "ask.who", "ask.procedure", "ask.period", "ask.why")


ELLIPTICAL_KINDS = ("ask.when", "ask.who", "ask.procedure")
# what a bare follow-up may ask about the last answer: those, and its rate (那到底按多少比例补)
ONLY_ASKS_KINDS = (*ELLIPTICAL_KINDS, "ask.rate")


def only_asks(text: str) -> bool:
    """"要找哪个部门", "那什么时候截止", "怎么申请呢", "那到底按多少比例补": a when / who / how /
    what-rate question and nothing
    else, so what it asks about is the last answer's topic."""
    rest, asked = text, False
    for kind in ONLY_ASKS_KINDS:
        if _LEX.search(kind, rest):
            asked = True
            rest = _LEX.regex(kind).sub(" ", rest)
    return asked and not _LEX.regex("ask_filler").sub("", rest)


def clause_around(text: str, start: int, end: int) -> str:
    """The clause text[start:end] stands in, from the punctuation before it to the one after."""
    marks = [m.end() for m in _LEX.finditer("clause_end", text[:start])]
    after = _LEX.search("clause_end", text, end)
    return text[marks[-1] if marks else 0:after.start() if after else len(text)]


def told_event(text: str, start: int, end: int) -> bool:
    """Whether the words at text[start:end] tell that something happened or would ("入库了",
    "如果评审通过"), rather than ask about it."""
    return bool(_LEX.search("told_event_after", text[end:]) or _LEX.search("told_event_before", text[:start]))


def question_kinds(text: str) -> frozenset[str]:
    """The lexicon's question classes this message belongs to ("那什么时候到期" -> ask.when)."""
    return frozenset(k for k in QUESTION_KINDS if _LEX.matches(k, text))
