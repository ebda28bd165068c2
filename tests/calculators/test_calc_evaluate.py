"""evaluate(profile) and profile_from_json: the amount scenarios as hand-written profiles, plus
report shape (order, org filter, pending, totals, departments)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from calculators.catalogue import load_catalogue
from calculators.evaluate import ProfileError, evaluate, profile_from_json
from calculators.models import Profile
from calculators.textnorm import normalize

HERE = Path(__file__).resolve().parent
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
CAT = load_catalogue()
SCENARIO_FILES = [Path("/work/shared/eval/dev_scenarios.jsonl"), HERE.parent / "eval" / "scenarios.jsonl"]


def _profile(data: dict) -> Profile:
    figures = {k: tuple(v) if isinstance(v, list) else v for k, v in (data.get("figures") or {}).items()}
    return Profile(org_type=data.get("org_type"), triggers=tuple(data.get("triggers", ())), figures=figures,
                   summed=data.get("summed", True))


def _file_scenarios() -> dict[str, dict]:
    found = {}
    for path in SCENARIO_FILES:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    found[row["id"]] = row
    return found


FILE_SCENARIOS = _file_scenarios()
SCENARIOS = CASES["scenarios"]


@pytest.mark.parametrize("case", SCENARIOS, ids=[c["id"] for c in SCENARIOS])
def test_scenario_amounts(case):
    report = evaluate(_profile(case["profile"]), CAT)
    got = [(b.article, b.amount_yuan, b.basis) for b in report.benefits]
    for want in case["expect"]:
        assert (want["article"], want["amount_yuan"], want["basis"]) in got, (
            f"{case['id']}: {want} not in {got}"
        )
    if case["id"] in FILE_SCENARIOS:
        assert case["expect"] == FILE_SCENARIOS[case["id"]]["expect"], (
            f"{case['id']}: expect differs from the scenario file"
        )
        assert case["q"] == FILE_SCENARIOS[case["id"]]["q"]


def test_every_scenario_of_the_files_has_a_profile():
    have = {c["id"] for c in SCENARIOS}
    missing = sorted(set(FILE_SCENARIOS) - have)
    assert not missing, f"write profiles in cases.yaml for {missing}"


@pytest.mark.parametrize("case", [c for c in SCENARIOS if c.get("cue_check", True)], ids=lambda c: c["id"])
def test_scenario_question_names_its_triggers(case):
    found = set(CAT.match_triggers(normalize(case["q"])))
    assert set(case["profile"]["triggers"]) <= found, f"{case['q']}: cues found {sorted(found)}"


# --- report shape --------------------------------------------------------------------------------


def test_benefits_follow_article_order_and_carry_entry_data():
    p = Profile(triggers=("tech_sme", "ordos_lab", "hitech_enterprise", "tech_transfer_deals"))
    report = evaluate(p, CAT)
    assert [b.article for b in report.benefits] == sorted(b.article for b in report.benefits)
    b = next(b for b in report.benefits if b.id == "hitech_enterprise_award")
    assert (b.quote, b.note, b.formula) == (
        "对符合一定条件的国家高新技术企业给予30万元科研经费奖补",
        "须符合一定条件",
        "定额 30万元",
    )


def test_org_type_filters_by_recipients():
    triggers = ("hitech_enterprise", "national_makerspace")
    assert {b.id for b in evaluate(Profile(org_type="enterprise", triggers=triggers), CAT).benefits} == {
        "hitech_enterprise_award"
    }
    assert {b.id for b in evaluate(Profile(org_type="incubator", triggers=triggers), CAT).benefits} == {
        "national_makerspace",
        "incubation_carrier_operation",
    }
    assert len(evaluate(Profile(org_type=None, triggers=triggers), CAT).benefits) == 3


def test_also_triggers_apply_once():
    p = Profile(org_type="enterprise", triggers=("pilot_base_region_new", "pilot_base"))
    ids = [b.id for b in evaluate(p, CAT).benefits]
    assert ids == ["pilot_base_region_new", "pilot_base_operation"]


def test_pending_missing_figures_and_asks():
    p = Profile(
        triggers=("sci_tech_award", "social_new_rd_institution", "tech_export", "national_plan_project")
    )
    report = evaluate(p, CAT)
    assert [x.entry_id for x in report.pending] == ["tech_export_matching", "sci_tech_award_match"]
    assert report.pending[0].figures == ("region_trade_subsidy",)
    assert report.pending[0].quote == CAT.entry("tech_export_matching").quote
    assert report.missing_figures == [
        "national_allocation",
        "region_trade_subsidy",
        "rd_investment_last_year",
        "award_prize",
    ]
    assert report.asks == [CAT.figures[k].ask for k in report.missing_figures]
    ratio = next(b for b in report.benefits if b.id == "social_new_rd_institution_support")
    assert (ratio.basis, ratio.amount_yuan, ratio.missing) == (
        "up_to",
        5_000_000,
        ["rd_investment_last_year"],
    )

    full = evaluate(
        p.model_copy(
            update={
                "figures": {
                    "award_prize": 200_000,
                    "rd_investment_last_year": 12_000_000,
                    "region_trade_subsidy": 500_000,
                    "national_allocation": 6_000_000,
                }
            }
        ),
        CAT,
    )
    assert full.pending == [] and full.missing_figures == [] and full.asks == []
    assert {b.basis for b in full.benefits} == {"computed"}


def test_totals_separate_certain_amounts_from_caps():
    p = Profile(
        triggers=(
            "hitech_enterprise",
            "tech_sme",
            "social_new_rd_institution",
            "transfer_demo_zone_national",
            "sci_tech_advisor",
            "major_sci_project",
            "ordos_lab",
        ),
        figures={"rd_investment_last_year": 12_000_000},
    )
    t = evaluate(p, CAT).totals
    # certain: 30万 (fixed, one-time) + 500万 (fixed, one-time); 240万 computed per year + 5亿 at_least per year
    assert t.one_time_yuan == 300_000 + 5_000_000
    assert t.per_year_yuan == 2_400_000 + 500_000_000
    # caps: 5万 one-time + 2000万 per project; 300万 per year + 10万 per person per year
    assert t.up_to_one_time_yuan == 50_000 + 20_000_000
    assert t.up_to_per_year_yuan == 3_000_000 + 100_000


def test_departments_in_article_order_without_repeats():
    p = Profile(triggers=("first_set_national", "hitech_enterprise", "tech_standard", "sci_tech_award"))
    assert evaluate(p, CAT).departments == [
        "市市场监督管理局",
        "市科学技术局",
        "市工业和信息化局",
        "市委组织部",
        "市人力资源和社会保障局",
    ]


def test_empty_profile_gives_an_empty_report():
    report = evaluate(Profile(), CAT)
    assert report.benefits == [] and report.pending == [] and report.departments == []
    assert report.totals.one_time_yuan == report.totals.up_to_per_year_yuan == 0


def test_default_catalogue():
    assert evaluate(Profile(triggers=("hitech_enterprise",))).benefits[0].amount_yuan == 300_000


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (Profile(org_type="company"), "unknown org_type 'company'"),
        (Profile(triggers=("gaoqi",)), "unknown trigger"),
        (Profile(figures={"revenue": 1}), "unknown figure 'revenue'"),
        (Profile(figures={"unit_price": (1, -2)}), "negative"),
        (Profile(figures={"unit_price": -1}), "negative"),
    ],
)
def test_bad_profiles(profile, message):
    with pytest.raises(ProfileError, match=message):
        evaluate(profile, CAT)


# --- profile_from_json ---------------------------------------------------------------------------


def test_profile_from_json_accepts_keys_labels_ints_and_text():
    p = profile_from_json(
        {
            "org_type": "技术转移/科技服务机构",
            "triggers": ["促成技术交易落地", "tech_transfer_deals", "hitech_enterprise"],
            "figures": {
                "deal_amounts": "800、900和1000万元",
                "rd_investment_last_year": "1,200万元",
                "unit_price": 3_000_000,
            },
        },
        CAT,
    )
    assert p.org_type == "tech_service"
    assert p.triggers == ("tech_transfer_deals", "hitech_enterprise")
    assert p.figures == {
        "deal_amounts": (8_000_000, 9_000_000, 10_000_000),
        "rd_investment_last_year": 12_000_000,
        "unit_price": 3_000_000,
    }
    report = evaluate(p, CAT)
    assert [b.amount_yuan for b in report.benefits] == [810_000]  # 24万 + 27万 + 30万; hitech is for enterprises


def test_profile_from_json_lists_and_singles():
    p = profile_from_json({"figures": {"deal_amounts": ["800万", 9_000_000], "award_prize": "20万元"}})
    assert p.figures == {"deal_amounts": (8_000_000, 9_000_000), "award_prize": 200_000}
    assert profile_from_json({"figures": {"deal_amounts": 5_000_000}}).figures == {
        "deal_amounts": (5_000_000,)
    }
    assert profile_from_json({"figures": {"unit_price": None}}).figures == {}
    assert profile_from_json({}) == Profile()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"org_type": "公司"}, "unknown org_type"),
        ({"triggers": ["高企"]}, "unknown trigger"),
        ({"triggers": "hitech_enterprise"}, "list of trigger ids"),
        ({"figures": {"revenue": 1}}, "unknown figure"),
        ({"figures": []}, "must be an object"),
        ({"figures": {"unit_price": 1.5}}, "integer yuan"),
        ({"figures": {"unit_price": True}}, "not an amount"),
        ({"figures": {"unit_price": "约200万"}}, "unit_price"),
        ({"figures": {"unit_price": "很多钱"}}, "unit_price"),
        ({"figures": {"unit_price": [1, -2]}}, "negative"),
        ({"figures": {"unit_price": -5}}, "negative"),
        ({"figures": {"deal_amounts": "大约800万"}}, "approximate"),
        ({"profile": {}}, "unknown profile key"),
        ([], "JSON object"),
    ],
)
def test_profile_from_json_rejects(data, message):
    with pytest.raises(ProfileError, match=message):
        profile_from_json(data, CAT)


def test_a_single_value_figure_given_for_several_items_pays_each_item_capped():
    """Two products' unit prices (BAD_INPUTS 32): one benefit per product, each capped, summed."""
    profile = Profile(triggers=("first_set_national",), figures={"unit_price": (2_000_000, 5_000_000)})
    report = evaluate(profile, CAT)
    items = [(b.item.endswith("（第1项）"), b.amount_yuan) for b in report.benefits if b.article == 19]
    assert [amount for _, amount in items] == [600_000, 1_000_000]
    assert report.totals.one_time_yuan == 1_600_000
    assert report.benefits[0].formula.startswith("第1项：")


# --- how many things the asker has (Profile.counts / itemised / one_item / trigger_figures) ------


def _amounts(report) -> list[tuple[str, int, str]]:
    return [(b.id, b.amount_yuan, b.basis) for b in report.benefits]


def test_counts_give_one_benefit_per_thing_for_one_time_items_only():
    two_labs = Profile(triggers=("region_makerspace", "incubation_carrier"),
                       counts={"region_makerspace": 2, "incubation_carrier": 2})
    report = evaluate(two_labs, CAT)
    ids = [b.id for b in report.benefits]
    assert ids.count("region_makerspace") == 2  # one-time, fixed: once per thing
    assert ids.count("incubation_carrier_operation") == 1  # a yearly cap is not multiplied
    assert [b.item for b in report.benefits if b.id == "region_makerspace"][1].endswith("（第2项）")
    one = evaluate(Profile(triggers=("region_makerspace",)), CAT)
    assert report.totals.one_time_yuan == 2 * one.totals.one_time_yuan


def test_deals_are_summed_unless_each_is_asked_and_the_yearly_cap_does_not_bind():
    deals = {"deal_amounts": (5_000_000, 8_000_000)}
    listed = evaluate(Profile(triggers=("tech_transfer_deals",), figures=deals, summed=False), CAT)
    assert _amounts(listed) == [("tech_transfer_deal_award", 150_000, "computed"),
                                ("tech_transfer_deal_award", 240_000, "computed")]
    assert [b.item for b in listed.benefits][1].endswith("（第2项）")
    summed = evaluate(Profile(triggers=("tech_transfer_deals",), figures=deals), CAT)
    assert _amounts(summed) == [("tech_transfer_deal_award", 390_000, "computed")]
    assert listed.totals == summed.totals
    many = {"deal_amounts": (10_000_000,) * 5}  # 5 × 30万 = 150万 > 100万 a year: one capped sum
    capped = evaluate(Profile(triggers=("tech_transfer_deals",), figures=many), CAT)
    assert _amounts(capped) == [("tech_transfer_deal_award", 1_000_000, "computed")]


def test_one_item_without_its_figure_is_the_per_item_cap():
    yearly = evaluate(Profile(triggers=("tech_transfer_deals",)), CAT)
    assert _amounts(yearly) == [("tech_transfer_deal_award", 1_000_000, "up_to")]
    one = evaluate(Profile(triggers=("tech_transfer_deals",), one_item=True), CAT)
    assert _amounts(one) == [("tech_transfer_deal_award", 300_000, "up_to")]


def test_trigger_figures_evaluate_a_recognition_with_its_own_figures():
    own = Profile(triggers=("first_set_national", "first_set_region"),
                  trigger_figures={"first_set_national": {"unit_price": 2_000_000},
                                   "first_set_region": {"unit_price": 1_000_000}})
    assert _amounts(evaluate(own, CAT)) == [("first_set_national_award", 600_000, "computed"),
                                            ("first_set_region_award", 300_000, "computed")]


def test_profile_from_json_reads_the_counting_keys():
    profile = profile_from_json({"triggers": ["tech_transfer_deals", "region_makerspace"],
                                 "figures": {"deal_amounts": ["500万", "800万"]},
                                 "counts": {"region_makerspace": 2}, "summed": False,
                                 "trigger_figures": {}, "one_item": False}, CAT)
    assert profile.counts == {"region_makerspace": 2} and not profile.summed
    ids = [b.id for b in evaluate(profile, CAT).benefits]
    assert ids.count("region_makerspace") == 2 and ids.count("tech_transfer_deal_award") == 2


@pytest.mark.parametrize("data, message", [
    ({"counts": {"nope": 2}}, "unknown trigger"),
    ({"triggers": ["region_makerspace"], "counts": {"region_makerspace": 0}}, "whole number"),
    ({"counts": {"region_makerspace": "两"}}, "whole numbers"),
    ({"summed": "yes"}, "summed and one_item are true or false"),
    ({"one_item": 1}, "summed and one_item are true or false"),
    ({"trigger_figures": {"first_set_region": {"unit_price": -5}}}, "negative"),
])
def test_profile_from_json_rejects_bad_counting_keys(data, message):
    with pytest.raises(ProfileError, match=message):
        profile_from_json(data, CAT)

