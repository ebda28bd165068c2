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
