"""The guided eligibility form: organisation type -> recognitions (multi-select) -> only the
figures the chosen items need -> report. Corrections, skips, digressions and resets work at
every step (see dialogue_flow.mmd)."""

from __future__ import annotations

from bot.dialogue import nlu
from bot.dialogue.reply import Reply
from bot.dialogue.state import SessionState
from calculators.format import format_yuan
from calculators.money import AmountError, ApproximateAmount

DONE_LABEL = "完成"
NONE_LABEL = "都没有"
SKIP_LABEL = "跳过"
ASK_ORG = "请问贵单位属于哪一类？"
ASK_TRIGGERS = "贵单位已获得（或今年新获）哪些认定/事项？可多选，逐个点选或直接输入，选完点“完成”。"


class FormFlow:
    def __init__(self, knowledge, answerer):
        self.k = knowledge
        self.a = answerer

    # --- entry points -------------------------------------------------------------------------------
    def start(self, sid: str, state: SessionState, *, org_type: str | None = None) -> Reply:
        """Begin the form. From a one-shot answer's offer (org_type given) the facts already
        told are kept; /check on its own starts from nothing."""
        intro = "好的，我来帮您测算能享受哪些政策（随时可说“跳过”“不对，是…”“重新开始”，中途提问也可以）。"
        if org_type is None:
            state.__init__(turns=state.turns)
            state.mode, state.step = "form", "org_type"
            return self._ask(sid, state, intro + "\n" + ASK_ORG)
        cat = self.k.catalogue
        state.offer_form, state.level_question, state.confirm = False, None, None
        state.mode, state.step, state.org_type = "form", "triggers", org_type
        state.triggers = [t for t in state.triggers if org_type in cat.triggers[t].recipients]
        return self._ask(sid, state, intro + f"\n已记录：{cat.org_types[org_type]}。")

    def _offered_org(self, t: str, pressed: bool) -> str | None:
        """An organisation type pressed (or typed alone) right after the offer."""
        for key, label in self.k.catalogue.org_types.items():
            if t == label:
                return key
        return None

    def handle(self, sid: str, state: SessionState, t: str, *, pressed: bool) -> Reply | None:
        """Handle the message if it answers the current question; None means it is something
        else (a question, a greeting) and the caller answers it and resumes the form."""
        if state.confirm:
            reply = self._confirm(sid, state, t)
            if reply is not None:
                return reply
        if state.level_question:
            reply = self._level(sid, state, t)
            if reply is not None:
                return reply
        if state.mode != "form":
            if state.offer_form and (org := self._offered_org(t, pressed)):
                return self.start(sid, state, org_type=org)
            return None
        if nlu.is_correction(t):
            reply = self._correction(sid, state, t)
            if reply is not None:
                return reply
        step = state.step
        if step == "org_type":
            return self._org_type(sid, state, t, pressed)
        if step == "triggers":
            return self._triggers(sid, state, t, pressed)
        if step == "figure":
            return self._figure(sid, state, t, pressed)
        return None

    def with_resume(self, sid: str, state: SessionState, reply: Reply) -> Reply:
        """After a digression, repeat the pending form question so the form goes on."""
        if state.mode != "form" or state.step is None:
            return reply
        prompt, asks, choices = self._current_question(state)
        return reply.model_copy(update={
            "reply": reply.reply + "\n\n（继续测算）" + prompt,
            "asks": asks,
            "choices": choices,
            "profile": state.profile_dict(),
        })

    # --- the questions --------------------------------------------------------------------------------
    def _current_question(self, state: SessionState) -> tuple[str, list[str], list[str]]:
        cat = self.k.catalogue
        if state.step == "org_type":
            return ASK_ORG, [ASK_ORG], list(cat.org_types.values())
        if state.step == "triggers":
            labels = [cat.triggers[t].label for t in self._trigger_options(state)]
            chosen = [cat.triggers[t].label for t in state.triggers]
            prompt = ASK_TRIGGERS + (f"\n已选：{'、'.join(chosen)}" if chosen else "")
            return prompt, [ASK_TRIGGERS], labels + [DONE_LABEL if chosen else NONE_LABEL]
        if state.step == "figure" and state.asked_figure:
            fig = cat.figures[state.asked_figure]
            return fig.ask, [fig.ask], [SKIP_LABEL]
        return "", [], []

    def _ask(self, sid: str, state: SessionState, text: str, *, intent: str = "form") -> Reply:
        prompt, asks, choices = self._current_question(state)
        body = text if prompt and text.endswith(prompt) else (text + ("\n" if text else "") + prompt)
        return Reply(session=sid, reply=body, covered=True, asks=asks, choices=choices,
                     profile=state.profile_dict(), intent=intent)

    def _trigger_options(self, state: SessionState) -> list[str]:
        cat = self.k.catalogue
        triggers = cat.triggers_for_org(state.org_type)
        # Items meant for this kind of organisation alone first: they are what it most likely has.
        return [t.id for t in sorted(triggers, key=lambda t: len(t.recipients))]

    # --- steps ------------------------------------------------------------------------------------------
    def _org_type(self, sid, state, t, pressed) -> Reply | None:
        org = nlu.org_type_of(t, self.k.catalogue)
        if org is None and nlu.is_skip(t):
            state.step = "triggers"
            return self._ask(sid, state, "好的，不限定单位类型。")
        if org is None:
            if not pressed and nlu.looks_like_question(t):
                return None
            return self._ask(sid, state, "没有识别出单位类型，请从下面选一个（或输入：企业、高校、科研院所……）。")
        state.org_type = org
        state.step = "triggers"
        # The first answer may already name recognitions ("我们是企业，刚认定了高企").
        detected = nlu.detect_triggers(t, self.k.catalogue, org)
        for tid in detected.triggers:
            if tid not in state.triggers:
                state.triggers.append(tid)
        return self._ask(sid, state, f"已记录：{self.k.catalogue.org_types[org]}。")

    def _triggers(self, sid, state, t, pressed) -> Reply | None:
        cat = self.k.catalogue
        by_label = {cat.triggers[x].label: x for x in cat.triggers}
        if t in (DONE_LABEL,) or nlu.is_done(t) or nlu.is_skip(t):
            if not state.triggers:
                state.mode, state.step = "idle", None
                return Reply(session=sid, covered=True, intent="report", profile=state.profile_dict(),
                             reply="根据您的选择，暂未匹配到本政策中的具体资金项目。"
                                   "可以直接问我某项认定或事项（如“自治区科技领军企业”“技术合同交易”），"
                                   "或发送“全部条款”浏览30条政策。")
            return self._advance(sid, state)
        if t in by_label:
            tid = by_label[t]
            if tid in state.triggers:
                state.triggers.remove(tid)
                return self._ask(sid, state, f"已取消：{t}。")
            state.triggers.append(tid)
            return self._ask(sid, state, f"已选：{t}。")
        detected = nlu.detect_triggers(t, cat, state.org_type)
        if detected.triggers or detected.ambiguous:
            added = [x for x in detected.triggers if x not in state.triggers]
            state.triggers.extend(added)
            self._store_figures(state, t)
            if detected.ambiguous:
                obj, family = next(iter(detected.ambiguous.items()))
                state.level_question = {"object": obj, "triggers": family}
                return Reply(session=sid, covered=True, intent="form", profile=state.profile_dict(),
                             reply=f"请问是哪一级的{obj}？", asks=[f"请问是哪一级的{obj}？"],
                             choices=[cat.triggers[x].label for x in family])
            names = "、".join(cat.triggers[x].label for x in added) or "（已在列表中）"
            return self._ask(sid, state, f"已记录：{names}。还有其他的吗？没有请点“完成”。")
        if not pressed and nlu.looks_like_question(t):
            return None
        return self._ask(sid, state, "没有识别出认定或事项名称，请点选下面的选项，或输入名称（如：国家高新技术企业）。")

    def _figure(self, sid, state, t, pressed) -> Reply | None:
        cat = self.k.catalogue
        key = state.asked_figure
        if key is None:
            return self._advance(sid, state)
        figure = cat.figures[key]
        if t == SKIP_LABEL or nlu.is_skip(t):
            state.skipped.append(key)
            return self._advance(sid, state, f"好的，跳过{figure.label}。")
        try:
            state.figures[key] = nlu.read_figure(t, figure)
        except AmountError as err:
            if isinstance(err, ApproximateAmount):
                value = err.candidate_yuan
                state.confirm = {"figure": key, "value": value}
                label = f"按{format_yuan(value)}计算"
                return Reply(session=sid, covered=True, intent="form", profile=state.profile_dict(),
                             reply=err.message, asks=[figure.ask],
                             choices=[label, SKIP_LABEL])
            if err.kind == "no_amount" and not pressed and nlu.looks_like_question(t):
                return None
            if err.kind == "no_amount" and nlu.detect_triggers(t, cat).triggers:
                return self._triggers_during_figures(sid, state, t)
            return self._ask(sid, state, f"{err.message}")
        state.last_filled = key
        return self._advance(sid, state, f"已记录：{figure.label} {self._show(state.figures[key])}。")

    def _triggers_during_figures(self, sid, state, t) -> Reply:
        detected = nlu.detect_triggers(t, self.k.catalogue, state.org_type)
        state.triggers.extend(x for x in detected.triggers if x not in state.triggers)
        return self._advance(sid, state, "已补充：" + "、".join(self.k.catalogue.triggers[x].label for x in detected.triggers) + "。")

    def _advance(self, sid: str, state: SessionState, prefix: str = "") -> Reply:
        """Ask the next figure the chosen items need, or finish with the report."""
        needed = [k for k in self.k.catalogue.figures_for(state.triggers)
                  if k not in state.figures and k not in state.skipped]
        if needed:
            state.step, state.asked_figure = "figure", needed[0]
            return self._ask(sid, state, prefix)
        state.mode, state.step, state.asked_figure = "idle", None, None
        reply = self.a.report_for(sid, state, list(state.triggers), final=True,
                                  heading=prefix + ("\n" if prefix else "") + "信息已收集完毕。")
        return reply

    def _confirm(self, sid, state, t) -> Reply | None:
        pending = state.confirm
        key, value = pending["figure"], pending["value"]
        if nlu.is_yes(t) or t.startswith("按"):
            state.confirm = None
            state.figures[key] = value
            state.last_filled = key
            return self._after_figure(sid, state, f"好的，按{format_yuan(value)}计算。")
        if t == SKIP_LABEL or nlu.is_skip(t):
            state.confirm = None
            state.skipped.append(key)
            return self._after_figure(sid, state, "好的，跳过。")
        try:
            state.figures[key] = nlu.read_figure(t, self.k.catalogue.figures[key])
        except AmountError:
            if nlu.is_no(t):
                state.confirm = None
                return self._ask(sid, state, "好的，请输入准确金额。")
            return None
        state.confirm = None
        state.last_filled = key
        return self._after_figure(sid, state, f"已记录：{format_yuan(state.figures[key])}。")

    def _after_figure(self, sid, state, prefix) -> Reply:
        if state.mode == "form":
            return self._advance(sid, state, prefix)
        triggers = [x for x in state.triggers if state.last_filled in self.k.catalogue.figures_for([x])]
        return self.a.report_for(sid, state, triggers, heading=prefix)

    def _level(self, sid, state, t) -> Reply | None:
        cat = self.k.catalogue
        question = state.level_question
        family = question["triggers"]
        chosen = None
        for tid in family:
            if t == cat.triggers[tid].label:
                chosen = tid
        if chosen is None:
            level = nlu.level_of(t)
            chosen = next((x for x in family if cat.triggers[x].level == level), None)
        if chosen is None:
            if len(t) > 8 or nlu.looks_like_question(t):
                state.level_question = None  # moved on to something else
            return None
        state.level_question = None
        for tid in family:
            if tid in state.triggers and tid != chosen:
                state.triggers.remove(tid)
        if chosen not in state.triggers:
            state.triggers.append(chosen)
        if state.mode == "form":
            return self._ask(sid, state, f"已记录：{cat.triggers[chosen].label}。")
        return self.a.report_for(sid, state, [chosen])

    def _correction(self, sid, state, t) -> Reply | None:
        org = nlu.org_type_of(t.split("是", 1)[-1], self.k.catalogue) if "是" in t else None
        changed = self.a.apply_correction(state, t)
        if changed is None and org and state.step != "org_type":
            state.org_type = org
            return self._ask(sid, state, f"已更正单位类型：{self.k.catalogue.org_types[org]}。")
        if changed is None:
            return None
        key = state.last_filled
        if key == state.asked_figure:
            return self._advance(sid, state, f"已更正：{self.k.catalogue.figures[key].label} {self._show(state.figures[key])}。")
        return self._ask(sid, state, f"已更正：{self.k.catalogue.figures[key].label} {self._show(state.figures[key])}。")

    def _store_figures(self, state, t) -> None:
        found = nlu.extract_figures(t, self.k.catalogue, self.k.catalogue.figures_for(state.triggers))
        for key, values in found.values.items():
            state.set_figure(key, values, multiple=self.k.catalogue.figures[key].multiple)

    @staticmethod
    def _show(value) -> str:
        if isinstance(value, list):
            return "、".join(format_yuan(v) for v in value)
        return format_yuan(value)
