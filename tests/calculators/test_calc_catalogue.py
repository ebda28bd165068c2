"""benefits.yaml loads, validates, and its look-ups work; broken catalogues fail with clear errors."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from calculators.catalogue import (
    DEFAULT_PATH,
    ORG_TYPES,
    CatalogueError,
    FixedRule,
    MatchRule,
    RatioRule,
    UpToRule,
    load_catalogue,
    parse_catalogue,
)
from calculators.format import format_rate, format_ratio, format_yuan

CAT = load_catalogue()
RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
FIGURES_NEEDED = {
    "rd_investment_last_year",
    "unit_price",
    "national_allocation",
    "sharing_income_last_year",
    "deal_amounts",
    "banner_investment",
    "award_prize",
    "region_trade_subsidy",
    "required_matching",
}


def test_loads_and_is_cached():
    assert load_catalogue() is CAT
    assert load_catalogue(DEFAULT_PATH) is CAT
    assert len(CAT.entries) >= 60
    assert CAT.org_types == ORG_TYPES
    assert list(CAT.org_types) == [
        "enterprise",
        "new_rd_institution",
        "university",
        "research_institute",
        "hospital",
        "incubator",
        "tech_service",
        "park",
        "banner",
        "lab",
        "talent",
    ]
    assert CAT.org_types["incubator"] == "孵化载体/众创空间运营方"


def test_figures():
    assert FIGURES_NEEDED <= set(CAT.figures)
    assert [k for k, f in CAT.figures.items() if f.multiple] == ["deal_amounts"]
    used = {e.figure for e in CAT.entries if e.figure}
    assert used == set(CAT.figures), "every figure is used by an entry and every used figure is defined"
    for key, f in CAT.figures.items():
        assert f.key == key
        assert f.ask.endswith("）") and "？" in f.ask, key
        assert f.cues and all(not re.search(r"[\\()\[\]|.*+?]", c) for c in f.cues), (
            f"{key}: cues are plain words"
        )


def test_triggers_have_short_labels_recipients_and_are_all_used():
    for tid, t in CAT.triggers.items():
        assert t.id == tid
        assert len(t.label) <= 14, f"{tid}: label {t.label!r} is long for a button"
        assert t.recipients, tid
        assert CAT.entries_for_trigger(tid), tid
    labels = [t.label for t in CAT.triggers.values()]
    assert len(labels) == len(set(labels)), "labels are unique (they are pressed as buttons)"


def test_objects_group_levels():
    by_object: dict[str, list[str]] = {}
    for t in CAT.triggers.values():
        by_object.setdefault(t.object, []).append(t.level)
    assert sorted(by_object["众创空间"]) == ["national", "region"]
    assert sorted(by_object["技术创新中心"]) == ["national", "region"]
    assert sorted(by_object["高新技术产业开发区"]) == ["national", "national", "region", "region", "region"]


def test_lookups():
    e = CAT.entry("hitech_enterprise_award")
    assert (e.article, e.clause, e.rule) == (15, "15.2", FixedRule(kind="fixed", amount_yuan=300_000))
    with pytest.raises(KeyError):
        CAT.entry("nope")
    assert [x.id for x in CAT.entries_for_trigger("transfer_demo_zone_national")] == [
        "transfer_demo_zone_national",
        "transfer_demo_zone_national_operation",
    ]
    # an operating subsidy also applies to a newly recognised carrier
    assert "incubation_carrier_operation" in [x.id for x in CAT.entries_for_trigger("national_makerspace")]
    assert [x.id for x in CAT.entries_for_article(17)] == [
        "enterprise_tech_center_national",
        "enterprise_tech_center_region",
        "social_new_rd_institution_support",
    ]
    enterprise = {t.id for t in CAT.triggers_for_org("enterprise")}
    assert {"hitech_enterprise", "tech_sme", "first_set_national"} <= enterprise
    assert "national_makerspace" not in enterprise
    assert len(CAT.triggers_for_org(None)) == len(CAT.triggers)
    with pytest.raises(KeyError):
        CAT.triggers_for_org("company")
    assert CAT.figure("deal_amounts").multiple
    assert CAT.match_triggers("我们去年认定了高企") == ["hitech_enterprise"]
    assert CAT.departments[15] == ("市科学技术局",)


def test_entries_are_unique_and_ordered():
    ids = [e.id for e in CAT.entries]
    assert len(ids) == len(set(ids))
    assert [(e.article, e.clause_n) for e in CAT.entries] == sorted(
        (e.article, e.clause_n) for e in CAT.entries
    )


def test_rules_by_kind():
    kinds = {e.id: e.rule.kind for e in CAT.entries}
    assert kinds["social_new_rd_institution_support"] == "ratio"
    assert CAT.entry("social_new_rd_institution_support").rule.rate == __import__("decimal").Decimal("0.20")
    assert kinds["banner_new_rd_institution_match"] == "match"
    assert kinds["tech_export_matching"] == "match"
    assert kinds["sci_tech_award_match"] == "equal"
    assert kinds["plan_project_matching"] == "equal"
    assert kinds["ordos_lab_funding"] == "at_least"
    # caps without a rate stay caps: never a made-up rate
    for eid in (
        "tech_import_subsidy",
        "tech_standard_award",
        "enterprise_rd_investment_award",
        "high_level_talent_support",
        "national_hitech_zone_rank_up",
        "three_zero_award",
        "major_sci_project_support",
        "young_talent_project",
    ):
        assert kinds[eid] == "up_to", eid
    deal = CAT.entry("tech_transfer_deal_award").rule
    assert (deal.item_cap_yuan, deal.yearly_cap_yuan, deal.cap_yuan) == (300_000, 1_000_000, None)


def _amount_texts(entry) -> list[str]:
    r = entry.rule
    texts = []
    for name in ("amount_yuan", "cap_yuan", "floor_yuan", "item_cap_yuan", "yearly_cap_yuan"):
        value = getattr(r, name, None)
        if value is not None:
            texts.append(format_yuan(value))
    if isinstance(r, RatioRule):
        texts.append(format_rate(r.rate))
    if isinstance(r, MatchRule):
        texts.append(format_ratio(r.ratio))
    return texts


@pytest.mark.parametrize("entry", CAT.entries, ids=[e.id for e in CAT.entries])
def test_every_amount_of_a_rule_is_written_in_its_quote(entry):
    source = entry.quote + (entry.amount_source.quote if entry.amount_source else "")
    for text in _amount_texts(entry):
        assert text in source, f"{entry.id}: {text} not in the quote"
    kind = entry.rule.kind
    if kind == "up_to":
        assert re.search("最高|不超过", source), entry.id
        assert "具体金额按配套实施细则确定" in entry.note, f"{entry.id}: say the text only gives a cap"
    if kind == "at_least":
        assert "不低于" in source, entry.id
    if kind == "fixed":
        assert not re.search(rf"最高{re.escape(format_yuan(entry.rule.amount_yuan))}", source), entry.id
    if kind == "equal":
        assert "等额" in source or "足额" in source, entry.id
    if isinstance(entry.rule, UpToRule) and entry.period == "per_year":
        assert "每年" in source or "上年度" in source, entry.id


# --- validation ----------------------------------------------------------------------------------


def _broken(mutate) -> dict:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    return raw


def _entry(raw: dict, eid: str) -> dict:
    return next(e for e in raw["entries"] if e["id"] == eid)


BROKEN = [
    (
        "unknown trigger",
        lambda r: _entry(r, "hitech_enterprise_award").update(trigger="gaoqi"),
        r"unknown trigger 'gaoqi'",
    ),
    (
        "unknown also_trigger",
        lambda r: _entry(r, "pilot_base_operation").update(also_triggers=["x"]),
        r"unknown trigger 'x'",
    ),
    (
        "unknown figure",
        lambda r: _entry(r, "social_new_rd_institution_support")["rule"].update(figure="rd"),
        r"unknown figure 'rd'",
    ),
    (
        "float rate",
        lambda r: _entry(r, "social_new_rd_institution_support")["rule"].update(rate=0.2),
        r"\[social_new_rd_institution_support\].*string",
    ),
    (
        "rate above 1",
        lambda r: _entry(r, "social_new_rd_institution_support")["rule"].update(rate="20"),
        r"between 0 and 1",
    ),
    (
        "rate not a number",
        lambda r: _entry(r, "social_new_rd_institution_support")["rule"].update(rate="二成"),
        r"not a decimal",
    ),
    (
        "up_to without cap",
        lambda r: _entry(r, "tech_sme_award").update(rule={"kind": "up_to"}),
        r"\[tech_sme_award\]\.rule\.up_to\.cap_yuan",
    ),
    (
        "unknown kind",
        lambda r: _entry(r, "tech_sme_award").update(rule={"kind": "about", "cap_yuan": 1}),
        r"\[tech_sme_award\]\.rule",
    ),
    (
        "float amount",
        lambda r: _entry(r, "hitech_enterprise_award").update(
            rule={"kind": "fixed", "amount_yuan": 300000.0}
        ),
        r"amount_yuan",
    ),
    ("stray field", lambda r: _entry(r, "hitech_enterprise_award").update(amount=1), r"amount"),
    (
        "duplicate id",
        lambda r: _entry(r, "tech_sme_award").update(id="hitech_enterprise_award"),
        r"duplicate id",
    ),
    ("clause of another article", lambda r: _entry(r, "tech_sme_award").update(clause="16.1"), r"\"15\.n\""),
    ("bad period", lambda r: _entry(r, "tech_sme_award").update(period="monthly"), r"period"),
    (
        "level differs from trigger",
        lambda r: _entry(r, "tech_sme_award").update(level="region"),
        r"level 'region' differs",
    ),
    (
        "unknown recipient",
        lambda r: r["triggers"]["tech_sme"].update(recipients=["company"]),
        r"unknown recipient 'company'",
    ),
    ("bad regex", lambda r: r["triggers"]["tech_sme"].update(cues=["科小("]), r"not a valid regex"),
    ("no cues", lambda r: r["triggers"]["tech_sme"].update(cues=[]), r"at least one cue"),
    ("org types changed", lambda r: r["org_types"].pop("talent"), r"org_types must be exactly"),
    (
        "unused trigger",
        lambda r: r["triggers"].update(
            extra={"label": "x", "object": "x", "level": "none", "cues": ["x"], "recipients": ["enterprise"]}
        ),
        r"used by no entry: extra",
    ),
    ("out of order", lambda r: r["entries"].reverse(), r"article/clause order"),
    (
        "cap on a per-item figure",
        lambda r: _entry(r, "tech_transfer_deal_award")["rule"].update(cap_yuan=5),
        r"item_cap_yuan / yearly_cap_yuan",
    ),
    (
        "item cap on a single figure",
        lambda r: _entry(r, "social_new_rd_institution_support")["rule"].update(item_cap_yuan=5),
        r"need a multiple figure",
    ),
    (
        "equal on a per-item figure",
        lambda r: _entry(r, "sci_tech_award_match")["rule"].update(figure="deal_amounts"),
        r"take a single figure",
    ),
    ("snake case id", lambda r: _entry(r, "tech_sme_award").update(id="TechSme"), r"snake_case"),
]


@pytest.mark.parametrize(("mutate", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_catalogue_is_rejected_with_a_clear_error(mutate, message):
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(_broken(mutate), "benefits.yaml")


def test_unreadable_files(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="top level must be a mapping"):
        load_catalogue(bad)


def test_a_copy_in_another_place_loads(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(DEFAULT_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    other = load_catalogue(path)
    assert other is not CAT and other == CAT
