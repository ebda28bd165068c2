"""Recorder: a recorded dialogue is a valid, readable replay file that replays green."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay_fakes import ScriptedEngine, make_reply

from bot.replay import EngineTransport, Recorder, load_dialogue, replay_paths, run_dialogue

SCRIPT = [
    ("user", "我想看看我们能享受哪些政策", make_reply("贵单位属于哪类？", asks=["贵单位属于哪类？"], choices=["企业", "高校"])),
    ("choice", "企业", make_reply("有哪些认定？", asks=["有哪些认定？"], choices=["国家高新技术企业", "完成"])),
    (
        "user",
        "国家高新技术企业",
        make_reply(
            "可享受：\n第十五条 30万元\n第十七条 最高500万元",
            citations=[15, 17, 15],
            benefits=[
                {"article": 15, "amount_yuan": 300000, "basis": "fixed"},
                {"article": 17, "amount_yuan": 5000000, "basis": "up_to"},
            ],
        ),
    ),
    ("user", "今天天气怎么样", make_reply("政策里没有这方面的内容。", covered=False)),
]


def record(engine: ScriptedEngine, session: str = "live-1") -> Recorder:
    recorder = Recorder("录制的对话")
    for kind, said, reply in SCRIPT:
        engine.enqueue(reply)
        text, choice = (said, None) if kind == "user" else (None, said)
        recorder.add(user=text, choice=choice, reply=engine.turn(session, text, choice=choice))
    return recorder


def test_recording_writes_the_actual_outputs_as_expectations(tmp_path):
    path = tmp_path / "rec" / "recorded.yaml"
    record(ScriptedEngine()).write(path)
    text = path.read_text(encoding="utf-8")
    assert "我想看看我们能享受哪些政策" in text and "\\u" not in text  # allow_unicode
    assert "  # bot: 可享受： 第十五条 30万元 第十七条 最高500万元" in text
    assert "citations_include: [15, 17]" in text
    assert "- {article: 15, amount_yuan: 300000, basis: fixed}" in text
    data = yaml.safe_load(text)
    assert data["name"] == "录制的对话"
    turns = data["turns"]
    assert turns[0] == {"user": "我想看看我们能享受哪些政策", "expect": {"covered": True, "asks_nonempty": True}}
    assert turns[1]["choice"] == "企业"
    assert turns[2]["expect"] == {
        "covered": True,
        "first_citation": 15,
        "citations_include": [15, 17],
        "benefits_include": [
            {"article": 15, "amount_yuan": 300000, "basis": "fixed"},
            {"article": 17, "amount_yuan": 5000000, "basis": "up_to"},
        ],
        "asks_nonempty": False,
    }
    assert turns[3]["expect"] == {"covered": False, "asks_nonempty": False}


def test_a_recording_replays_green_against_the_same_scripted_engine(tmp_path, console_out):
    path = tmp_path / "recorded.yaml"
    record(ScriptedEngine()).write(path)
    engine = ScriptedEngine().enqueue(*(reply for _, _, reply in SCRIPT))
    console, out = console_out
    assert replay_paths([path], transport_factory=lambda: EngineTransport(engine), console=console) == 0
    assert out.getvalue().rstrip().endswith("1 passed, 0 failed")
    assert [h[1:] for h in engine.history] == [
        ("我想看看我们能享受哪些政策", None), (None, "企业"), ("国家高新技术企业", None), ("今天天气怎么样", None)
    ]


def test_the_recording_fails_when_the_bot_changes(tmp_path):
    path = tmp_path / "recorded.yaml"
    record(ScriptedEngine()).write(path)
    changed = [reply for _, _, reply in SCRIPT]
    changed[2] = changed[2].model_copy(update={"benefits": changed[2].benefits[:1]})
    result = run_dialogue(load_dialogue(path), EngineTransport(ScriptedEngine().enqueue(*changed)))
    assert not result.ok
    assert [(t.number, [c.key for c in t.failures]) for t in result.failed_turns] == [(3, ["benefits_include"])]


@pytest.mark.parametrize("kwargs", [{"user": None, "choice": None}, {"user": "a", "choice": "b"}])
def test_add_needs_exactly_one_input(kwargs):
    with pytest.raises(ValueError, match="exactly one"):
        Recorder("x").add(reply=make_reply(), **kwargs)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=1, max_size=30),
    said=st.lists(st.text(max_size=40), min_size=1, max_size=3),
    bot=st.text(max_size=80),
)
def test_any_text_round_trips_through_a_recording(tmp_path, name, said, bot):
    recorder = Recorder(name)
    for s in said:
        recorder.add(user=s, choice=None, reply=make_reply(bot))
    path = tmp_path / "any.yaml"
    recorder.write(path)
    dialogue = load_dialogue(path)
    assert dialogue.spec.name == name
    assert [t.user for t in dialogue.spec.turns] == said
