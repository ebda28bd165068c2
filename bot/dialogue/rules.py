"""The rule table: which handler answers a message, decided in one ordered list.

Each rule is (name, when, guard, handler): the first rule whose guard holds answers, the way
python-telegram-bot's ConversationHandler(states=...) is one table. A new conversational move
is one new row here (and its handler); dialogue_flow.mmd is generated from this table
(`python -m bot.dialogue.rules > bot/dialogue/dialogue_flow.mmd`; a test fails when they differ).

Flags:
    resumes     a fixed reply (help, an article) after which the pending form question is repeated
    digression  a free answer: inside the guided check its state events are dropped (the form's
                facts stay exactly as they were) and the form question follows
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.dialogue.handlers import answers, commands, eligibility, followups, form, pending, scope, told
from bot.dialogue.turn import Decision, Turn


@dataclass(frozen=True)
class Rule:
    name: str
    when: str  # the guard in words, for the flow diagram
    guard: Callable[[Turn], bool]
    handler: Callable[[Turn], Decision]
    resumes: bool = False
    digression: bool = False


def _in_form(step: str | None = None) -> Callable[[Turn], bool]:
    return lambda turn: turn.state.mode == "form" and (step is None or turn.state.step == step)


def _idle(turn: Turn) -> bool:
    return turn.state.mode == "idle"


RULES: tuple[Rule, ...] = (
    Rule("empty", "no text", lambda t: t.frame.empty, commands.empty, resumes=True),
    Rule("reset", "重新开始 / reset", lambda t: t.frame.has("reset"), commands.reset),
    Rule("help", "/help, /start, 帮助", lambda t: t.frame.has("help"), commands.help_, resumes=True),
    Rule("check", "/check", lambda t: t.frame.has("check"), form.start),
    Rule("articles", "全部条款 / /articles", lambda t: t.frame.has("articles_list"), commands.articles, resumes=True),
    Rule("article", "第N条 / /article N", lambda t: t.frame.article_lookup is not None, commands.article, resumes=True),
    Rule("confirm", "a figure awaits a yes: 是 / 按X计算 / 跳过 / another amount",
         lambda t: t.state.confirm is not None and pending.answers_confirm(t), pending.confirm),
    Rule("level", "a level was asked: 国家级 / 自治区级 pressed or typed",
         lambda t: t.state.level_question is not None and pending.answers_level(t), pending.level),
    Rule("offer", "an organisation type right after a one-shot answer's offer",
         lambda t: _idle(t) and t.state.offer_form and form.offered_org(t) is not None, form.start_from_offer),
    Rule("form_correction", "in the check: 不对，是… changes one fact", lambda t: _in_form()(t) and form.is_correction(t),
         form.correction),
    Rule("form_org_type", "in the check, org type asked: an answer, not a question",
         lambda t: _in_form("org_type")(t) and form.answers_org(t), form.org_type),
    Rule("form_triggers", "in the check, recognitions asked: a pick, names, or 完成 / 就这些",
         lambda t: _in_form("triggers")(t) and form.answers_triggers(t), form.triggers),
    Rule("form_figure", "in the check, a figure asked: an amount, 跳过, or a bad amount",
         lambda t: _in_form("figure")(t) and form.answers_figure(t), form.figure),
    Rule("small_talk", "greeting or thanks, outside the check",
         lambda t: _idle(t) and (t.frame.has("greeting") or t.frame.has("thanks")), commands.small_talk),
    Rule("form_start", "我想看看能享受哪些政策 (about us, no topic named)", form.asks_for_the_check, form.start),
    Rule("correction", "不对，… about the facts told", told.is_free_correction, told.free_correction,
         digression=True),
    Rule("asked_figure", "the amount the last answer asked for (or a bad one: asked again)",
         lambda t: _idle(t) and told.answers_asked_figure(t), told.asked_figure),
    Rule("told_figure", "a figure of the facts told (说漏了，成交额分别是…)", told.gives_told_figure,
         told.told_figure, digression=True),
    Rule("level_follow_up", "换成自治区级呢 / What about the regional level?", followups.is_level_follow_up,
         followups.level_follow_up, digression=True),
    Rule("variant_follow_up", "研发类的呢 / 要是期满考核优秀呢 (another item of the topic's thing)",
         followups.is_variant_follow_up, followups.variant_follow_up, digression=True),
    Rule("told_amount_item", "工作站那100万是一次性的吧 (an amount shown before names its item)",
         told.asks_about_a_told_amount, told.told_amount_item, digression=True),
    Rule("other_figures", "营收是1.5亿，这些影响金额不 (amounts no told item uses)", told.gives_other_figures,
         told.other_figures, digression=True),
    Rule("total", "那我们总共能拿多少 (the facts told so far)", told.asks_total, told.total, digression=True),
    Rule("article_question", "第二十九条能给多少补贴 / 容错机制那条 (an article named, asked about)",
         answers.asks_about_an_article, answers.named_article, digression=True),
    Rule("rules", "就高从优不重复, 有效期, 旧政策 (Art. 30)", answers.asks_the_rules, answers.the_rules,
         digression=True),
    Rule("topic_follow_up", "这个要找哪个部门 / 那每年的运行补贴呢 (the last answer's topic)",
         followups.is_topic_follow_up, followups.topic_follow_up, digression=True),
    Rule("not_covered", "a benefit the policy never gives, another city's programme", scope.not_covered_by_rule,
         scope.not_covered, digression=True),
    Rule("unpaid_level", "only things named at a level the policy does not pay (市级众创空间)",
         scope.names_unpaid_level, scope.unpaid_level, digression=True),
    Rule("other_body", "another body's criteria, procedure, deadline, fee (no support asked)",
         scope.asks_another_bodys_matter, scope.another_bodys_matter, digression=True),
    Rule("told_amount", "市里能补多少 on the article of a recognition told before (names nothing new)",
         told.asks_amount_of_told, told.amount_of_told, digression=True),
    Rule("eligibility", "names recognitions / events", eligibility.names_recognitions, eligibility.eligibility_or_answer,
         digression=True),
    Rule("policy_answer", "a question the text answers", answers.in_scope, answers.policy_answer, digression=True),
    Rule("out_of_scope", "anything else", lambda t: True, scope.nothing_found, digression=True),
)


def select(turn: Turn, rules: tuple[Rule, ...] = RULES) -> Rule:
    return next(rule for rule in rules if rule.guard(turn))


def flowchart(rules: tuple[Rule, ...] = RULES) -> str:
    """The Mermaid flow of the table: each rule tried in order, the first that holds answers."""
    lines = [
        "%% Generated from bot/dialogue/rules.py RULES: python -m bot.dialogue.rules > bot/dialogue/dialogue_flow.mmd",
        "flowchart TD",
        "    IN([message or pressed option]) --> U[understand: normalize, homophones,<br/>one Frame: moves, "
        "recognitions + levels,<br/>figures with roles, question kinds, one search]",
        "    U --> R0",
    ]
    for i, rule in enumerate(rules):
        flags = " · ".join(f for f, on in (("resumes the check", rule.resumes), ("digression", rule.digression)) if on)
        label = rule.when.replace('"', "'")
        suffix = f" ({flags})" if flags else ""
        lines.append(f'    R{i}{{"{i + 1}. {label}"}} -->|yes| H{i}["{rule.name}{suffix}"]')
        if i + 1 < len(rules):
            lines.append(f"    R{i} -->|no| R{i + 1}")
        lines.append(f"    H{i} --> APPLY")
    lines.append("    APPLY[engine applies the Decision's events once] --> C[compose facts from prompts/replies.yaml] "
                 "--> OUT([reply object])")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(flowchart())
