"""Replay files: valid ones load with their turn lines; invalid ones name file, line and problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.replay.expectations import CHECKERS
from bot.replay.loader import ReplayFileError, collect_paths, load_dialogue
from bot.replay.schema import BenefitPattern, Expect
from calculators.models import Benefit

VALID = """\
name: 高企认定后问奖补
description: optional free text
turns:
  - user: 你好
    expect:
      reply_contains: ["高新技术企业"]
  - user: 我们去年被认定为国家高新技术企业
    note: the figure comes later
    expect:
      covered: true
      first_citation: 15
      citations_include: [15]
      benefits_include:
        - {article: 15, amount_yuan: 300000, basis: fixed}
  - choice: 企业          # pressing a quick-reply option instead of typing
    expect:
      asks_nonempty: true
      profile: {org_type: 企业}
  - user: ""
"""

CONTRACT_KEYS = {
    "reply_contains", "reply_not_contains", "reply_matches", "covered", "first_citation",
    "citations_include", "citations_exclude", "benefits_include", "benefits_exclude",
    "asks_nonempty", "profile",
}


def test_the_contract_example_loads_with_turn_lines(write):
    d = load_dialogue(write("a.yaml", VALID))
    assert d.name == "高企认定后问奖补"
    assert [t.said for t in d.spec.turns] == ["你好", "我们去年被认定为国家高新技术企业", "[choice] 企业", ""]
    assert d.turn_lines == (4, 7, 15, 19)
    expect = d.spec.turns[1].expect
    assert expect.given() == {
        "covered": True,
        "first_citation": 15,
        "citations_include": [15],
        "benefits_include": expect.benefits_include,
    }
    assert expect.benefits_include[0].given() == {"article": 15, "amount_yuan": 300000, "basis": "fixed"}


def test_name_defaults_to_the_file_name(write):
    assert load_dialogue(write("no_name.yaml", "turns:\n  - user: hi\n")).name == "no_name"


def test_every_contract_key_is_implemented_and_every_key_has_a_checker():
    assert CONTRACT_KEYS <= set(Expect.model_fields)
    assert set(Expect.model_fields) == set(CHECKERS)


def test_benefit_patterns_cover_every_benefit_field():
    assert set(BenefitPattern.model_fields) == set(Benefit.model_fields)


INVALID = [
    # (id, text, line, message fragment)
    ("empty file", "", 1, "the file is empty"),
    ("top level list", "- user: hi\n", 1, "top level must be a mapping"),
    ("no turns key", "name: x\n", 1, "missing required key `turns`"),
    ("no turns", "name: x\nturns: []\n", 2, "at least one turn"),
    ("turns null", "name: x\nturns:\n", 2, "turns: expected a list"),
    ("both user and choice", "name: x\nturns:\n  - user: hi\n    choice: 企业\n", 3, "not both"),
    ("neither", "name: x\nturns:\n  - user: hi\n  - expect: {covered: true}\n", 4, "needs `user"),
    ("turn is a string", "turns:\n  - user: hi\n  - 你好\n", 3, "turns[1]: expected a mapping"),
    ("unknown top key", "name: x\nturn:\n  - user: hi\n", 2, "unknown key `turn`"),
    ("unknown turn key", "turns:\n  - user: hi\n    expected: {covered: true}\n", 3, "did you mean `expect`"),
    (
        "unknown expectation",
        "turns:\n  - user: hi\n    expect:\n      covered: true\n      first_citaton: 15\n",
        5,
        "unknown key `first_citaton` in turns[0].expect — did you mean `first_citation`?",
    ),
    (
        "unknown benefit key",
        "turns:\n  - user: hi\n    expect:\n      benefits_include:\n        - {article: 15, amount: 3}\n",
        5,
        "unknown key `amount`",
    ),
    ("wrong type int", "turns:\n  - user: hi\n    expect:\n      first_citation: '15'\n", 4, "expected an integer"),
    ("wrong type bool", "turns:\n  - user: hi\n    expect:\n      covered: 'true'\n", 4, "expected true or false"),
    ("wrong type list", "turns:\n  - user: hi\n    expect:\n      citations_include: 15\n", 4, "expected a list"),
    ("number as text", "turns:\n  - user: 300\n", 2, "turns[0].user: expected a string"),
    (
        "bad basis",
        "turns:\n  - user: hi\n    expect:\n      benefits_include: [{basis: maybe}]\n",
        4,
        "basis: expected 'fixed', 'up_to', 'at_least' or 'computed'",
    ),
    ("bad regex", "turns:\n  - user: hi\n    expect:\n      reply_matches: '(('\n", 4, "not a valid regular expression"),
    ("article 31", "turns:\n  - user: hi\n    expect:\n      citations_include: [15, 31]\n", 4, "1–30, got 31"),
    ("duplicate key", "turns:\n  - user: hi\n    user: ho\n", 3, "duplicate key `user`"),
    ("yaml syntax", "turns:\n  - user: [hi\n", 3, "YAML syntax"),
    ("tab indent", "turns:\n\t- user: hi\n", 2, "YAML syntax"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_files_name_file_line_and_problem(write, text, line, fragment):
    path = write("bad.yaml", text)
    with pytest.raises(ReplayFileError) as info:
        load_dialogue(path)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.line == line, message
    assert re.match(rf"^.*bad\.yaml:{line}: ", message), message
    assert fragment in message


def test_not_utf8(write, tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("turns:\n  - user: 你好\n".encode("gbk"))
    with pytest.raises(ReplayFileError, match="not UTF-8"):
        load_dialogue(path)


def test_collect_paths_recurses_and_keeps_order(write, tmp_path):
    b = write("b.yaml", VALID)
    a = write("sub/deeper/a.yml", VALID)
    write("sub/notes.txt", "not a replay file")
    assert collect_paths([tmp_path]) == [b, a] or collect_paths([tmp_path]) == sorted([a, b])
    assert collect_paths([b, tmp_path]) == [b, a]  # b only once


def test_collect_paths_rejects_missing_and_empty(tmp_path):
    with pytest.raises(ReplayFileError, match="no such file or folder"):
        collect_paths([tmp_path / "nope.yaml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReplayFileError, match="no \\*.yaml"):
        collect_paths([tmp_path / "empty"])


def test_real_golden_files_are_valid():
    root = Path(__file__).resolve().parents[1] / "dialogues"
    files = sorted(root.rglob("*.y*ml"))
    for f in files:
        load_dialogue(f)
