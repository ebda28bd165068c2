"""Retrieval quality floors on the question sets, so a regression fails CI.

Floors sit a little under what the retrieval measured when they were set (see the values in
FLOORS); raise them when retrieval improves, never lower them to make a change pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
# The dev set of ../shared/eval is copied verbatim into questions.jsonl (ids d…), so the test
# does not depend on a folder outside the clone.
SETS = {
    "questions": lambda row: True,
    "dev": lambda row: row["id"].startswith("d"),
}
# measured when set: questions 217 in scope / 32 out: hit@1 1.0, hit@3 1.0, OOS P/R 1.0/1.0;
# dev 38 / 3: 1.0 on all four. Floors allow one miss / one wrong out-of-scope call.
# Now 225 in scope / 45 out (21 questions naming benefit kinds the policy never gives, 本政策不提供的待遇):
# still 1.0 on all four.
FLOORS = {
    "questions": {"hit@1": 0.98, "hit@3": 0.995, "oos_precision": 0.95, "oos_recall": 0.95},
    "dev": {"hit@1": 0.97, "hit@3": 1.0, "oos_precision": 1.0, "oos_recall": 1.0},
}


@pytest.fixture(scope="module")
def retriever(data_dir):
    from retrieval.search import open_retriever

    return open_retriever(data_dir)


@pytest.mark.parametrize("name", sorted(SETS))
def test_retrieval_meets_its_floors(retriever, name):
    from retrieval.evaluation import evaluate_questions

    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [row for row in rows if SETS[name](row)]
    result = evaluate_questions(retriever, questions)
    report = {k: round(result[k], 4) for k in FLOORS[name]}
    problems = result["misses"] + result["refused"] + result["oos_missed"]
    for metric, floor in FLOORS[name].items():
        assert result[metric] >= floor, f"{name} {metric} {result[metric]:.4f} < {floor}: {report} {problems}"


# The engine's answers (what `policybot ask --json` returns) on every set, probes included. The
# probes were written from the policy text alone; their untuned scores are in the README. The
# floors sit just under what the engine measured (2026-11-26: questions 1.0 / OOS 1.0 / 81 of 81;
# probe 1.0 / 1.0 / 64 of 64; probe2 1.0 / recall 0.966 / 45 of 45; probe3 0.967 / 1.0 / 60 of 60; probe4 0.968 / 0.944 / 50 of 50; probe5 0.978 / 1.0).
ENGINE_SETS = {
    "questions": ("questions.jsonl", "scenarios.jsonl"),
    "probe": ("probe_questions.jsonl", "probe_scenarios.jsonl"),
    "probe2": ("probe2_questions.jsonl", "probe2_scenarios.jsonl"),
    "probe3": ("probe3_questions.jsonl", "probe3_scenarios.jsonl"),
    "probe4": ("probe4_questions.jsonl", "probe4_scenarios.jsonl"),
    "probe5": ("probe5_questions.jsonl", None),  # boundary questions only
    "probe7": ("probe7_questions.jsonl", "probe7_scenarios.jsonl"),
    "probe8": ("probe8_questions.jsonl", "probe8_scenarios.jsonl"),
    "probe9": ("probe9_questions.jsonl", "probe9_scenarios.jsonl"),
    "probe11": ("probe11_questions.jsonl", "probe11_scenarios.jsonl"),
    "probe12": ("probe12_questions.jsonl", "probe12_scenarios.jsonl"),
    "probe13": ("probe13_questions.jsonl", "probe13_scenarios.jsonl"),
    "probe14": ("probe14_questions.jsonl", "probe14_scenarios.jsonl"),
    "probe15": ("probe15_questions.jsonl", "probe15_scenarios.jsonl"),
    "probe16": ("probe16_questions.jsonl", "probe16_scenarios.jsonl"),
    "probe17": ("probe17_questions.jsonl", "probe17_scenarios.jsonl"),
    "probe18": ("probe18_questions.jsonl", "probe18_scenarios.jsonl"),
    "probe19": ("probe19_questions.jsonl", "probe19_scenarios.jsonl"),
    "probe20": ("probe20_questions.jsonl", "probe20_scenarios.jsonl"),
    "probe21": ("probe21_questions.jsonl", "probe21_scenarios.jsonl"),
    "probe22": ("probe22_questions.jsonl", "probe22_scenarios.jsonl"),
    "probe23": ("probe23_questions.jsonl", "probe23_scenarios.jsonl"),
    "probe24": ("probe24_questions.jsonl", "probe24_scenarios.jsonl"),
    "probe25": ("probe25_questions.jsonl", "probe25_scenarios.jsonl"),
    "probe26": ("probe26_questions.jsonl", "probe26_scenarios.jsonl"),
    "probe27": ("probe27_questions.jsonl", "probe27_scenarios.jsonl"),
    "probe31": ("probe31_questions.jsonl", "probe31_scenarios.jsonl"),
    "probe34": ("probe34_questions.jsonl", "probe34_scenarios.jsonl"),
    "probe35": ("probe35_questions.jsonl", "probe35_scenarios.jsonl"),
    "probe36": ("probe36_questions.jsonl", "probe36_scenarios.jsonl"),
    "probe37": ("probe37_questions.jsonl", "probe37_scenarios.jsonl"),
    "probe38": ("probe38_questions.jsonl", "probe38_scenarios.jsonl"),
}
# probe7-9 were written from the text alone by helpers who had not seen the code; untuned and
# after fixing, measured 2026-12-03 (first citation / OOS precision / OOS recall / scenarios):
# probe7 0.75 / 0.826 / 0.373 / 39 of 61 -> 0.920 / 0.979 / 0.922 / 60 of 61;
# probe8 0.79 / 0.75 / 0.828 / 39 of 45 -> 0.938 / 0.903 / 0.966 / 45 of 45;
# probe9 0.871 / 0.857 / 0.643 / 33 of 35 -> 0.952 / 1.0 / 0.929 / 35 of 35;
# probe11 (2026-12-03) 0.937 / 0.857 / 0.889 / 31 of 35 (3 wrong-input) -> 0.984 / 0.964 / 1.0 / 35 of 35;
# probe12 (2026-12-03, held out until the probe11 fixes were in) 0.967 / 0.958 / 0.767 / 30 of 35 (4 wrong-input),
# after the probe11 fixes 0.967 / 0.958 / 0.767 / 33 of 35 (1), after its own 1.0 / 1.0 / 0.967 / 35 of 35;
# probe13 (held out until the probe11-12 fixes were in) at session start 0.867 / 0.923 / 0.80 / 28 of 35 (4),
# after them 0.883 / 0.96 / 0.80 / 33 of 35 (1), after its own 0.933 / 0.966 / 0.933 / 35 of 35;
# probe14 (held out until the probe11-13 fixes) at session start 0.95 / 0.88 / 0.733 / 29 of 35 (4),
# after them 0.967 / 0.929 / 0.867 / 33 of 35 (1), after its own 0.983 / 0.968 / 1.0 / 35 of 35;
# probe15 (held out until the probe11-14 fixes) at session start 0.983 / 1.0 / 0.733 / 30 of 35 (2),
# after them 0.983 / 1.0 / 0.967 / 32 of 35 (2), after its own 1.0 / 1.0 / 1.0 / 35 of 35;
# probe16 (held out until the probe11-15 fixes) at session start 0.982 / 0.955 / 0.808 / 32 of 39 (3),
# after them 0.982 / 0.958 / 0.885 / 35 of 39 (0), after its own 0.982 / 0.962 / 0.962 / 38 of 39 (p16s07
# wants each deal listed where the engine gives their sum, 81万: the right amount, another representation);
# probe17 (held out until the probe11-16 fixes) at session start 0.983 / 1.0 / 0.767 / 30 of 35 (2),
# after them 0.983 / 1.0 / 0.933 / 34 of 35 (1), after its own 1.0 / 1.0 / 0.967 / 34 of 35 (p17s21: the
# same sum-or-items representation, its amount now right).
# Fourth round (2026-12-03, session start ef94f38): probe18-20 arrived together and were run untouched
# on the code as it stood; probe21 arrived after their fixes and was run untouched on them.
# probe18 0.971 / 0.955 / 0.84 / 38 of 40 (0) -> 0.985 / 1.0 / 1.0 / 40 of 40;
# probe19 0.901 / 0.893 / 0.962 / 36 of 39 (1) -> 0.972 / 0.963 / 1.0 / 39 of 39 (after the review dropped three
# situations that copied its questions);
# probe20 0.972 / 1.0 / 0.96 / 40 of 43 (0) -> 1.0 / 1.0 / 1.0 / 43 of 43;
# probe21 (after the probe18-20 fixes; the same as at session start) 0.970 / 0.96 / 0.96 / 39 of 41 (0)
# -> 0.985 / 1.0 / 1.0 / 40 of 41 (p21s23: 8百万左右 is an approximate amount, asked to confirm).
# Fifth round (2026-12-03, session start f4b1b91): probe22 (mix) and probe23 (dialogues) run untouched on it,
# then fixed; probe24 (mix) and probe25 (dialogues) written meanwhile and run untouched on those fixes.
# probe22 0.939 / 0.923 / 0.96 / 39 of 40 (0) -> 1.0 / 1.0 / 1.0 / 40 of 40;
# probe23 0.929 / 0.818 / 1.0 / 18 of 18 (0) -> 1.0 / 1.0 / 1.0 / 18 of 18;
# probe24 0.971 / 0.917 / 0.88 / 37 of 40 (2 wrong-input) -> 1.0 / 1.0 / 1.0 / 40 of 40;
# probe25 1.0 / 1.0 / 0.909 / 17 of 17 (0) -> 1.0 / 1.0 / 1.0 / 17 of 17.
# probe26 (mix) and probe27 (dialogues), written while the probe24-25 fixes were made, run untouched on them:
# probe26 1.0 / 1.0 / 0.92 / 35 of 38 (0) -> 1.0 / 1.0 / 1.0 / 37 of 38 (p26s23: 8百万左右, asked to confirm);
# probe27 1.0 / 1.0 / 1.0 / 17 of 18 (0) -> 1.0 / 1.0 / 1.0 / 18 of 18.
# Ninth round (2026-12-04, session start 7056130): probe31 (dialogues; its one malformed scenario, asks_figure
# written inside the expected benefit, moved to the row) 1.0 / 1.0 / 1.0 / 8 of 8 (0), unchanged after.
# Tenth round (2026-12-04, session start 4012a6d): probe34 (enterprises) and probe35 (universities, talent,
# banners, rules), written blind, run untouched on it, then fixed:
# probe34 0.905 / 1.0 / 1.0 / 13 of 14 (1: three deals listed one by one where the writer, as BAD_INPUTS 32,
# wants them capped and summed) -> 0.905 / 1.0 / 1.0 / 14 of 14 (two situations in everyday words still
# land on a neighbour: an incubator's shared lab equipment reads as Art. 21, a 技术买卖中介 as Art. 11);
# probe35 0.90 / 0.889 / 0.80 / 12 of 14 (2: a 2.6亿 research budget computed as Art. 11's post-subsidy;
# the summed deals) -> 1.0 / 1.0 / 1.0 / 14 of 14 (0).
# probe37 (dialogues-first, written while the probe34/35 fixes were made, run untouched on them, 511b23e):
# 0.833 / 1.0 / 1.0 / 6 of 6 (0) -> 1.0 / 1.0 / 1.0 / 6 of 6 (0).
# probe36 (long pasted messages, written meanwhile, run untouched on the probe37 fixes, 6cffdb3):
# 0.737 / 1.0 / 1.0 / 14 of 16 (0) -> 0.947 / 1.0 / 1.0 / 16 of 16 (0) (p36q002 a school's self-chosen research
# money for young teachers reads as Art. 25's young-talent project, not Art. 20).
# probe38 (long introductions asking one thing, run untouched on the probe36 fixes, 2b7f597):
# 0.812 / 1.0 / 0.875 / 10 of 12 (1: a region's 300万 project allocation computed as Art. 10's national one)
# -> 0.812 / 1.0 / 1.0 / 12 of 12 (0); its first-citation misses are retrieval near-misses on long text.
ENGINE_FLOORS = {
    "questions": {"first_citation_accuracy": 0.99, "oos_precision": 0.97, "oos_recall": 0.97, "scenarios": 0.98},
    "probe": {"first_citation_accuracy": 0.98, "oos_precision": 0.95, "oos_recall": 0.95, "scenarios": 0.98},
    "probe2": {"first_citation_accuracy": 0.98, "oos_precision": 0.95, "oos_recall": 0.93, "scenarios": 0.97},
    "probe3": {"first_citation_accuracy": 0.93, "oos_precision": 0.95, "oos_recall": 0.93, "scenarios": 0.98},
    "probe4": {"first_citation_accuracy": 0.95, "oos_precision": 0.95, "oos_recall": 0.9, "scenarios": 0.98},
    "probe5": {"first_citation_accuracy": 0.95, "oos_precision": 0.97, "oos_recall": 0.96},
    "probe7": {"first_citation_accuracy": 0.9, "oos_precision": 0.95, "oos_recall": 0.9, "scenarios": 0.98},
    "probe8": {"first_citation_accuracy": 0.92, "oos_precision": 0.88, "oos_recall": 0.95, "scenarios": 0.97},
    "probe9": {"first_citation_accuracy": 0.93, "oos_precision": 0.96, "oos_recall": 0.9, "scenarios": 0.97},
    "probe11": {"first_citation_accuracy": 0.96, "oos_precision": 0.93, "oos_recall": 0.96, "scenarios": 0.97},
    "probe12": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.93, "scenarios": 0.97},
    "probe13": {"first_citation_accuracy": 0.91, "oos_precision": 0.93, "oos_recall": 0.9, "scenarios": 0.97},
    "probe14": {"first_citation_accuracy": 0.96, "oos_precision": 0.93, "oos_recall": 0.96, "scenarios": 0.97},
    "probe15": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.97},
    "probe16": {"first_citation_accuracy": 0.96, "oos_precision": 0.93, "oos_recall": 0.92, "scenarios": 0.97},
    "probe17": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.93, "scenarios": 0.94},
    "probe18": {"first_citation_accuracy": 0.97, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.97},
    "probe19": {"first_citation_accuracy": 0.96, "oos_precision": 0.95, "oos_recall": 0.96, "scenarios": 0.97},
    "probe20": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.97},
    "probe21": {"first_citation_accuracy": 0.97, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.95},
    "probe22": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.97},
    "probe23": {"first_citation_accuracy": 0.96, "oos_precision": 0.9, "oos_recall": 0.9, "scenarios": 0.94},
    "probe24": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.97},
    "probe25": {"first_citation_accuracy": 0.96, "oos_precision": 0.9, "oos_recall": 0.9, "scenarios": 0.94},
    "probe26": {"first_citation_accuracy": 0.98, "oos_precision": 0.96, "oos_recall": 0.96, "scenarios": 0.94},
    "probe27": {"first_citation_accuracy": 0.96, "oos_precision": 0.9, "oos_recall": 0.9, "scenarios": 0.94},
    "probe31": {"first_citation_accuracy": 0.88, "oos_precision": 0.8, "oos_recall": 0.8, "scenarios": 0.87},
    "probe34": {"first_citation_accuracy": 0.88, "oos_precision": 0.9, "oos_recall": 0.9, "scenarios": 0.92},
    "probe35": {"first_citation_accuracy": 0.95, "oos_precision": 0.9, "oos_recall": 0.9, "scenarios": 0.92},
    "probe36": {"first_citation_accuracy": 0.86, "oos_precision": 0.9, "oos_recall": 0.9, "scenarios": 0.93},
    "probe37": {"first_citation_accuracy": 0.85, "oos_precision": 0.8, "oos_recall": 0.8, "scenarios": 0.83},
    "probe38": {"first_citation_accuracy": 0.78, "oos_precision": 0.9, "oos_recall": 0.85, "scenarios": 0.91},
}


@pytest.mark.parametrize("name", sorted(ENGINE_SETS))
def test_engine_meets_its_floors(engine, name):
    from bot.evaluation import engine_questions, engine_scenarios, load_jsonl

    questions_file, scenarios_file = ENGINE_SETS[name]
    answers = engine_questions(engine, load_jsonl(ROOT / "tests" / "eval" / questions_file))
    amounts = {"accuracy": 1.0, "failures": []}
    if scenarios_file:
        amounts = engine_scenarios(engine, load_jsonl(ROOT / "tests" / "eval" / scenarios_file))
    result = {**answers, "scenarios": amounts["accuracy"]}
    problems = answers["misses"] + amounts["failures"]
    for metric, floor in ENGINE_FLOORS[name].items():
        assert result[metric] >= floor, f"{name} {metric} {result[metric]:.4f} < {floor}: {problems}"


# Multi-turn dialogues written from the text alone (tests/eval/probe_dialogues). Untuned, 4 of 16
# passed: follow-ups ("那我们总共能拿多少？"), corrections of a level or a list, facts added in
# later turns. Now 15 of 16; p6_12 needs "800万，其中300万是关联单位的" subtracted, which the
# figure reader does not do.
# probe7 (24 dialogues, untuned 4 passed) and probe9 (18, untuned 10 passed): now all pass.
# probe11 (18, untuned 16 passed): 17; p11d17 wants each deal of a total as its own item.
# probe12 (18, untuned 12 passed): all pass; probe11 now all pass; probe13 (18, untuned 15): 17;
# probe14 (18, untuned 15): all pass; probe15 (18, untuned 14): all pass; probe16 (15, untuned 13): all pass;
# probe17 (14, untuned 13): all pass.
# probe18 (17, untuned 15): all pass; probe19 (17, untuned 16): all pass; probe20 (26, untuned 15): 23;
# probe21 (18, untuned 11 on the code after the probe18-20 fixes): 17.
# probe22 (18, untuned 12): 17 (p22d04: 600万左右 is asked to confirm); probe23 (27, untuned 23): all pass;
# probe24 (19, untuned 17 on the probe22-23 fixes): all pass; probe25 (28, untuned 13): 26 (p25d08: two deals
# with the total asked are one capped sum, the writer lists each; p25d06: an approximate figure shows no cap
# until confirmed, as the p6_07/p6_08 writers want). probe26 (18, untuned 15): 17 (p26d01: 1200万左右, asked
# to confirm); probe27 (28, untuned 22): all pass (p27d03 since a re-asked figure cites its rule).
# probe31 (26, untuned 18 at session start 7056130): all pass.
# probe34 (20, untuned 15 at session start 4012a6d): all pass; probe35 (20, untuned 11): 19 (p35d09: "我还帮市里
# 做了一个…专项咨询，这个另外算吗" after 科技顾问 is Art. 24's 其他专项服务, read as Art. 9's 专项), since then 20.
# probe37 (26, untuned 15 on 511b23e): 25 (p37d10 t4: two projects' allocations as one summed benefit, where
# nine other writers list each project; the engine lists each, their sum in the totals).
# probe36 (16, untouched 8 on 6cffdb3): all pass. probe38 (20, untouched 10 on 2b7f597): 16 (a what-if figure
# then 去年实际的那个数; 要是两笔呢 wanting the sum; a rights question after a sale read as Art. 11; one more).
DIALOGUE_FLOORS = {"probe_dialogues": 15, "probe7_dialogues": 23, "probe9_dialogues": 17, "probe11_dialogues": 18,
                   "probe12_dialogues": 18, "probe13_dialogues": 17, "probe14_dialogues": 18, "probe15_dialogues": 18,
                   "probe16_dialogues": 15, "probe17_dialogues": 14, "probe18_dialogues": 17, "probe19_dialogues": 17,
                   "probe20_dialogues": 22, "probe21_dialogues": 16, "probe22_dialogues": 16, "probe23_dialogues": 26,
                   "probe24_dialogues": 18, "probe25_dialogues": 25, "probe26_dialogues": 16, "probe27_dialogues": 26,
                   "probe31_dialogues": 25, "probe34_dialogues": 19, "probe35_dialogues": 19,
                   "probe36_dialogues": 15, "probe37_dialogues": 24, "probe38_dialogues": 15}


@pytest.mark.parametrize("folder", sorted(DIALOGUE_FLOORS))
def test_probe_dialogues_meet_their_floor(engine, folder):
    from bot.replay import EngineTransport, load_dialogue, run_dialogue

    transport = EngineTransport(engine)
    paths = sorted((ROOT / "tests" / "eval" / folder).glob("*.yaml"))
    results = [run_dialogue(load_dialogue(p), transport) for p in paths]
    failed = [r.dialogue.name for r in results if not r.ok]
    assert len(paths) >= DIALOGUE_FLOORS[folder] and len(results) - len(failed) >= DIALOGUE_FLOORS[folder], failed
