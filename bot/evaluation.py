"""`policybot eval`: retrieval metrics, the same questions through the engine (first citation,
covered), scenario amount accuracy, and timings (cold `policybot ask`, per-turn p50/p95).
`policybot eval --llm`: the same files through LLM mode (bot/llm/evaluation.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from calculators.textnorm import normalize
from retrieval.evaluation import percentile

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = PROJECT / "tests" / "eval" / "questions.jsonl"
DEFAULT_SCENARIOS = PROJECT / "tests" / "eval" / "scenarios.jsonl"


def load_jsonl(path: Path) -> list[dict]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: 不是合法的 JSON（{exc.msg}）") from exc
    return rows


def engine_questions(engine, questions: list[dict]) -> dict:
    """The held-out check's view: citations[0] is the answering article; covered false for OOS."""
    hits = oos_tp = oos_fp = oos_fn = 0
    in_scope = 0
    misses = []
    times = []
    for row in questions:
        t0 = time.perf_counter()
        reply = engine.turn(engine.new_session_id(), row["q"])
        times.append((time.perf_counter() - t0) * 1000)
        expected = row["articles"]
        first = reply.citations[0].article if reply.citations and reply.covered else None
        if not expected:
            if not reply.covered:
                oos_tp += 1
            else:
                misses.append({"id": row.get("id"), "q": row["q"], "expected": [], "got": first})
            continue
        in_scope += 1
        if not reply.covered:
            oos_fp += 1
        if first in expected:
            hits += 1
        else:
            misses.append({"id": row.get("id"), "q": row["q"], "expected": expected, "got": first,
                           "covered": reply.covered})
    oos_total = sum(1 for r in questions if not r["articles"])
    oos_fn = oos_total - oos_tp
    return {
        "first_citation_accuracy": hits / in_scope if in_scope else 0.0,
        "oos_precision": oos_tp / (oos_tp + oos_fp) if oos_tp + oos_fp else 1.0,
        "oos_recall": oos_tp / oos_total if oos_total else 1.0,
        "oos_missed": oos_fn,
        "real_questions_refused": oos_fp,
        "turn_ms_p50": round(percentile(times, 0.5), 2),
        "turn_ms_p95": round(percentile(times, 0.95), 2),
        "misses": misses,
    }


def engine_scenarios(engine, scenarios: list[dict]) -> dict:
    """A scenario is exact when every expected item is there (article, amount, basis; one
    entry per expected item, so two projects need two benefits), no *computed* benefit is there
    that was not expected (a computed amount nobody asked for means a figure went into the wrong
    rule), and, with "asks_figure", the reply asks for the missing figure."""
    exact = 0
    wrong_input = 0
    failures = []
    for row in scenarios:
        reply = engine.turn(engine.new_session_id(), row["q"])
        got = [{"article": b.article, "amount_yuan": b.amount_yuan, "basis": b.basis} for b in reply.benefits]
        remaining = list(got)
        missing = []
        for item in row["expect"]:
            if item in remaining:
                remaining.remove(item)
            else:
                missing.append(item)
        unexpected = [g for g in remaining if g["basis"] == "computed"
                      and not any(g["article"] == e["article"] and g["amount_yuan"] == e["amount_yuan"]
                                  for e in row["expect"])]
        asked = bool(reply.asks) or not row.get("asks_figure")
        wrong_input += bool(unexpected)
        if not missing and not unexpected and asked:
            exact += 1
        else:
            failures.append({"id": row.get("id"), "q": row["q"], "expect": row["expect"], "got": got,
                             **({"unexpected_computed": unexpected} if unexpected else {}),
                             **({"asks": list(reply.asks)} if not asked else {})})
    return {"scenarios": len(scenarios), "exact": exact, "wrong_input_computed": wrong_input,
            "accuracy": exact / len(scenarios) if scenarios else 0.0, "failures": failures}


def cold_ask_seconds(runs: int = 3) -> list[float]:
    exe = shutil.which("policybot") or str(Path(sys.executable).parent / "policybot")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([exe, "ask", "高企认定了能拿多少", "--json"], capture_output=True, check=False,
                       env=os.environ.copy())
        times.append(round(time.perf_counter() - t0, 3))
    return times


def run_eval(settings, *, questions: Path | None, scenarios: Path | None, as_json: bool, llm: bool = False,
             limit: int | None = None) -> int:
    from bot.dialogue.engine import build_engine
    from retrieval.evaluation import evaluate_questions
    from retrieval.search import open_retriever

    console = Console(stderr=as_json)
    questions_path = questions or DEFAULT_QUESTIONS
    scenarios_path = scenarios or DEFAULT_SCENARIOS
    try:
        qs = load_jsonl(questions_path)
        ss = load_jsonl(scenarios_path)
    except (OSError, ValueError) as exc:
        console.print(f"无法读取评测文件：{exc}。请检查 --questions/--scenarios 的路径与格式。")
        return 2
    if llm:  # LLM mode against the configured endpoint (bot/llm/evaluation.py)
        from bot.llm.evaluation import run_llm_eval

        return run_llm_eval(settings, questions=qs, scenarios=ss, as_json=as_json, limit=limit)
    t0 = time.perf_counter()
    retriever = open_retriever(Path(settings.data_dir))
    open_s = time.perf_counter() - t0
    result: dict = {"questions_file": str(questions_path), "scenarios_file": str(scenarios_path)}
    result["retrieval"] = {}
    # The engine runs first: the retriever keeps a small query cache that would flatter it.
    engine = build_engine(settings, memory=True)
    result["engine"] = engine_questions(engine, qs)
    retriever.clear_cache()
    normalize.cache_clear()  # the engine pass normalized these very questions
    result["retrieval"] = evaluate_questions(retriever, qs)
    result["scenarios"] = engine_scenarios(engine, ss)
    result["timings"] = {"open_retriever_s": round(open_s, 3), "cold_ask_s": cold_ask_seconds()}
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return 0
    _print(console, result)
    return 0


def _print(console: Console, result: dict) -> None:
    r, e, s, t = result["retrieval"], result["engine"], result["scenarios"], result["timings"]
    table = Table(title="policybot eval")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in r.items():
        if not isinstance(value, list | dict):
            table.add_row(f"retrieval.{key}", f"{value:.3f}" if isinstance(value, float) else str(value))
    for key, value in r.get("timing", {}).items():
        table.add_row(f"retrieval.timing.{key}", str(value))
    for key, value in e.items():
        if not isinstance(value, list):
            table.add_row(f"engine.{key}", f"{value:.3f}" if isinstance(value, float) else str(value))
    table.add_row("scenarios.exact", f"{s['exact']}/{s['scenarios']}")
    table.add_row("timing.open_retriever_s", str(t["open_retriever_s"]))
    table.add_row("timing.cold_ask_s", ", ".join(map(str, t["cold_ask_s"])))
    console.print(table)
    for miss in e["misses"]:
        console.print(f"[yellow]engine miss[/yellow] {miss}")
    for fail in s["failures"]:
        console.print(f"[red]scenario fail[/red] {fail}")
    for miss in r.get("misses", []):
        console.print(f"[dim]retrieval miss {miss}[/dim]")
