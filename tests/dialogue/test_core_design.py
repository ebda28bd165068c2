"""The shape of the core, checked: one search per message, reply text only from compose and
prompts/, state changed only by state.apply, the flow diagram generated from the rule table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.dialogue.rules import RULES, flowchart

DIALOGUE = Path(__file__).resolve().parents[2] / "bot" / "dialogue"
CJK = re.compile(r"[\u4e00-\u9fff]")


class CountingRetriever:
    """The real retriever, counting its searches."""

    def __init__(self, real):
        self.real, self.calls = real, 0
        self.lexicon = real.lexicon

    def search(self, *args, **kwargs):
        self.calls += 1
        return self.real.search(*args, **kwargs)


@pytest.fixture()
def counting_engine(knowledge, data_dir):
    from bot.dialogue.engine import Engine
    from bot.dialogue.knowledge import Knowledge
    from bot.dialogue.store import MemorySessionStore

    counted = Knowledge(data_dir, retriever=CountingRetriever(knowledge.retriever))
    return Engine(MemorySessionStore(), data_dir=data_dir, knowledge=counted)


DIALOGUE_TURNS = [
    "我想看看我们能享受哪些政策", "企业", "国家高新技术企业", "完成",  # a form: the answers never search
    "对了，首台套产品的奖补政策是怎么规定的？",  # a digression
    "我们去年被认定为国家高新技术企业，能拿多少", "社会力量举办的新型研发机构能补多少", "1200万",
    "不对，研发投入是1500万", "换成自治区级呢", "那什么时候到期", "已经按别的政策拿过了，还能再拿吗",
    "高企认定的条件是什么", "养羊的合作社能拿啥补贴", "第十五条", "重新开始", "", "你好",
]


def test_a_message_is_searched_at_most_once(counting_engine):
    retriever = counting_engine.knowledge.retriever
    for text in DIALOGUE_TURNS:
        before = retriever.calls
        counting_engine.turn("s-count", text)
        assert retriever.calls - before <= 1, f"{text!r} searched {retriever.calls - before} times"


@pytest.mark.parametrize("text", ["企业", "完成", "重新开始", "第十五条", "1200万"])
def test_form_answers_and_commands_never_search(counting_engine, text):
    engine = counting_engine
    engine.turn("s-form", "/check")
    retriever = engine.knowledge.retriever
    before = retriever.calls
    engine.turn("s-form", text)
    assert retriever.calls == before


def _string_literals(tree: ast.AST):
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_no_reply_text_is_written_in_code():
    """Chinese text comes from prompts/replies.yaml, corpus/ and the catalogue only. The rule
    table's `when` descriptions (labels of the generated flow diagram) are the one exception."""
    offenders = []
    for path in DIALOGUE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = set()
        if path.name == "rules.py":
            allowed = {id(c) for call in ast.walk(tree) if isinstance(call, ast.Call)
                       and getattr(call.func, "id", "") == "Rule" for c in call.args[1:2]}
        offenders += [f"{path.name}:{c.lineno} {c.value[:30]!r}" for c in _string_literals(tree)
                      if CJK.search(c.value) and id(c) not in allowed]
    assert not offenders, offenders


def test_state_is_only_changed_by_apply():
    """SessionState is frozen, and only state.py makes a new one from another (model_copy)."""
    from bot.dialogue.state import SessionState

    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        SessionState().mode = "form"
    offenders = []
    for path in DIALOGUE.rglob("*.py"):
        if path.name == "state.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "model_copy":
                receiver = ast.unparse(node.func.value)
                if "state" in receiver.lower():
                    offenders.append(f"{path.name}:{node.lineno} {receiver}.model_copy")
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and "state" in ast.unparse(target.value).lower():
                        offenders.append(f"{path.name}:{node.lineno} {ast.unparse(target)} =")
    assert not offenders, offenders


def test_the_flow_diagram_is_generated_from_the_rule_table():
    on_disk = (DIALOGUE / "dialogue_flow.mmd").read_text(encoding="utf-8")
    assert on_disk == flowchart(), "regenerate: python -m bot.dialogue.rules > bot/dialogue/dialogue_flow.mmd"
    assert all(f'"{rule.name}' in on_disk for rule in RULES)


def test_rule_names_are_unique_and_the_last_rule_catches_everything():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert RULES[-1].guard(None) is True


def test_options_carry_stable_ids_and_a_press_may_send_the_id_or_the_label(engine):
    reply = engine.turn("s-ids", "我想看看我们能享受哪些政策")
    ids = [o.id for o in reply.options]
    assert "org:enterprise" in ids and [o.label for o in reply.options] == reply.choices
    by_id = engine.turn("s-ids", choice="org:enterprise")
    engine.turn("s-ids2", "我想看看我们能享受哪些政策")
    by_label = engine.turn("s-ids2", choice="企业")
    assert by_id.profile["org_type"] == by_label.profile["org_type"] == "enterprise"
    assert "trigger:hitech_enterprise" in [o.id for o in by_id.options]
    assert "done" in [o.id for o in by_id.options]  # 完成 is offered before the first pick
