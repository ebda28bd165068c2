"""understand(text, state) -> Frame: a message read once, into typed facts the rules decide on.

Everything the rule table and the handlers need to know about a message is here; nothing reads
the text again. The retrieval result is computed on first use and at most once per message
(tests/dialogue/test_frame.py counts it), so a form answer such as "企业" never searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.dialogue.nlu import conditions, levels, moves, recognitions
from bot.dialogue.nlu import figures as fig
from bot.dialogue.nlu.moves import ELLIPTICAL_KINDS
from bot.dialogue.state import SessionState
from calculators.textnorm import normalize
from retrieval.scope import asking_spans

# Moves read from the lexicon for every message (corpus/lexicon.yaml class names).
MOVES = ("greeting", "thanks", "help", "reset", "check", "articles_list", "exit", "skip", "done", "yes", "no",
         "correction", "question", "form_start", "total", "adding", "money", "claim", "asker", "follow_up")
# "Names a topic": the retrieval's confidence above what a question made only of benefit words
# gets (exactly this value: search.py's threshold), so "能拿多少钱" names none.
TOPIC_CONFIDENCE = 0.5
ELLIPTICAL = frozenset(ELLIPTICAL_KINDS)
AMOUNT_AFTER_WORDS = 8  # characters between an amount's words and the amount (年研发经费1200万)


@dataclass(frozen=True)
class Frame:
    raw: str
    text: str  # normalized; typed text with homophone typos put right
    pressed: str | None  # the id of the option pressed, None for typed text
    moves: frozenset[str]
    kinds: frozenset[str]  # question kinds: how_much, ask.when, ask.overlap, …
    article_ref: int | None  # an article named anywhere ("那第十七条呢")
    article_lookup: int | None  # the message is mainly a reference to this article
    org_type: str | None
    detected: recognitions.Detected
    figures: fig.FigureReading
    level: str | None  # a level word in the message (国家级, 自治区级 …)
    corrected_level: str | None  # the level a correction settles on
    denied_conditions: frozenset[str] = frozenset()  # item conditions the message says are not met
    # other items of the topic's things the message picks out when read after the topic's name
    # ("研发类的呢" after 孵化类飞地 -> 研发类飞地); empty when it names something itself
    topic_variants: tuple[str, ...] = ()
    # of those, the ones the message's own words pick out, not the thing's name alone ("三年期满考核
    # 优秀还能再拿吗" -> 研发类飞地考核优秀; "院士过来要住…" names no item of the 工作站)
    topic_variants_said: tuple[str, ...] = ()
    _knowledge: object = None

    def has(self, move: str) -> bool:
        return move in self.moves

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def names_something(self) -> bool:
        """A recognition named, paid or not ("那市科技进步奖呢" names one the policy does not pay)."""
        return bool(self.detected.all_ids() or self.detected.unpaid)

    @property
    def named(self) -> list[str]:
        """Every recognition the message names (resolved and level-ambiguous)."""
        return self.detected.all_ids()

    @cached_property
    def search(self):
        """The one retrieval result for this message."""
        return self._knowledge.retriever.search(self.text)

    @property
    def names_a_topic(self) -> bool:
        """The keywords find a topic of their own: more than benefit words ("揭榜挂帅项目能拿多少钱"
        does, "能拿多少钱" does not)."""
        return self.search.in_scope and self.search.confidence > TOPIC_CONFIDENCE

    @property
    def top_article(self) -> int | None:
        result = self.search
        return result.articles[0].article if result.in_scope and result.articles else None

    @cached_property
    def question_spans(self) -> tuple[tuple[int, int], ...]:
        """Where a long message asks: its asking sentences (retrieval.scope.asking_spans), each from
        its lead-in on ("…（以上转自某某孵化器群） 请问：要是我们…"); empty for a short message, whose
        whole text is the question."""
        spans = asking_spans(self.text)
        if spans == [(0, len(self.text))]:
            return ()
        out = []
        for start, end in spans:
            lead = [m.start() for m in moves.finditer("question_lead", self.text[start:end])]
            out.append((start + lead[-1], end) if lead else (start, end))
        return tuple(out)

    @property
    def asked_article(self) -> int | None:
        """A long message: the article its question's own specific words point to (None when the
        question names no topic of its own: "我们能拿到哪些奖励？")."""
        return self.search.asked_article if self.long else None

    @property
    def long(self) -> bool:
        """Context plus a question: only some of its sentences ask."""
        return bool(self.question_spans)

    def in_the_question(self, trigger: str) -> bool:
        """Whether a long message names this recognition where it asks."""
        return any(s <= start < e for start, _end in self.detected.spans.get(trigger, []) for s, e in self.question_spans)

    @cached_property
    def said_as_amounts(self) -> frozenset[str]:
        """Recognitions seen only in the words of an amount told right after them ("年研发经费1200万",
        "科研投入2800万" names a figure, not the enterprise R&D recognition)."""
        catalogue = self._knowledge.catalogue
        starts = [fm.mention.start for fm in self.figures.mentions]
        return frozenset(
            t for t in self.detected.triggers
            if recognitions.said_as_figure(self.detected.spans.get(t, []), self.text, catalogue)
            and any(0 <= a - e <= AMOUNT_AFTER_WORDS for _s, e in self.detected.spans.get(t, []) for a in starts))

    def is_question(self) -> bool:
        return self.pressed is None and self.has("question")

    def is_elliptical_question(self) -> bool:
        """A who / when / how question, asked or not with the question words ("找谁")."""
        return self.pressed is None and bool(self.kinds & ELLIPTICAL)


def _items_by_mention(reading, detected, catalogue) -> None:
    """Several recognitions named, each followed by its own amount of one figure ("一项国家科学技术奖
    （奖金20万元）和一项自治区科学技术奖（奖金50万元）"): the amounts are items, one per mention."""
    for key, parts in reading.parts.items():
        if len(parts) < 2 or key in reading.itemised or catalogue.figures[key].multiple:
            continue
        spans = sorted({span for t in detected.triggers if key in catalogue.figures_for([t])
                        for span in detected.spans.get(t, [])})
        amounts = [fm.mention.start for fm in reading.mentions if fm.role == key and fm.value is not None
                   and not fm.deducted and not fm.own_share and not fm.told_ref and fm.mention.error is None]
        if len(spans) != len(amounts):
            continue
        bounds = [start for start, _ in spans] + [float("inf")]
        if all(bounds[i] < amounts[i] < bounds[i + 1] for i in range(len(amounts))):
            reading.values[key] = parts
            reading.itemised.add(key)


def _drop_unpaid_amounts(text: str, reading, detected, catalogue) -> None:
    """An amount in the sentence of a mention at an unpaid level, after it and before any paid
    mention of the thing, is that unpaid thing's ("得了市科技进步奖二等奖，市里发了3万块奖金"): it is
    ruled out as the paid item's input, said so, never computed."""
    if not detected.unpaid_spans:
        return
    unpaid = {(start, end) for start, end, _obj in detected.unpaid_spans}
    for fm in list(reading.mentions):
        if fm.role in (None, fig.OTHER_ROLE) or fm.value is None or fm.role not in reading.values:
            continue
        for _start, end, obj in detected.unpaid_spans:
            paid_starts = [s for t in detected.all_ids() if catalogue.triggers[t].object == obj
                           for s, e in detected.spans.get(t, []) if (s, e) not in unpaid]
            paid_between = any(end <= s < fm.mention.start for s in paid_starts)
            if end <= fm.mention.start and not fig.sentence_break(text, end, fm.mention.start) and not paid_between:
                kept = list(reading.values[fm.role])
                if fm.value in kept:
                    kept.remove(fm.value)
                reading.excluded.setdefault(fm.role, []).append(fm)
                if kept:
                    reading.values[fm.role] = tuple(kept)
                else:
                    del reading.values[fm.role]
                break


# an elliptical follow-up ("众创空间呢") is this short or marked as one
ELLIPTICAL_MAX = 12


def _level_of_the_topic(text: str, found: set[str], detected, state: SessionState, catalogue) -> None:
    """"换成自治区级呢" … "众创空间呢": a thing named without a level in an elliptical follow-up takes
    the one level of the last answer's things (only when that level has the thing)."""
    topic = state.topic
    if not detected.ambiguous or topic is None or not topic.triggers:
        return
    if "follow_up" not in found and len(text) > ELLIPTICAL_MAX:
        return
    topic_levels = {catalogue.triggers[t].level for t in topic.triggers}
    if len(topic_levels) != 1 or (level := next(iter(topic_levels))) == "none":
        return
    for obj, family in list(detected.ambiguous.items()):
        at_level = [t for t in family if catalogue.triggers[t].level == level]
        if len(at_level) == 1:
            del detected.ambiguous[obj]
            detected.triggers.append(at_level[0])


def _topic_variants(text: str, state: SessionState, catalogue) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Other items of the things talked about (the topic's recognitions, or, after an answer on
    the rules, the recognitions told: "…研发类飞地…" … "那孵化类考核优秀再奖多少"), and those of
    them read from the message's own words (see Frame.topic_variants_said)."""
    topic = state.topic
    about = topic.triggers if topic is not None and topic.triggers else state.triggers
    found: list[str] = []
    said: set[str] = set()
    for tid in about:
        # read as said of the thing ("人才科创飞地，那孵化类考核优秀…"); only when that names no item,
        # of the item told, whose own words carry its kind ("首次认定研发类飞地，三年期满考核优秀…")
        trigger = catalogue.triggers[tid]
        for lead in (trigger.object, trigger.label):
            read = recognitions.detect_triggers(f"{lead}，{text}", catalogue)
            same = [x for x in read.triggers if x not in about and x not in found
                    and catalogue.triggers[x].object == trigger.object]
            reaching = [x for x in same if any(end > len(lead) + 1 for _s, end in read.spans.get(x, []))]
            said.update(reaching)
            if lead == trigger.object:  # the thing's bare name alone is no item of it
                same = reaching
            if same:
                found += same
                break
    return tuple(found), tuple(x for x in found if x in said)


def _told_amounts(state: SessionState) -> dict[str, int]:
    """The single amounts told so far, a deducted one as its total ("收入65万" … "这65万里面…")."""
    told = {k: v for k, v in state.figures.items() if isinstance(v, int) and not isinstance(v, bool)}
    told.update({k: total for k, (total, _parts) in state.figure_deductions.items() if k in told})
    return told


def understand(raw: str, state: SessionState, knowledge, *, pressed: str | None = None) -> Frame:
    """Read one message (typed text, or the label of a pressed option with its id)."""
    text = normalize(raw or "")
    if pressed is None and text:
        text = knowledge.correct(text)
    catalogue = knowledge.catalogue
    found = {m for m in MOVES if moves.is_move(m, text)} if text else set()
    detected = recognitions.detect_triggers(text, catalogue) if text else recognitions.Detected()
    wanted = list(dict.fromkeys([*catalogue.figures_for(detected.all_ids()), *catalogue.figures_for(state.triggers),
                                 *([state.asked_figure] if state.asked_figure else [])]))
    reading = fig.read_figures(text, catalogue, wanted, _told_amounts(state)) if text else fig.FigureReading()
    recognitions.drop_figure_mentions(detected, text, catalogue,
                                      [k for k in catalogue.figures_for(state.triggers) if k in reading.values])
    org_type = moves.org_type_of(text, catalogue) if text else None
    recognitions.drop_other_orgs_figures(detected, text, catalogue, org_type)
    _items_by_mention(reading, detected, catalogue)
    _drop_unpaid_amounts(text, reading, detected, catalogue)
    _level_of_the_topic(text, found, detected, state, catalogue)
    variants, variants_said = ((), ()) if not text or detected.all_ids() else _topic_variants(text, state, catalogue)
    return Frame(
        raw=raw or "",
        text=text,
        pressed=pressed,
        moves=frozenset(found),
        kinds=moves.question_kinds(text) if text else frozenset(),
        article_ref=(moves.article_ref(text) or moves.article_by_title(text, knowledge.titles)) if text else None,
        article_lookup=moves.article_lookup(text) if text else None,
        org_type=org_type,
        detected=detected,
        figures=reading,
        level=levels.level_of(text) if text else None,
        corrected_level=levels.corrected_level(text) if text else None,
        denied_conditions=conditions.denied_conditions(text, catalogue) if text else frozenset(),
        topic_variants=variants,
        topic_variants_said=variants_said,
        _knowledge=knowledge,
    )
