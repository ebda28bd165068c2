"""Corrections ("不对，研发投入是1500万", "不对，第二笔是900万", "刚才说错了，是自治区级",
"不对，我们是科研院所"): each changes the one fact it names, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dialogue.fill import replace_item, set_figure
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.figures import excluded_part
from bot.dialogue.state import AddTriggers, Event, ReplaceTrigger, SetOrgType
from calculators.grammar import lexicon

_LEX = lexicon()


@dataclass
class Correction:
    events: list[Event] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # figure keys changed
    swapped: list[str] = field(default_factory=list)  # triggers now at the corrected level
    org_type: str | None = None  # the organisation type corrected to

    @property
    def changed(self) -> bool:
        return bool(self.figures or self.swapped or self.org_type)


def _item_index(text: str) -> int | None:
    m = _LEX.search("item_ordinal", text)
    if not m:
        return None
    number = moves.cn_or_int(m.group(1))
    return number - 1 if number else None


def read_correction(turn, *, org_allowed: bool = True) -> Correction:
    frame, state, catalogue = turn.frame, turn.state, turn.catalogue
    out = Correction()
    reading = frame.figures
    index = _item_index(frame.text)
    cued = {k: v for k, v in reading.values.items()}
    # "那100万其实也是外单位的，全是非关联": the part taken off counts after all, the total is the figure
    for key, (total, _parts) in state.figure_deductions.items():
        qualify = catalogue.figures[key].qualify_patterns
        if _LEX.search("part_counts_too", frame.text) and any(p.search(frame.text) for p in qualify):
            out.events.append(set_figure(catalogue, key, total, frame.text))
            out.figures.append(key)
            return out
    # "不对，关联单位那部分只有100万": a new excluded part of a figure told as total less a part
    for key, (total, _parts) in state.figure_deductions.items():
        part = [fm.value for fm in reading.unassigned if fm.value is not None
                and excluded_part(frame.text, fm.mention, catalogue.figures[key])]
        if part and key not in cued:
            out.events.append(set_figure(catalogue, key, max(0, total - sum(part)), frame.text, (total, tuple(part))))
            out.figures.append(key)
            return out
    loose = [fm.value for fm in reading.unassigned if fm.value is not None]
    if not cued and loose and state.last_filled:
        cued = {state.last_filled: tuple(loose)}
    for key, values in cued.items():
        old = state.figures.get(key)
        if index is not None and old is not None and len(values) == 1:
            try:
                value = replace_item(old, index, values[0])
            except IndexError:
                continue
        else:
            figure = catalogue.figures[key]
            # "单价是360万，260万是成本", "不是260万，是360万": the amount told before is not the new one
            fresh = [v for v in values if v != old] or list(values)
            value = tuple(values) if figure.multiple or key in reading.itemised and len(values) > 1 else fresh[-1]
        out.events.append(set_figure(catalogue, key, value, reading.words.get(key, "")))
        out.figures.append(key)
    level = frame.corrected_level
    if level is not None:
        for tid in state.triggers:
            trigger = catalogue.triggers[tid]
            sibling = next((x for x, t in catalogue.triggers.items() if t.object == trigger.object and t.level == level),
                           None)
            if sibling and sibling != tid:
                out.events.append(ReplaceTrigger(tid, sibling))
                out.swapped.append(sibling)
    else:
        # "搞错了，其实批的是自治区重点实验室": the thing named again, at another level, replaces the told one
        # or named by what tells it from the told one ("说错了，我们那个是研发类的": the topic's other item)
        for named in frame.detected.triggers or frame.topic_variants:
            thing = catalogue.triggers[named]
            # another level, or another kind of the same thing ("说错了，我们那个是研发类的，不是孵化类")
            told = next((t for t in state.triggers if t != named and catalogue.triggers[t].object == thing.object
                         and t not in frame.detected.triggers and not moves.is_move("adds_item", frame.text)), None)
            if told and named not in state.triggers:
                out.events.append(ReplaceTrigger(told, named))
                out.swapped.append(named)
    # "哦不对，我们是企业，高校是我们的合作方": the first 是… that names an organisation type
    orgs = (moves.org_type_of(m.group(1), catalogue) for m in _LEX.finditer("correction_new_value", frame.text))
    if org_allowed and not out.changed and (org := next((o for o in orgs if o), None)):
        if org != state.org_type:
            out.events.append(SetOrgType(org))
            out.org_type = org
            # "不对，我们其实是集团举办的新型研发机构": what it is now is also what it has
            if new := tuple(t for t in frame.detected.triggers if t not in state.triggers):
                out.events.append(AddTriggers(new))
    return out
