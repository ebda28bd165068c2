"""Follow-ups that name only what changes (换成自治区级呢) or lean on the last answer's topic
(这个要找哪个部门, 那每年的运行补贴呢)."""

from __future__ import annotations

from bot.dialogue.facts import say
from bot.dialogue.frame import ELLIPTICAL_MAX
from bot.dialogue.handlers import scope
from bot.dialogue.handlers.answers import RULES_ARTICLE, article_answer
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.moves import CJK
from bot.dialogue.nlu.recognitions import Unpaid
from bot.dialogue.report import citation, report
from bot.dialogue.state import SetCounts, SetTopic, Topic, apply
from bot.dialogue.turn import Decision, Turn
from calculators.format import BASIS_PREFIX, PERIOD_LABELS, format_yuan
from calculators.grammar import lexicon
from calculators.money import scan_money
from calculators.textnorm import normalize

# A follow-up is short: it names the change and leans on the last answer for the rest (the same
# length understand() uses to read "众创空间呢" at the last answer's level).
FOLLOW_UP_MAX = ELLIPTICAL_MAX
# a question this short that uses the words of the topic's own items is about the topic
FOLLOW_UP_WORDS_MAX = 16
# a follow-up telling an amount may say whose it is ("不对，后来企业又追加了，总共45万，都是企业出的钱")
AMOUNT_FOLLOW_UP_MAX = 32
FOLLOW_UP_SHARED = 3  # characters a follow-up shares with the topic's item names ("运行补贴")


def _level_siblings(turn: Turn) -> list[tuple[str, str]]:
    """(told trigger, its sibling at the level the message names)."""
    f, catalogue = turn.frame, turn.catalogue
    told = _told_things(turn)
    level = f.corrected_level or f.level
    pairs = []
    for tid in told:
        trigger = catalogue.triggers[tid]
        sibling = next((x for x, t in catalogue.triggers.items() if t.object == trigger.object and t.level == level), None)
        if sibling and sibling != tid:
            pairs.append((tid, sibling))
    return pairs


def is_level_follow_up(turn: Turn) -> bool:
    """"换成自治区级呢", "那区级的呢", "What about the regional level?": only a level is named."""
    f, topic = turn.frame, turn.state.topic
    # after "本政策没有对市级的…规定": "不对不对，刚问了办公室，是自治区级的" corrects the level said
    corrects_unpaid = bool(topic and topic.unpaid) and f.has("correction") and f.corrected_level is not None
    return (not f.names_something and (f.level or f.corrected_level) is not None
            and (f.has("follow_up") or len(f.text) <= FOLLOW_UP_MAX or corrects_unpaid)
            and bool(_level_siblings(turn) or _unpaid_at_level(turn)))


def _told_things(turn: Turn) -> list[str]:
    topic = turn.state.topic
    return list((topic.triggers or topic.unpaid) if topic else ()) or list(turn.state.triggers)


def _unpaid_at_level(turn: Turn) -> list[Unpaid]:
    """"那市级的有没有" after the 企业技术中心: the told thing at a level the policy does not pay it at."""
    f, catalogue = turn.frame, turn.catalogue
    level = f.corrected_level or f.level
    out: dict[str, Unpaid] = {}
    for tid in _told_things(turn):
        obj = catalogue.triggers[tid].object
        paid = catalogue.recognised_levels(obj)
        if paid and level not in paid and obj not in out:
            out[obj] = Unpaid(level, obj, tuple(catalogue.objects[obj]))
    return list(out.values())


def level_follow_up(turn: Turn) -> Decision:
    """The same question at the other level: a what-if, so the told facts stay as they were."""
    if not _level_siblings(turn):
        return scope.unpaid_answer(turn, _unpaid_at_level(turn))
    siblings = [s for _, s in _level_siblings(turn)]
    primary = turn.catalogue.entries_for_trigger(siblings[0])[0].article
    decision = report(turn, turn.state, siblings, primary=primary)
    return Decision(decision.facts, (*decision.events, SetTopic(Topic(article=primary, triggers=tuple(siblings)))))


def is_variant_follow_up(turn: Turn) -> bool:
    """"研发类的呢", "要是期满考核优秀呢": names only what tells one item of the topic's thing from
    another."""
    f = turn.frame
    topic = turn.state.topic
    # longer, it is still one when it asks and finds no topic of its own ("三年期满考核优秀还能再拿吗")
    own_topic = f.names_a_topic and (topic is None or f.top_article != topic.article)
    return (not f.named and f.article_ref is None and bool(f.topic_variants)
            and (f.has("follow_up") or len(f.text) <= FOLLOW_UP_MAX
                 or f.is_question() and not own_topic and bool(f.topic_variants_said)))


def variant_follow_up(turn: Turn) -> Decision:
    """The same question for the other item: a what-if, so the told facts stay as they were."""
    variants = list(turn.frame.topic_variants)
    primary = turn.catalogue.entries_for_trigger(variants[0])[0].article
    decision = report(turn, turn.state, variants, primary=primary)
    return Decision(decision.facts, (*decision.events, SetTopic(Topic(article=primary, triggers=tuple(variants)))))


def _shares_words(text: str, items) -> bool:
    """Whether the message repeats three or more characters of one of these item names."""
    return any(text[i:i + FOLLOW_UP_SHARED] in item for item in items for i in range(len(text) - FOLLOW_UP_SHARED + 1))


def _cap_only(entry) -> bool:
    """An item whose text gives a cap and nothing to compute it from (分档给予最高500万元)."""
    return entry.figure is None and bool(getattr(entry.rule, "cap_yuan", None))


def _amount_for_a_rule_topic(turn: Turn) -> bool:
    """"合同是38万" after Art. 22's 横向课题 rule, "去年1,200万，前年800万，能算出具体多少吗" after Art. 16's
    cap: a short message with an amount of no rule's input, told of a topic that pays nothing or only
    caps, is about that topic's own conditions (达到40万元及以上) or its missing rate."""
    f, topic = turn.frame, turn.state.topic
    entries = turn.catalogue.entries_for_article(topic.article) if topic.article else []
    return (bool(topic.article) and all(_cap_only(e) for e in entries) and not f.names_something
            and not f.figures.values and any(fm.value for fm in f.figures.unassigned)
            and len(f.text) <= AMOUNT_FOLLOW_UP_MAX)


def _topic_items(turn: Turn) -> list[str]:
    """The names of the topic's items (its recognitions' and its article's)."""
    topic = turn.state.topic
    items = [e.item for t in topic.triggers for e in turn.catalogue.entries_for_trigger(t)]
    if topic.article:
        items += [e.item for e in turn.catalogue.entries_for_article(topic.article)]
    return items


def is_topic_follow_up(turn: Turn) -> bool:
    """"这个要找哪个部门申报", "那每年的运行补贴呢", "那什么条件": a question that names nothing of
    its own and leans on what the last answer was about."""
    f, topic = turn.frame, turn.state.topic
    if topic is not None and _amount_for_a_rule_topic(turn):
        return True
    if topic is None or f.names_something or f.article_ref is not None or not (f.is_question() or f.is_elliptical_question()):
        return False
    if scope.asks_another_bodys_matter(turn):  # "那科创贷年利率现在是多少": the bank's matter, not the topic's
        return False
    if "ask.why" in f.kinds and not f.figures.values:  # "为什么只说最高，不能说个准数吗": about what was shown
        return True
    # "认定以后每年还有运营补贴吗", "被认定了以后是不是每年都还有运行补贴呀": how often, asked of no
    # topic of its own or in the words of the topic's own items, whatever its length
    # ("And is there any yearly operating subsidy?": English retrieval is the weaker signal)
    if "ask.period" in f.kinds and not f.figures.values and f.search.reason is None and (
            not f.names_a_topic or _shares_words(f.text, _topic_items(turn))
            or (f.has("follow_up") and not CJK.search(f.text))):
        return True
    if f.search.reason is not None:
        return False
    if moves.only_asks(f.text):  # "要找哪个部门"
        return True
    if moves.is_move("back_to_topic", f.text):  # "回到刚才那个，这笔钱找哪个部门"
        return True
    if moves.is_move("counts_apart", f.text) and not f.figures.values:  # "…做了一个专项咨询，这个另外算吗"
        return True
    # "这个要找哪个部门申报"; but "那这种重大专项最多能批多少" after Art. 29 names its own topic
    if moves.is_move("refers_back", f.text) and not (f.names_a_topic and f.top_article != topic.article
                                                     and f.kinds & {"how_much", "asks_amount"}):
        return True
    conditions = {c for t in topic.triggers for e in turn.catalogue.entries_for_trigger(t) for c in e.conditions}
    if f.denied_conditions & conditions:  # "如果我们只是第二完成单位，有没有份": the topic item's condition
        return True
    marked = f.has("follow_up")
    if not f.names_a_topic:
        return marked or len(f.text) <= FOLLOW_UP_MAX
    # it names words of its own: only a follow-up when they are the topic's own items' words
    items = _topic_items(turn)
    # "以后每年还有运行补贴吗" after 院士专家工作站: a short question in the words of the topic's own items
    short = len(f.text) <= FOLLOW_UP_WORDS_MAX
    return (marked or short) and f.top_article != topic.article and _shares_words(f.text, items) or (
        marked and f.top_article == topic.article)


def topic_follow_up(turn: Turn) -> Decision:
    topic, catalogue = turn.state.topic, turn.catalogue
    if topic.article == RULES_ARTICLE and not topic.triggers and turn.state.triggers and (
            turn.frame.kinds & {"ask.who", "ask.procedure"}):
        # "这政策管到哪年" then "好，找谁申请": whom to apply to is asked of the money told, not of Art. 30
        told = list(turn.state.triggers)
        primary = catalogue.entries_for_trigger(told[-1])[0].article
        decision = report(turn, turn.state, told, primary=primary)
        return Decision(decision.facts, (*decision.events, SetTopic(Topic(article=primary, triggers=tuple(told)))))
    # after "本政策没有对市级的孵化器规定奖补": the recognitions told of that article are what is left to ask about
    told = [t for t in turn.state.triggers if any(e.article == topic.article for e in catalogue.entries_for_trigger(t))]
    triggers = list(topic.triggers) or (told if topic.unpaid else [])
    if triggers:
        state = turn.state
        if m := lexicon().search("counted_follow_up", turn.frame.text):
            # "要是有两个国家级的呢": a what-if on how many there are; the told count stays as it was
            n = moves.count_of(m.group(1)) or 1
            state = apply(state, [SetCounts(tuple(dict.fromkeys(triggers, n).items()))])
        decision = report(turn, state, triggers, primary=topic.article)
        facts = decision.facts
        kinds = turn.frame.kinds | ({"ask.why"} if _amount_for_a_rule_topic(turn) else set())  # "能算出具体多少吗"
        if facts.report is not None and (leads := aspect_leads(kinds, facts.report.benefits)):
            facts = facts.model_copy(update={"lead": (*leads, *facts.lead)})
        return Decision(facts, (*decision.events, SetTopic(topic)))
    decision = article_answer(turn, topic.article)
    if _amount_for_a_rule_topic(turn):
        if found := _threshold(turn, topic.article):
            return Decision(_threshold_first(turn, decision.facts, *found), decision.events)
        # the text gives a cap and no rate or tiers: the amounts told compute nothing more, said so
        leads = tuple(say("aspect_why_up_to", item=e.item, amount=format_yuan(e.rule.cap_yuan), formula="")
                      for e in catalogue.entries_for_article(topic.article))
        return Decision(decision.facts.model_copy(update={"lead": (*leads, *decision.facts.lead)}), decision.events)
    return decision


def _threshold(turn: Turn, article: int):
    """(clause, lead) for the first clause of `article` that sets an amount as a threshold (横向课题非财政
    经费达到40万元及以上), compared with the last amount the message gives."""
    amount = [fm.value for fm in turn.frame.figures.unassigned if fm.value][-1]
    for clause in turn.policy.article(article).clauses:
        text = normalize(clause.text)
        for m in scan_money(clause.text):
            if m.value_yuan and (lexicon().search("threshold_after", text[m.end:])
                                 or lexicon().search("threshold_before", text[:m.start])):
                met = "threshold_met" if amount >= m.value_yuan else "threshold_unmet"
                return clause, say(met, amount=format_yuan(amount), threshold=format_yuan(m.value_yuan), quote=clause.text)
    return None


def _threshold_first(turn: Turn, facts, clause, lead):
    """The answer with the threshold's clause quoted first and the comparison leading."""
    cited = [c for c in facts.citations if c.clause == clause.id] or [
        citation(turn.knowledge, facts.answer.article, clause.id, clause.text)]
    others = [c for c in facts.citations if c.clause != clause.id]
    answer = facts.answer.model_copy(update={"clauses": (clause.id, *(c for c in facts.answer.clauses if c != clause.id))})
    return facts.model_copy(update={"lead": (lead, *facts.lead), "citations": (*cited, *others), "answer": answer})


def aspect_leads(kinds, benefits) -> tuple:
    """The side of the items a follow-up asks about, answered first from the items themselves: how
    often each is paid ("每年都有吗", "是一次性的吧") or why its amount is what it is ("为什么只有这么多",
    "怎么才50万": a fixed sum, a cap with no rate, or the formula with its cap)."""
    leads = []
    if "ask.period" in kinds:
        leads += [say("aspect_period", item=b.item, period=PERIOD_LABELS.get(b.period, b.period),
                      amount=BASIS_PREFIX[b.basis] + format_yuan(b.amount_yuan),
                      years=say("benefit_years", years=b.duration_years) if b.duration_years else "") for b in benefits]
    if "ask.why" in kinds:
        leads += [say(f"aspect_why_{b.basis}", item=b.item, amount=format_yuan(b.amount_yuan), formula=b.formula)
                  for b in benefits]
    return tuple(leads)



