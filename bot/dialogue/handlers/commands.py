"""Commands and fixed replies: empty message, reset, help, small talk, the article list, one article."""

from __future__ import annotations

from bot.dialogue.facts import Facts, OptionRef, say
from bot.dialogue.report import citation
from bot.dialogue.state import Reset, SetTopic, Topic
from bot.dialogue.turn import Decision, Turn

HELP_OPTIONS = (OptionRef(id="example:check"), OptionRef(id="example:hitech"), OptionRef(id="example:articles"))
RESET_OPTIONS = (OptionRef(id="example:check"), OptionRef(id="example:articles"))


def empty(turn: Turn) -> Decision:
    return Decision(Facts(intent="empty", covered=False, lead=(say("empty"),)))


def reset(turn: Turn) -> Decision:
    return Decision(Facts(intent="reset", covered=False, lead=(say("reset"),), help=True, options=RESET_OPTIONS),
                    (Reset(),))


def help_(turn: Turn) -> Decision:
    return Decision(Facts(intent="help", covered=False, help=True, options=HELP_OPTIONS))


def small_talk(turn: Turn) -> Decision:
    if turn.frame.has("thanks"):
        return Decision(Facts(intent="small_talk", covered=False, lead=(say("thanks"),)))
    return help_(turn)


def articles(turn: Turn) -> Decision:
    return Decision(Facts(intent="articles", covered=True, articles_list=True))


def article(turn: Turn) -> Decision:
    number = turn.frame.article_lookup
    art = turn.policy.article(number)
    return Decision(Facts(
        intent="article", covered=True, article=number,
        validity=number == 30, art30=False,
        citations=tuple(citation(turn.knowledge, number, c.id, c.text) for c in art.clauses),
        departments=tuple(art.departments),
    ), (SetTopic(Topic(article=number)),))
