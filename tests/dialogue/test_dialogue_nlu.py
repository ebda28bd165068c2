"""NLU: intents, article references, recognitions and figures, table-driven from nlu_cases.yaml."""

from pathlib import Path

import pytest
import yaml

from bot.dialogue.nlu import figures, moves, recognitions
from calculators.catalogue import load_catalogue
from calculators.textnorm import normalize

CASES = yaml.safe_load((Path(__file__).parent / "nlu_cases.yaml").read_text(encoding="utf-8"))
CAT = load_catalogue()


@pytest.mark.parametrize("row", CASES["article_lookup"], ids=lambda r: r["text"])
def test_article_lookup(row):
    assert moves.article_lookup(normalize(row["text"])) == row["article"]


@pytest.mark.parametrize("text", CASES["form_start"])
def test_form_start(text):
    assert moves.is_move("form_start", normalize(text))


@pytest.mark.parametrize("text", CASES["skip"])
def test_skip(text):
    assert moves.is_move("skip", normalize(text))


@pytest.mark.parametrize("text", CASES["correction"])
def test_correction(text):
    assert moves.is_move("correction", normalize(text))


@pytest.mark.parametrize("text", CASES["greeting"])
def test_greeting(text):
    assert moves.is_move("greeting", normalize(text))


@pytest.mark.parametrize("text", ["高企能拿多少", "研发投入1200万", "第十五条"])
def test_not_greeting_or_skip(text):
    t = normalize(text)
    assert not moves.is_move("greeting", t) and not moves.is_move("skip", t)


@pytest.mark.parametrize("row", CASES["triggers"], ids=lambda r: r["text"])
def test_triggers(row):
    detected = recognitions.detect_triggers(normalize(row["text"]), CAT)
    assert detected.triggers == row["triggers"]


@pytest.mark.parametrize("row", CASES["amb"], ids=lambda r: r["text"])
def test_level_left_open_is_ambiguous(row):
    detected = recognitions.detect_triggers(normalize(row["text"]), CAT)
    assert row["object"] in detected.ambiguous
    assert not detected.triggers


@pytest.mark.parametrize("row", CASES["figures"], ids=lambda r: r["text"])
def test_figures(row):
    found = figures.read_figures(normalize(row["text"]), CAT, row["wanted"])
    assert {k: list(v) for k, v in found.values.items()} == row["expect"]


def test_figure_mention_does_not_trigger_other_article():
    t = normalize("企业举办的新型研发机构，上年度研发投入2000万元，补多少")
    detected = recognitions.detect_triggers(t, CAT)
    recognitions.drop_figure_mentions(detected, t, CAT)
    assert detected.triggers == ["social_new_rd_institution"]
