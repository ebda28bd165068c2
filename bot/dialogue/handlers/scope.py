"""Replies for what the policy does not cover: benefits it never gives, other places' programmes,
another body's criteria, procedures, deadlines and fees."""

from __future__ import annotations

from bot.dialogue.facts import Facts, NotCovered, UnpaidLevel
from bot.dialogue.handlers.answers import (
    NOT_COVERED_RELATED,
)
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.levels import LEVELS as LEVEL_ORDER
from bot.dialogue.nlu.levels import negated_before
from bot.dialogue.report import citation, first_clause_citation
from bot.dialogue.state import SetTopic, Topic
from bot.dialogue.turn import Decision, Turn
from retrieval.scope import asking_part, asking_spans

# --- not covered -----------------------------------------------------------------------------------

def articles_named(turn: Turn) -> list[int]:
    return [e.article for x in turn.frame.named for e in turn.catalogue.entries_for_trigger(x)]


def not_covered_by_rule(turn: Turn) -> bool:
    """Asks for a benefit the policy never gives, or about another city's programme."""
    f = turn.frame
    if f.search.reason == "other_place" and place_gives_an_input(turn):
        return False
    return f.search.reason is not None


def place_gives_an_input(turn: Turn) -> bool:
    """"换成国家科技进步二等奖呢？国家那边的奖金额度我记不清了": the body named pays the amount a named
    recognition's rule takes as its input (the prize money matched 1:1), not a programme of its own."""
    f, catalogue = turn.frame, turn.catalogue
    place = f.search.place or ""
    at = f.text.find(place)
    if at < 0:
        return False
    after = f.text[at + len(place):at + len(place) + PLACE_INPUT_WINDOW]
    inputs = [catalogue.figures[k] for k in catalogue.figures_for(f.named) if catalogue.figures[k].paid_by_another]
    return any(cue in after for fig in inputs for cue in fig.cues)


PLACE_INPUT_WINDOW = 6  # characters after the place read for the input's own words ("的奖金额度")


def not_covered(turn: Turn) -> Decision:
    f = turn.frame
    named = [e.article for x in f.named for e in turn.catalogue.entries_for_trigger(x)]
    related = sorted(set(named))[:NOT_COVERED_RELATED] or [h.article for h in f.search.articles[:1] if h.score > 0]
    return out_of_scope(turn, related=related, place=f.search.place)


def out_of_scope(turn: Turn, related=(), place=None) -> Decision:
    related = tuple(related)
    facts = Facts(intent="out_of_scope", covered=False, not_covered=NotCovered(place=place, related=related),
                  citations=tuple(first_clause_citation(turn.knowledge, n) for n in related))
    # "高企认定条件是什么" → "那认定下来以后市里给多少": the thing named stays the topic of a follow-up
    named = tuple(turn.frame.detected.triggers)
    return Decision(facts, (SetTopic(Topic(article=related[0], triggers=named)),) if named and related else ())


def names_unpaid_level(turn: Turn) -> bool:
    """"我们是市级众创空间，有没有奖补", "国家级的科技领军企业能拿吗": the only things named are named at
    a level the policy does not pay them at. Not covered; the article and the levels it pays are
    named, so no amount of another level is shown as if it applied."""
    detected = turn.frame.detected
    # a recognition seen only in an amount's words (年研发经费1200万) is background, not a thing named
    named = [t for t in detected.triggers if t not in turn.frame.said_as_amounts]
    return bool(detected.unpaid) and not named and not detected.ambiguous


def unpaid_level(turn: Turn) -> Decision:
    return unpaid_answer(turn, list(turn.frame.detected.unpaid.values()))


def unpaid_answer(turn: Turn, found_unpaid) -> Decision:
    """Not covered: each thing at the level said, with the levels its article does pay."""
    catalogue = turn.catalogue
    unpaid, citations = [], []
    for found in found_unpaid:
        entries = [e for t in found.triggers for e in catalogue.entries_for_trigger(t)]
        if not entries:
            continue
        paid = tuple(lv for lv in LEVEL_ORDER if any(lv in catalogue.triggers[t].recognised_at for t in found.triggers))
        unpaid.append(UnpaidLevel(said=found.said, level=found.level, paid=paid, article=entries[0].article,
                                  issuer=found.issuer))
        clause = turn.policy.clause(entries[0].clause)
        citations.append(citation(turn.knowledge, entries[0].article, clause.id, clause.text))
    related = tuple(dict.fromkeys(u.article for u in unpaid))
    asked = moves.is_move("asks_which_levels", turn.frame.text)
    facts = Facts(intent="policy" if asked else "out_of_scope", covered=asked,
                  not_covered=NotCovered(related=related, unpaid=tuple(unpaid), levels_asked=asked),
                  citations=tuple(dict.fromkeys(citations)))
    named = tuple(dict.fromkeys(t for found in found_unpaid for t in found.triggers))
    topic = Topic(article=related[0], unpaid=named) if related else None
    return Decision(facts, (SetTopic(topic),) if topic else ())


def asks_another_bodys_matter(turn: Turn) -> bool:
    """"高企认定要满足哪些条件", "国家科学技术奖怎么提名", "申报指南几月份发", "技术合同登记去哪儿办":
    a recognition's criteria, a procedure, a deadline, a fee or an office of another body. This
    policy pays after such a recognition and sets none of these; without a word asking for this
    policy's support the question is not covered (the related article is named). Questions on
    this policy's own measures (the rights and procedures of Art. 22, 23, 29: articles with no
    money item) stay answered."""
    f = turn.frame
    if not f.is_question():
        return False
    home = moves.is_move("payer_home", f.text)
    if _another_payer_asked(f.text):
        return True  # "区里给多少", "自治区本级财政拨多少": that body's own money
    if (moves.is_move("payer_programme", f.text) and not home and not moves.is_move("money_asked", f.text)
            and (moves.is_move("ask.criteria", f.text) or moves.is_move("ask.procedure", f.text))):
        return True  # "申请国家自然科学基金，申请人必须要有副高职称吗": that programme's own rules
    if moves.is_move("payer_programme", f.text) and not home and moves.is_move("ask.programme_money", f.text):
        return True  # "国家自然科学基金青年项目资助强度是多少钱": that programme's own money
    if _asks_an_input_value(turn):  # "自治区科学技术进步奖一等奖的奖金是多少钱", "…后补助是按合同额的百分之几给的"
        return True
    if not f.named and moves.is_move("titled_by_private", f.text):
        return True  # "行业协会给我们评了个‘科技创新示范企业’称号，有没有奖金": the association's own title
    if asks_support(f.text) or moves.is_move("asks_how_managed", f.text):
        return False  # this policy's money, or how its funds are managed (Art. 23)
    top = f.top_article
    candidates = set(articles_named(turn)) | ({top} if top else set())
    texts = [turn.policy.article(n).text for n in candidates]
    # a matter the answering article itself speaks of (技术经纪人 评职称 in Art. 27) is this policy's;
    # in a long pasted message only what it asks counts (the forwarded notice's 设备采购 is not asked)
    asked = asking_spans(f.text)
    # "（评职称要用）": what the answer is for is background, not a matter asked; "按什么标准补" asks the money
    aside = [m.span() for name in ("purpose_remark", "money_asked") for m in moves.finditer(name, f.text)]

    def unanswered(name: str) -> bool:
        return any(not any(m.group(0) in text for text in texts) and not moves.told_event(f.text, m.start(), m.end())
                   and any(s <= m.start() and m.end() <= e for s, e in asked)
                   and not any(s <= m.start() and m.end() <= e for s, e in aside)
                   for m in moves.finditer(name, f.text))

    # a matter an article only names (27.5: 技术经纪 in the 职称评审 sequence): its criteria are another body's
    if moves.is_move("ask.criteria", f.text) and any(True for _ in moves.finditer("ask.foreign_matter", f.text)):
        return True
    if f.named:  # a recognition named: its criteria, procedure, dates are another body's
        return unanswered("ask.other_matter")
    # a programme or benefit the policy lacks named ("专精特新小巨人申报啥时候截止"): its dates and papers
    asking = asking_part(f.text)
    if turn.knowledge.retriever.lexicon.mask_out_of_scope(asking) != asking:
        return unanswered("ask.other_matter")
    # nothing of the policy named: only the matters no article sets (fees, land, titles, permits…)
    # and, asked of a money article, the errand itself (where to go, which papers)
    if top is None:  # "工商年报什么时候截止": a matter no article sets, asked with this policy's words (截止)
        return unanswered("ask.foreign_matter")
    if not turn.catalogue.entries_for_article(top) and unanswered("ask.errand_date"):
        return True  # "认定材料第一批几号截止": no article sets an errand's dates (Art. 30 only its own validity)
    return unanswered("ask.foreign_matter") or (
        bool(turn.catalogue.entries_for_article(top)) and unanswered("ask.procedure_elsewhere"))


def _another_payer_asked(text: str) -> bool:
    """Another government's own money asked, in a clause that does not name the city as payer
    ("我知道市里一次性给一笔，但…自治区本级财政自己给多少"): the city named elsewhere is contrast."""
    for m in moves.finditer("payer_other", text):
        clause = moves.clause_around(text, m.start(), m.end())
        if not moves.is_move("payer_home", clause):
            return True
    return False


def asks_support(text: str) -> bool:
    """Whether the message asks for this policy's support ("想问的不是奖补" does not, nor "能不能享受
    价格扣除": what is to be enjoyed is another body's matter)."""
    foreign = [m.start() for m in moves.finditer("ask.foreign_matter", text)]
    return any(not negated_before(text, m.start()) and not any(0 <= s - m.end() <= SUPPORT_OBJECT_GAP for s in foreign)
               for m in moves.finditer("asks_support", text))


SUPPORT_OBJECT_GAP = 2  # characters between 能享受 and the thing to be enjoyed


RATE_ON_WINDOW = 6  # "按国家拨款的": how far before the input's words the 按 of this policy's rate stands


def _asks_an_input_value(turn: Turn) -> bool:
    """How much a rule's input is (the prize money, the national allocation, the region's
    post-subsidy): another body's money, which this policy only matches or follows."""
    f = turn.frame
    # "刚评上高企，奖金多少" asks Art. 15's award, no input; with nothing named, any rule's input
    # ("自治区技术交易后补助是按合同额的百分之几给的")
    inputs = turn.catalogue.figures_for(f.named) if f.named else [k for k, fig in turn.catalogue.figures.items()
                                                                   if fig.paid_by_another]
    # "按拨款多少比例补", "补助按研发投入的百分之几算": this policy's rate on the input, not the input
    return any(moves.is_move("asks_input_value", f.text[m.end():])
               and not moves.is_move("rate_on_input", f.text[max(0, m.start() - RATE_ON_WINDOW):m.start()])
               for key in inputs for cue in turn.catalogue.figures[key].cue_patterns for m in cue.finditer(f.text))


def another_bodys_matter(turn: Turn) -> Decision:
    f = turn.frame
    named = sorted(set(articles_named(turn)))[:NOT_COVERED_RELATED]
    return out_of_scope(turn, related=named or [a for a in [f.top_article] if a])


def nothing_found(turn: Turn) -> Decision:
    return out_of_scope(turn)


