"""Answers from the text: a policy question's article and clauses, one article chosen by the
conversation, and Art. 30's rules (施行、有效期、就高从优不重复、废止)."""

from __future__ import annotations

from bot.dialogue.facts import Facts, PolicyAnswer
from bot.dialogue.handlers import form
from bot.dialogue.nlu import moves
from bot.dialogue.report import citation, first_clause_citation, report
from bot.dialogue.state import SetTopic, Topic, apply
from bot.dialogue.turn import Decision, Turn

RELATED_SHARE = 0.85
# a recognised thing left unnamed: a hit this close to the top (score share, among the first
# RECOGNISED_HITS) with an item at the level said leads (p40q006 0.72, p34q004 0.55)
RECOGNISED_SHARE = 0.5
RECOGNISED_HITS = 3
ANSWER_CLAUSES = 2  # clauses quoted for a policy answer
RULES_ARTICLE = 30  # 施行、有效期、就高从优不重复、废止
# The rule questions and the article that states each rule: asked with a money thing named, the
# rule is the answer, not the thing's amount ("已经按别的政策拿过了，还能再拿吗" is Art. 30;
# "市科技重大专项没做出来，会不会让退钱" is Art. 29's 容错, not Art. 9's 2000万)
RULE_ARTICLES = {"ask.overlap": RULES_ARTICLE, "ask.old_policy": RULES_ARTICLE, "ask.funding_source": RULES_ARTICLE,
                 "ask.validity": RULES_ARTICLE, "ask.failure": 29}
NOT_COVERED_RELATED = 2  # articles named as related in a not-covered reply


def asks_the_rules(turn: Turn) -> bool:
    """When the policy applies, whether benefits add up and what a failed funded project faces are
    rules (Art. 30, Art. 29: "已经按别的政策拿过了，还能再拿吗", "那什么时候到期", "2021年那个政策还能用吗",
    "项目没做成会不会被追责"), not a money article's amount."""
    f = turn.frame
    if f.search.reason is not None or f.article_lookup is not None:
        return False
    if {"ask.overlap", "ask.old_policy", "ask.funding_source", "ask.failure"} & f.kinds:
        return True
    # a date question about this policy itself: no recognition, no other programme's topic
    return "ask.validity" in f.kinds and not f.named and (not f.names_a_topic or f.top_article == RULES_ARTICLE)


def the_rules(turn: Turn) -> Decision:
    f = turn.frame
    kinds = [k for k in RULE_ARTICLES if k in f.kinds]
    number = RULE_ARTICLES[next((k for k in kinds if RULE_ARTICLES[k] != RULES_ARTICLE), kinds[0])]
    kinds = [k for k in kinds if RULE_ARTICLES[k] == number]
    article = turn.policy.article(number)
    # the clauses that state the rule asked about: the question's own class found in the clause
    # (就高 in 30.6 for an overlap question, 有效期 in 30.1 for a date, 废止 in 30.8 for the old policy)
    clause_ids = tuple(c.id for c in article.clauses if any(moves.is_move(k, c.text) for k in kinds))
    clause_ids = clause_ids[:ANSWER_CLAUSES] or (article.clauses[0].id,)
    related = tuple(dict.fromkeys(e.article for x in f.named for e in turn.catalogue.entries_for_trigger(x)))
    citations = [citation(turn.knowledge, number, cid, turn.policy.clause(cid).text) for cid in clause_ids]
    citations += [first_clause_citation(turn.knowledge, n) for n in related[:NOT_COVERED_RELATED] if n != number]
    on_dates = number == RULES_ARTICLE
    facts = Facts(intent="policy", covered=True,
                  answer=PolicyAnswer(article=number, clauses=clause_ids, related=related[:NOT_COVERED_RELATED]),
                  art30=on_dates, validity=on_dates, departments=tuple(article.departments), citations=tuple(citations))
    return Decision(facts, (SetTopic(topic_on(turn, number)),))



# --- policy answers --------------------------------------------------------------------------------

def in_scope(turn: Turn) -> bool:
    return turn.frame.top_article is not None


def _answering_hit(turn: Turn):
    """The search's top article; but a thing said to be recognised at a level without its name
    ("专门给刚创业的小团队提供工位、辅导和融资对接，今年被科技部认定成国家级的了") is one the policy
    recognises at that level: a close hit with such an item leads over a top without one."""
    f, catalogue = turn.frame, turn.catalogue
    hits = f.search.articles
    if not f.level or f.named or not moves.is_move("recognised_at_level", f.text):
        return hits[0]

    def recognises(article: int) -> bool:
        return any(e.level == f.level for e in catalogue.entries_for_article(article))

    if recognises(hits[0].article):
        return hits[0]
    return next((h for h in hits[1:RECOGNISED_HITS] if h.score >= RECOGNISED_SHARE * hits[0].score
                 and recognises(h.article)), hits[0])


def policy_answer(turn: Turn) -> Decision:
    f, policy, catalogue = turn.frame, turn.policy, turn.catalogue
    top = _answering_hit(turn)
    article = policy.article(top.article)
    clause_ids = tuple(c.clause_id for c in top.clauses[:ANSWER_CLAUSES]) or (article.clauses[0].id,)
    items = catalogue.entries_for_article(article.number)
    money = bool(items) and f.has("money")
    if money and (single := _single_item(turn, clause_ids[0])) is not None:
        return _item_report(turn, single, article.number)
    rules = article.number == RULES_ARTICLE or bool({"ask.validity", "ask.overlap", "ask.old_policy"} & f.kinds)
    others = [h for h in f.search.articles[:3] if h.article != top.article][:2]
    related = tuple(h.article for h in others if h.score >= RELATED_SHARE * top.score and h.clauses)
    citations = [citation(turn.knowledge, article.number, cid, policy.clause(cid).text) for cid in clause_ids]
    citations += [citation(turn.knowledge, h.article, h.clauses[0].clause_id, policy.clause(h.clauses[0].clause_id).text)
                  for h in others if h.article in related]
    facts = Facts(
        intent="policy", covered=True,
        answer=PolicyAnswer(article=article.number, clauses=clause_ids,
                            money_entries=tuple(e.id for e in items) if money else (),
                            no_money=not items, related=related),
        art30=rules, validity=rules, departments=tuple(article.departments), citations=tuple(citations),
    )
    return Decision(facts, (SetTopic(topic_on(turn, article.number)),))


def _single_item(turn: Turn, clause_id: str):
    """The one money item of the answering clause, when its thing has one level only: a money
    question answered there ("没有研发投入也没研发部门…有扶持吗" -> 14.1) is about that item."""
    catalogue = turn.catalogue
    entries = catalogue.entries_for_clause(clause_id)
    if len(entries) != 1 or entries[0].trigger not in catalogue.triggers:
        return None
    return entries[0] if len(catalogue.levels_of(catalogue.triggers[entries[0].trigger].object)) == 1 else None


def _item_report(turn: Turn, entry, article: int) -> Decision:
    """The item's report; a figure the message gives with the item's own cue words is its input
    ("…做测试，收入650万" for 21.2's sharing income)."""
    events = [e for e in form.figure_events(turn) if e.figure == entry.figure] if entry.figure else []
    after = apply(turn.state, events)
    decision = report(turn, after, [entry.trigger], primary=article)
    return Decision(decision.facts, (*events, *decision.events, SetTopic(Topic(article=article, triggers=(entry.trigger,)))))


def asks_about_an_article(turn: Turn) -> bool:
    """"第二十九条能给项目多少补贴？", "容错机制那条能给多少": a question on an article named by its number
    or its title's words, naming no recognition."""
    f = turn.frame
    return f.article_ref is not None and f.article_lookup is None and f.is_question() and not f.names_something


def named_article(turn: Turn) -> Decision:
    return article_answer(turn, turn.frame.article_ref)


def topic_on(turn: Turn, number: int) -> Topic:
    """The topic after an answer from article `number`: a question on the article just talked about
    ("多久考核一次" after the 飞地's amount) keeps the items it was about."""
    topic = turn.state.topic
    kept = topic.triggers if topic is not None and topic.article == number else ()
    return Topic(article=number, triggers=kept)


def article_answer(turn: Turn, number: int) -> Decision:
    """An answer from one article chosen by the conversation, not by the search."""
    article = turn.policy.article(number)
    clause_ids = tuple(c.id for c in article.clauses[:ANSWER_CLAUSES])
    items = turn.catalogue.entries_for_article(number)
    facts = Facts(intent="policy", covered=True,
                  answer=PolicyAnswer(article=number, clauses=clause_ids, money_entries=tuple(e.id for e in items),
                                      no_money=not items),
                  art30=number == RULES_ARTICLE, validity=number == RULES_ARTICLE,
                  departments=tuple(article.departments),
                  citations=tuple(citation(turn.knowledge, number, cid, turn.policy.clause(cid).text)
                                  for cid in clause_ids))
    return Decision(facts, (SetTopic(topic_on(turn, number)),))
