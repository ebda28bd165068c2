"""Answers outside the guided form: help, article lookups, policy questions, one-shot
eligibility ("高企能拿多少", "研发投入1200万的新型研发机构补多少") and out-of-scope replies."""

from __future__ import annotations

import re

from bot.dialogue import compose, nlu
from bot.dialogue.reply import Citation, Reply
from bot.dialogue.state import SessionState
from calculators.evaluate import evaluate
from calculators.models import Benefit, Profile
from calculators.money import AmountError

# A question about money (vs. a question about procedures, rights, conditions only).
# Asking for everything told so far, or adding to it ("同时也是…", "加起来一共多少").
_HOW_MUCH = re.compile(r"多少|能拿|能领|能给|补几|奖几|how much", re.I)
_TOTAL_WORDS = re.compile(r"一共|总共|加起来|合计|总计|全部加|总额|一起算|altogether|in total|\btotal\b", re.I)
_ADDING_WORDS = re.compile(r"同时|也是|还是|还有|还(?!没|不)|另外|此外|以及|加上|再加|also|as well|in addition", re.I)
_MONEY_WORDS = re.compile(r"多少|奖|补|钱|资金|经费|支持|资助|给予|能拿|能领|享受|扶持|报销|配套|上限|最高|额度|万|how much|subsid|fund|grant|award|reward|incentive|bonus|money|\bget\b|receive", re.I)
# A statement about oneself ("我们被认定为…", "今年获批…") asks what it brings.
_CLAIM_WORDS = re.compile(
    r"认定|获批|批准|获得|被评为|入选|成为|拿到|评上|我们是|我们有|我们单位|我公司|我司|本公司|刚成立|新成立"
    r"|\b(we|our|us)\b|recogni[sz]ed|approved|certified|awarded|granted",
    re.I,
)
_VALIDITY_WORDS = re.compile(r"有效期|施行|实施|什么时候|生效|截止|到期|期限|叠加|重复|同时享受|就高|旧政策|废止|61号")
_COVERED_NEARBY = "本政策涵盖：重大科技平台与载体、科研攻关与成果转化、企业创新（高企、研发投入、研发机构、首台套）、高校院所、科技人才、旗区与科技服务、科技金融等。"


class Answerer:
    def __init__(self, knowledge):
        self.k = knowledge

    # --- fixed replies --------------------------------------------------------------------------
    def _reply(self, sid: str, state: SessionState, text: str, **kw) -> Reply:
        return Reply(session=sid, reply=text, profile=state.profile_dict(), **kw)

    def help(self, sid, state) -> Reply:
        return self._reply(sid, state, compose.HELP_TEXT, covered=False, intent="help",
                           choices=["我想看看我们能享受哪些政策", "高企能拿多少", "全部条款"])

    def small_talk(self, sid, state, t: str) -> Reply:
        if nlu.is_thanks(t):
            return self._reply(sid, state, "不客气！还有其他政策问题，随时问我。", covered=False, intent="small_talk")
        return self.help(sid, state)

    def reset(self, sid, state) -> Reply:
        text = "已清空本次会话记录的信息，我们重新开始。\n" + compose.HELP_TEXT
        return self._reply(sid, state, text, covered=False, intent="reset",
                           choices=["我想看看我们能享受哪些政策", "全部条款"])

    def prompt_for_input(self, sid, state) -> Reply:
        return self._reply(sid, state, "没有收到文字内容。请直接输入您的问题，例如：“高企认定了能拿多少”。",
                           covered=False, intent="empty")

    def articles(self, sid, state) -> Reply:
        return self._reply(sid, state, compose.articles_list(self.k.policy), covered=True, intent="articles")

    def article(self, sid, state, number: int) -> Reply:
        article = self.k.policy.article(number)
        items = [e for e in self.k.catalogue.entries if e.article == number]
        text = compose.article_text(article)
        if items:
            text += "\n本条资金项目：\n" + "\n".join(f"• {e.item}：{compose.describe_rule(e, self.k.catalogue)}" for e in items)
        if number == 30:
            text += "\n" + compose.validity_line(self.k.policy)
        citations = [self._citation(number, c.id, c.text) for c in article.clauses]
        return self._reply(sid, state, text, covered=True, citations=citations, intent="article",
                           departments=list(article.departments))

    # --- questions --------------------------------------------------------------------------------
    def answer(self, sid: str, state: SessionState, t: str) -> Reply:
        """One message in free mode: eligibility if it names recognitions, else a policy answer."""
        catalogue = self.k.catalogue
        if nlu.is_correction(t) and (state.figures or state.org_type or state.triggers):
            corrected = self.apply_correction(state, t)
            if corrected:
                return self.report_for(sid, state, list(state.triggers), heading="已更正，重新计算如下：",
                                       final=state.org_type is not None)
        detected = nlu.detect_triggers(t, catalogue)
        wanted = self.k.catalogue.figures_for(detected.all_ids())
        found = nlu.extract_figures(t, catalogue, wanted)
        nlu.drop_figure_mentions(detected, t, catalogue, {x: self.k.catalogue.figures_for([x]) for x in detected.all_ids()})
        # An amount answering the figure the previous reply asked for.
        if state.asked_figure and nlu.only_figure_words(detected, t, catalogue, [state.asked_figure]):
            filled = self._fill_asked(sid, state, t)
            if filled is not None:
                return filled
        search = self.k.retriever.search(t)
        top = search.articles[0].article if search.in_scope and search.articles else None
        if not detected.all_ids() and state.triggers:
            # A figure of the facts already told ("说漏了，成交额分别是…", "查了账，准确是260万").
            wanted_now = catalogue.figures_for(state.triggers)
            found_now = nlu.extract_figures(t, catalogue, wanted_now)
            # An amount without its figure's word only answers a figure the conversation is waiting
            # for, and only in a message about no topic of its own ("技术合同登记了500万，能补吗"
            # is a new question, not this session's R&D spending).
            missing = [k for k in wanted_now if k not in state.figures]
            waiting = {k for k in (state.asked_figure, state.last_filled) if k}
            if len(missing) == 1:
                waiting.add(missing[0])
            no_topic = not (search.in_scope and search.confidence > 0.5)
            if found_now.values and all(
                k in wanted_now and (k in found_now.cue_spans or (k in waiting and no_topic)) for k in found_now.values
            ):
                for key, values in found_now.values.items():
                    state.set_figure(key, values, multiple=catalogue.figures[key].multiple)
                    state.last_filled = key
                return self.report_for(sid, state, list(state.triggers), final=state.org_type is not None)
        if not detected.all_ids() and state.triggers and self._asks_for_the_total(t, search):
            # "那我们总共能拿多少？": the facts told so far, reported together.
            return self.report_for(sid, state, list(state.triggers), final=state.org_type is not None)
        if search.reason is not None:
            # Names covered things but asks for a benefit the policy never gives, or about another
            # city's own programme: not covered, even when it states facts ("我们是高企，房租能减免吗").
            named = [e.article for x in detected.all_ids() for e in catalogue.entries_for_trigger(x)]
            related = sorted(set(named))[:2] or [h.article for h in search.articles[:1] if h.score > 0]
            return self.out_of_scope(sid, state, t, related=related, place=search.place)
        if detected.all_ids():
            articles = [e.article for x in detected.all_ids() for e in catalogue.entries_for_trigger(x)]
            states_facts = bool(found.values or found.approximate or _CLAIM_WORDS.search(t))
            if top in articles:
                # A statement of several facts leads with the first one named.
                lead = articles[0] if states_facts else top
                return self.eligibility(sid, state, t, detected, found, primary=lead)
            # The thing named is in the policy, but the question is about another article
            # ("新型研发机构负面清单管理" is Art. 23, not Art. 17's money).
            # English retrieval is the weaker signal: an English money question naming a recognition
            # is answered by that recognition ("What does a new national clinical research center get?").
            english_money = not nlu.CJK.search(t) and bool(_MONEY_WORDS.search(t))
            if top is not None and not states_facts and not english_money:
                return self.policy_answer(sid, state, t, search)
            if top is None and not states_facts:
                # It names a covered thing but asks about another programme ("高企的税收优惠").
                return self.out_of_scope(sid, state, t, related=sorted(set(articles))[:2])
            return self.eligibility(sid, state, t, detected, found, primary=articles[0])
        if top is None:
            return self.out_of_scope(sid, state, t)
        return self.policy_answer(sid, state, t, search)

    @staticmethod
    def _asks_for_the_total(t: str, search) -> bool:
        """A follow-up about the facts already told: "一共能拿多少", or a bare "能拿多少钱" that
        names no topic of its own (the search finds none beyond benefit words)."""
        if search.reason is not None:  # asks for a benefit the policy never gives, or another city's
            return False
        if _TOTAL_WORDS.search(t):
            return True
        return bool(_HOW_MUCH.search(t)) and not (search.in_scope and search.confidence > 0.5)

    def out_of_scope(self, sid, state, t: str, related: list[int] | None = None, place: str | None = None) -> Reply:
        where = ""
        if place:
            name = place.title() if place.isascii() else place
            where = f"您问的是{name}的政策；本助手只解答鄂尔多斯市的这项政策，{name}的规定请咨询当地或该部门。\n"
        text = (where + "这个问题不在《鄂尔多斯市关于深入实施科技“突围”工程加快培育新质生产力的若干政策》（科技新政30条）的范围内，"
                "本政策没有相关规定，建议咨询对应的主管部门。\n" + _COVERED_NEARBY +
                "\n可以问我：“高企认定了能拿多少”“新型研发机构研发投入补助”，或发送“我想看看我们能享受哪些政策”。")
        citations: list[Citation] = []
        if related:
            text += "\n本政策中与您提到的事项相关的是：" + "、".join(
                compose.article_heading(self.k.policy.article(n)) for n in related) + "，可发送“第N条”查看。"
            citations = [self._citation(n, self.k.policy.article(n).clauses[0].id,
                                        self.k.policy.article(n).clauses[0].text) for n in related]
        return self._reply(sid, state, text, covered=False, citations=citations, intent="out_of_scope")

    def policy_answer(self, sid, state, t: str, search) -> Reply:
        policy = self.k.policy
        top = search.articles[0]
        article = policy.article(top.article)
        clause_ids = [c.clause_id for c in top.clauses[:2]] or [article.clauses[0].id]
        lines = [f"相关规定在{compose.article_heading(article)}："]
        for cid in clause_ids:
            lines.append(f"{compose.clause_ref(article, cid)}{policy.clause(cid).text}")
        items = [e for e in self.k.catalogue.entries if e.article == article.number]
        if items and _MONEY_WORDS.search(t):
            lines.append("本条资金项目：")
            lines.extend(f"• {e.item}：{compose.describe_rule(e, self.k.catalogue)}" for e in items)
        elif not items:
            lines.append("本条规定的是支持措施或管理办法，没有直接的资金金额。")
        if article.number == 30 or _VALIDITY_WORDS.search(t):
            lines.append(compose.validity_line(policy))
            lines.append(compose.art30_line())
        if article.departments:
            lines.append(compose.departments_line(list(article.departments)))
        citations = [self._citation(article.number, cid, policy.clause(cid).text) for cid in clause_ids]
        # Other articles that score close to the first are mentioned as related.
        related = [h for h in search.articles[1:3] if h.score >= 0.85 * top.score and h.clauses]
        if related:
            lines.append("相关条款还有：" + "、".join(compose.article_heading(policy.article(h.article)) for h in related))
            citations += [self._citation(h.article, h.clauses[0].clause_id, policy.clause(h.clauses[0].clause_id).text)
                          for h in related]
        return self._reply(sid, state, "\n".join(lines), covered=True, citations=citations, intent="policy",
                           departments=list(article.departments))

    # --- eligibility ------------------------------------------------------------------------------
    def eligibility(self, sid, state: SessionState, t: str, detected, found, primary: int | None = None) -> Reply:
        catalogue = self.k.catalogue
        triggers = list(detected.triggers)
        for tid in triggers:
            if tid not in state.triggers:
                state.triggers.append(tid)
        for key, values in found.values.items():
            state.set_figure(key, values, multiple=catalogue.figures[key].multiple)
        notes: list[str] = []
        for key, amount in found.approximate:
            notes.append(f"您给的{catalogue.figures[key].label}“{amount.raw}”是约数，下面暂按{compose.format_yuan(amount.value_yuan)}计算；如有准确数字请告诉我。")
            state.figures[key] = amount.value_yuan
            state.last_filled = key  # "对，就按200万算" confirms this figure
        for err in found.errors:
            notes.append(err.message)
        level_choices: list[str] = []
        asks: list[str] = []
        shown = list(triggers)
        if _TOTAL_WORDS.search(t) or _ADDING_WORDS.search(t):
            # "我们同时也是国家高新技术企业，加起来一共多少": the earlier facts count too.
            shown = list(dict.fromkeys([*state.triggers, *triggers]))
        if detected.ambiguous:
            for obj, family in detected.ambiguous.items():
                shown.extend(t_ for t_ in family if t_ not in shown)
                state.level_question = {"object": obj, "triggers": family}
                level_choices = [catalogue.triggers[x].label for x in family]
                asks.append(f"请问是哪一级的{obj}？")
        return self.report_for(sid, state, shown, notes=notes, extra_asks=asks, choices=level_choices,
                               primary=primary)

    def report_for(self, sid, state: SessionState, triggers: list[str], *, heading: str = "",
                   notes: list[str] | None = None, extra_asks: list[str] | None = None,
                   choices: list[str] | None = None, final: bool = False, primary: int | None = None) -> Reply:
        """Evaluate the given triggers on the session's figures and phrase the result."""
        catalogue = self.k.catalogue
        profile = Profile(org_type=None if not final else state.org_type, triggers=tuple(triggers),
                          figures={k: tuple(v) if isinstance(v, list) else v for k, v in state.figures.items()})
        report = evaluate(profile, catalogue)
        benefits: list[Benefit] = list(report.benefits)
        if primary is not None:  # the article the question is about leads; the rest keep article order
            benefits.sort(key=lambda b: b.article != primary)
        lines: list[str] = [heading] if heading else []
        if benefits:
            lines.append("根据政策原文，可适用以下资金项目：" if not final else f"测算结果：共{len(benefits)}项可适用的资金政策。")
            lines.extend(compose.benefit_line(b, i) for i, b in enumerate(benefits, 1))
            if not final and self._alternatives(triggers):
                # Items of different levels for one thing are alternatives: never add them up.
                lines.append("以上不同级别的标准按实际认定级别择一适用，未合计。")
            else:
                lines.extend(compose.totals_lines(report.totals))
        asks = list(extra_asks or [])
        missing = [k for k in report.missing_figures if k not in state.skipped]
        for key in missing:
            asks.append(catalogue.figures[key].ask)
        for p in report.pending:
            entry = catalogue.entry(p.entry_id)
            if not benefits or entry.id not in {b.id for b in benefits}:
                lines.append(f"• {entry.item}：{compose.describe_rule(entry, self.k.catalogue)}（需提供{'、'.join(catalogue.figures[f].label for f in p.figures)}后计算）〔第{entry.article}条 {entry.clause}〕")
        if missing:
            state.asked_figure = missing[0]
            lines.append("如需精确金额，请告诉我：" + catalogue.figures[missing[0]].ask)
        else:
            state.asked_figure = None
        skipped = [catalogue.figures[k].label for k in report.missing_figures if k in state.skipped]
        if skipped:
            lines.append("未提供（已跳过）：" + "、".join(skipped) + "，相关项目按上限列示。")
        lines.extend(notes or [])
        lines.append(compose.art30_line())
        if final:
            lines.append(compose.validity_line(self.k.policy))
        if report.departments:
            lines.append(compose.departments_line(list(report.departments)))
        offer = not final and not asks and not choices and bool(benefits)
        state.offer_form = offer
        if offer:
            choices = list(catalogue.org_types.values())
            lines.append("想全面测算还能享受哪些政策？请选择贵单位类型（或直接继续提问）。")
        citations = self._benefit_citations(benefits, [p.entry_id for p in report.pending])
        return self._reply(sid, state, "\n".join(lines), covered=True, citations=citations, benefits=benefits,
                           asks=asks, choices=list(choices or []), intent="report" if final else "eligibility",
                           departments=list(report.departments))

    def _alternatives(self, triggers: list[str]) -> bool:
        """Two levels of one thing (国家级/自治区级众创空间) among the triggers shown."""
        levels: dict[str, set[str]] = {}
        for tid in triggers:
            trigger = self.k.catalogue.triggers[tid]
            levels.setdefault(trigger.object, set()).add(trigger.level)
        return any(len(v) > 1 for v in levels.values())

    def _benefit_citations(self, benefits: list[Benefit], pending_ids: list[str]) -> list[Citation]:
        seen: set[str] = set()
        out: list[Citation] = []
        pairs = [(b.article, b.clause, b.quote) for b in benefits]
        for eid in pending_ids:
            e = self.k.catalogue.entry(eid)
            pairs.append((e.article, e.clause, e.quote))
        for article, clause, quote in pairs:
            if clause in seen:
                continue
            seen.add(clause)
            out.append(self._citation(article, clause, quote))
        return out

    def _citation(self, article: int, clause: str, quote: str) -> Citation:
        return Citation(article=article, clause=clause, title=self.k.policy.article(article).title, quote=quote)

    # --- figures given after a question ---------------------------------------------------------------
    def _fill_asked(self, sid: str, state: SessionState, t: str) -> Reply | None:
        key = state.asked_figure
        try:
            state.figures[key] = nlu.read_figure(t, self.k.catalogue.figures[key])
        except AmountError:
            return None
        state.last_filled = key
        triggers = [x for x in state.triggers if key in self.k.catalogue.figures_for([x])]
        return None if not triggers else self.report_for(sid, state, triggers)

    def apply_correction(self, state: SessionState, t: str) -> list[str] | None:
        """'不对，研发投入是1500万' -> update that figure only; returns the triggers to re-report."""
        catalogue = self.k.catalogue
        found = nlu.extract_figures(t, catalogue, [])
        changed: list[str] = []
        for key, values in found.values.items():
            state.set_figure(key, values, multiple=catalogue.figures[key].multiple)
            changed.append(key)
        if not changed and found.unassigned and state.last_filled:
            key = state.last_filled
            state.set_figure(key, [a.value_yuan for a in found.unassigned], multiple=catalogue.figures[key].multiple)
            changed.append(key)
        swapped = self._correct_level(state, t)
        if not changed:
            return swapped or None
        return list(dict.fromkeys([*swapped, *(x for x in state.triggers if set(catalogue.figures_for([x])) & set(changed))]))

    def _correct_level(self, state: SessionState, t: str) -> list[str]:
        """'刚才说错了，不是国家级是自治区级': each stored recognition that exists at the level the
        correction names is replaced by that level's; returns the replaced ones."""
        level = nlu.corrected_level(t)
        if level is None:
            return []
        triggers = self.k.catalogue.triggers
        swapped: list[str] = []
        for i, tid in enumerate(state.triggers):
            sibling = next((x for x, tr in triggers.items()
                            if tr.object == triggers[tid].object and tr.level == level), None)
            if sibling and sibling != tid:
                state.triggers[i] = sibling
                swapped.append(sibling)
        return swapped
