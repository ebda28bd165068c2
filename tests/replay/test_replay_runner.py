"""replay_paths() end to end against the scripted engine: reports, exit codes, JUnit, fail-fast."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from replay_fakes import ScriptedEngine, make_reply

from bot.replay import EngineTransport, load_dialogue, replay_paths, run_dialogue

GREEN = """\
name: 高企
turns:
  - user: 我们去年被认定为国家高新技术企业
    expect:
      covered: true
      first_citation: 15
      benefits_include:
        - {article: 15, amount_yuan: 300000, basis: fixed}
  - choice: 企业
    expect:
      asks_nonempty: true
"""

BROKEN = """\
name: 坏的期望
turns:
  - user: 你好
  - user: 高企能拿多少
    expect:
      first_citation: 16
      reply_contains: ["500万元"]
      benefits_include:
        - {article: 15, amount_yuan: 500000}
"""


def high_tech_replies():
    return [
        make_reply(
            "国家高新技术企业可获30万元科研经费奖补（第十五条）。请问贵单位属于哪类？",
            citations=[15],
            benefits=[{"article": 15, "amount_yuan": 300000}],
            choices=["企业", "高校"],
        ),
        make_reply("上年度研发投入是多少？", asks=["上年度研发投入是多少？"]),
    ]


def factory(engine):
    return lambda: EngineTransport(engine)


def test_all_green_exit_0_fresh_session_per_file(engine, write, console_out, tmp_path):
    a, b = write("a.yaml", GREEN), write("sub/b.yaml", GREEN)
    engine.enqueue(*high_tech_replies(), *high_tech_replies())
    console, out = console_out
    assert replay_paths([tmp_path], transport_factory=factory(engine), console=console) == 0
    assert len(engine.sessions) == 2 and all(s.startswith("replay-") for s in engine.sessions)
    assert engine.deleted == engine.sessions
    assert [h[1:] for h in engine.history] == [("我们去年被认定为国家高新技术企业", None), (None, "企业")] * 2
    text = out.getvalue()
    assert text.rstrip().endswith("2 passed, 0 failed")
    assert "a.yaml" in text and "b.yaml" in text and "pass" in text
    assert a.exists() and b.exists()


def test_a_broken_expectation_gives_a_clear_report_and_exit_1(engine, write, console_out):
    path = write("broken.yaml", BROKEN)
    engine.enqueue(make_reply("您好！"), *high_tech_replies()[:1])
    console, out = console_out
    assert replay_paths([path], transport_factory=factory(engine), console=console) == 1
    text = out.getvalue()
    assert "FAILED" in text and "broken.yaml" in text and "坏的期望" in text
    assert "turn 2 (" in text and "broken.yaml:4)" in text  # turn number and line
    assert "user: 高企能拿多少" in text
    for key in ("first_citation", "reply_contains", "benefits_include"):
        assert f"✗ {key}" in text
    assert 'expected: 16' in text and "actual:   15" in text
    assert "国家高新技术企业可获30万元科研经费奖补" in text  # actual reply text
    assert "citations: 15 (15.1)" in text
    assert "15 (15.1) 第15条奖补: 300000 元 fixed one_time" in text  # actual benefits
    assert "turn 1 (" not in text  # the passing turn is not in the details
    assert text.rstrip().endswith("0 passed, 1 failed")


def test_an_invalid_file_exits_2_with_file_and_line_and_runs_nothing(engine, write, console_out, capsys):
    good = write("a_good.yaml", GREEN)
    bad = write("b_bad.yaml", "name: x\nturns:\n  - user: hi\n    expect:\n      covred: true\n")
    built = []
    console, out = console_out
    code = replay_paths([good, bad], transport_factory=lambda: built.append(1), console=console)
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"{bad}:5: unknown key `covred`") and "did you mean `covered`?" in err
    assert built == [] and engine.history == [] and out.getvalue() == ""


def test_a_missing_path_exits_2(tmp_path, capsys):
    assert replay_paths([tmp_path / "nope.yaml"], transport_factory=lambda: None) == 2
    assert "nope.yaml: no such file or folder" in capsys.readouterr().err


def test_a_bot_that_cannot_start_exits_2(write, capsys):
    def broken_factory():
        raise ConnectionError("no index")

    assert replay_paths([write("a.yaml", GREEN)], transport_factory=broken_factory) == 2
    assert capsys.readouterr().err.strip() == "replay: cannot start the bot: ConnectionError: no index"


def test_a_choice_not_offered_fails_that_turn_and_stops(engine, write):
    text = "turns:\n  - user: 开始\n  - choice: 科研院所\n  - user: 之后\n"
    engine.enqueue(make_reply("请选择", choices=["企业", "高校"]), make_reply("不该用到"))
    result = run_dialogue(load_dialogue(write("c.yaml", text)), EngineTransport(engine))
    assert not result.ok and result.not_run == 1
    assert len(engine.history) == 1  # the bad choice was never sent
    assert result.turns[1].error == "choice '科研院所' is not one of the previous reply's choices ['企业', '高校']"


def test_a_choice_when_nothing_was_offered(engine, write):
    engine.enqueue(make_reply("你好"))
    result = run_dialogue(load_dialogue(write("c.yaml", "turns:\n  - user: 你好\n  - choice: 企业\n")), EngineTransport(engine))
    assert "previous reply offered no choices" in result.turns[1].error


def test_a_choice_as_the_first_turn(engine, write):
    result = run_dialogue(load_dialogue(write("c.yaml", "turns:\n  - choice: 企业\n")), EngineTransport(engine))
    assert not result.ok and engine.history == []


def test_an_engine_exception_is_a_failed_turn_not_a_crash(engine, write, console_out):
    engine.enqueue(make_reply("你好"), ValueError("boom"))
    console, out = console_out
    path = write("e.yaml", "turns:\n  - user: 你好\n  - user: 炸\n  - user: 不会发送\n")
    assert replay_paths([path], transport_factory=factory(engine), console=console) == 1
    text = out.getvalue()
    assert "✗ the bot raised ValueError: boom" in text and "1 later turn(s) not run" in text
    assert "not run" in text


def test_junit_xml_parses_and_carries_the_failure(engine, write, console_out, tmp_path):
    green, broken = write("a.yaml", GREEN), write("b.yaml", BROKEN)
    engine.enqueue(*high_tech_replies(), make_reply("您好\x01"), *high_tech_replies()[:1])
    junit = tmp_path / "out" / "junit.xml"
    console, _ = console_out
    assert replay_paths([green, broken], transport_factory=factory(engine), junit=junit, console=console) == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["高企", "坏的期望"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure.get("message") == "turn 2: reply_contains, first_citation, benefits_include"
    assert "user: 高企能拿多少" in failure.text and "expected: 16" in failure.text
    assert float(cases[1].get("time")) >= 0 and cases[1].get("file").endswith("b.yaml")


def test_fail_fast_stops_after_the_first_failing_dialogue(engine, write, console_out, tmp_path):
    write("1_green.yaml", GREEN)
    write("2_broken.yaml", BROKEN)
    write("3_green.yaml", GREEN)
    engine.enqueue(*high_tech_replies(), make_reply("您好"), *high_tech_replies()[:1], *high_tech_replies())
    console, out = console_out
    assert replay_paths([tmp_path], transport_factory=factory(engine), fail_fast=True, console=console) == 1
    assert len(engine.sessions) == 2  # the third file never ran
    text = out.getvalue()
    assert "3_green.yaml" not in text
    assert "(--fail-fast): 1 not run" in text
    assert text.rstrip().endswith("1 passed, 1 failed")


def test_without_fail_fast_every_dialogue_runs(engine, write, console_out, tmp_path):
    write("1_broken.yaml", BROKEN)
    write("2_green.yaml", GREEN)
    engine.enqueue(make_reply("您好"), *high_tech_replies()[:1], *high_tech_replies())
    console, out = console_out
    assert replay_paths([tmp_path], transport_factory=factory(engine), console=console) == 1
    assert out.getvalue().rstrip().endswith("1 passed, 1 failed")


def test_the_transport_is_built_once_and_closed(write, console_out, tmp_path):
    engine = ScriptedEngine().enqueue(*high_tech_replies(), *high_tech_replies())
    write("a.yaml", GREEN)
    write("b.yaml", GREEN)
    made, closed = [], []

    class Closing(EngineTransport):
        def close(self):
            closed.append(1)

    def make():
        made.append(1)
        return Closing(engine)

    console, _ = console_out
    assert replay_paths([tmp_path], transport_factory=make, console=console) == 0
    assert made == [1] and closed == [1]


@pytest.mark.parametrize("key", ["user", "choice"])
def test_turn_input_reaches_the_engine_unchanged(engine, write, key):
    engine.enqueue(make_reply("选", choices=["  企业 "]), make_reply("ok"))
    text = f"turns:\n  - user: 开始\n  - {key}: '  企业 '\n"
    assert run_dialogue(load_dialogue(write("t.yaml", text)), EngineTransport(engine)).ok
    expected = ("  企业 ", None) if key == "user" else (None, "  企业 ")
    assert engine.history[1][1:] == expected
