"""Trigger cues against user phrasings (cases.yaml cues:) and against each other's labels."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from calculators.catalogue import load_catalogue
from calculators.textnorm import normalize

CASES = yaml.safe_load((Path(__file__).with_name("cases.yaml")).read_text(encoding="utf-8"))
CAT = load_catalogue()
ROWS = [
    (tid, text, expected)
    for tid, spec in CASES["cues"].items()
    for expected, key in ((True, "match"), (False, "no_match"))
    for text in spec.get(key, [])
]


@pytest.mark.parametrize(
    ("tid", "text", "expected"), ROWS, ids=[f"{t}:{'+' if e else '-'}{x}" for t, x, e in ROWS]
)
def test_cue(tid, text, expected):
    assert CAT.triggers[tid].matches(normalize(text)) is expected


def test_cue_table_names_known_triggers():
    assert set(CASES["cues"]) <= set(CAT.triggers)


def test_every_trigger_is_exercised_by_a_phrase():
    named = {t for t, _, e in ROWS if e}
    named |= {t for c in CASES["scenarios"] if c.get("cue_check", True) for t in c["profile"]["triggers"]}
    assert not set(CAT.triggers) - named, f"add cues: phrases for {sorted(set(CAT.triggers) - named)}"


@pytest.mark.parametrize("tid", list(CAT.triggers))
def test_label_matches_its_own_cues(tid):
    t = CAT.triggers[tid]
    assert t.matches(normalize(t.label)), f"{tid}: the button label {t.label!r} is not recognised"


def test_labels_do_not_match_other_objects():
    allowed = {tuple(p) for p in CASES["cue_overlaps"]}
    clashes = [
        (tid, other)
        for tid, t in CAT.triggers.items()
        for other, o in CAT.triggers.items()
        if o.object != t.object and o.matches(normalize(t.label)) and (tid, other) not in allowed
    ]
    assert not clashes, clashes


def test_same_object_same_level_labels_are_told_apart():
    """Within a family at one level (孵化类/研发类, 首次/考核优秀), a label names only its own trigger."""
    for tid, t in CAT.triggers.items():
        for other, o in CAT.triggers.items():
            if other != tid and o.object == t.object and o.level == t.level and o.matches(normalize(t.label)):
                shares = set(CAT.entries_for_trigger(tid)) & set(CAT.entries_for_trigger(other))
                assert shares, f"label of {tid} also names {other}, which gives different money"
