"""NLU: intents, article references, recognitions and figures, table-driven from nlu_cases.yaml."""

from pathlib import Path

import pytest
import yaml

from bot.dialogue import nlu
from calculators.catalogue import load_catalogue
from calculators.textnorm import normalize

CASES = yaml.safe_load((Path(__file__).parent / "nlu_cases.yaml").read_text(encoding="utf-8"))
CAT = load_catalogue()


@pytest.mark.parametrize("row", CASES["article_lookup"], ids=lambda r: r["text"])
def test_article_lookup(row):
    assert nlu.is_article_lookup(normalize(row["text"])) == row["article"]


@pytest.mark.parametrize("text", CASES["form_start"])
def test_form_start(text):
    assert nlu.is_form_start(normalize(text))


@pytest.mark.parametrize("text", CASES["skip"])
def test_skip(text):
    assert nlu.is_skip(normalize(text))


@pytest.mark.parametrize("text", CASES["correction"])
def test_correction(text):
    assert nlu.is_correction(normalize(text))


@pytest.mark.parametrize("text", CASES["greeting"])
def test_greeting(text):
    assert nlu.is_greeting(normalize(text))


@pytest.mark.parametrize("text", ["高企能拿多少", "研发投入1200万", "第十五条"])
def test_not_greeting_or_skip(text):
    t = normalize(text)
    assert not nlu.is_greeting(t) and not nlu.is_skip(t)


@pytest.mark.parametrize("row", CASES["triggers"], ids=lambda r: r["text"])
def test_triggers(row):
    detected = nlu.detect_triggers(normalize(row["text"]), CAT)
    assert detected.triggers == row["triggers"]


@pytest.mark.parametrize("row", CASES["amb"], ids=lambda r: r["text"])
def test_level_left_open_is_ambiguous(row):
    detected = nlu.detect_triggers(normalize(row["text"]), CAT)
    assert row["object"] in detected.ambiguous
    assert not detected.triggers


@pytest.mark.parametrize("row", CASES["figures"], ids=lambda r: r["text"])
def test_figures(row):
    found = nlu.extract_figures(normalize(row["text"]), CAT, row["wanted"])
    assert found.values == row["expect"]


def test_figure_mention_does_not_trigger_other_article():
    t = normalize("企业举办的新型研发机构，上年度研发投入2000万元，补多少")
    detected = nlu.detect_triggers(t, CAT)
    needs = {x: CAT.figures_for([x]) for x in detected.all_ids()}
    nlu.drop_figure_mentions(detected, t, CAT, needs)
    assert detected.triggers == ["social_new_rd_institution"]
