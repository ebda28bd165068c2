"""`policybot eval --llm`: LLM mode against whatever endpoint is configured (OPENAI_BASE_URL,
POLICYBOT_LLM_MODEL), one fresh session per question and scenario.

    guard      pass rate: texts the model wrote that the guard let through / texts it checked
    fallback   rate over all turns, and by cause (bot/llm/faults.py), violations by kind
    agreement  the reply's benefits equal the deterministic reply's for the same turn (article,
               clause, amount, basis), and the same first citation; over all turns and over the
               turns the model's text was sent
    latency    whole turn, p50/p95 (ms); tokens per turn from the server's usage

Rate limits and the token budget are off for the run; the deadline is the configured one.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from rich.console import Console
from rich.table import Table

from bot.llm import prompts
from bot.llm.faults import LLMConfigError
from retrieval.evaluation import percentile


def _benefits(reply) -> list[tuple]:
    return sorted((b.article, b.clause, b.amount_yuan, b.basis) for b in reply.benefits)


def _first(reply) -> int | None:
    return reply.citations[0].article if reply.citations and reply.covered else None


def evaluate_llm(assistant, texts: list[str]) -> dict:
    """Run each text as the first turn of a fresh session; the metrics of the module docstring."""
    turns = []
    for text in texts:
        reply, trace = assistant.turn_traced(None, text)
        core = trace.core or reply
        turns.append({"mode": trace.mode, "cause": trace.cause, "violations": trace.violations,
                      "ms": trace.seconds * 1000, "tokens": trace.tokens,
                      "benefits_agree": _benefits(reply) == _benefits(core),
                      "first_citation_agree": _first(reply) == _first(core)})
    n = len(turns)
    used = [t for t in turns if t["mode"] == "llm"]
    checked = [t for t in turns if t["mode"] == "llm" or t["cause"] == "guard"]
    causes = Counter(t["cause"] for t in turns if t["cause"])
    violations = Counter(v for t in turns for v in t["violations"])
    tokens = [t["tokens"] for t in turns]
    ms = [t["ms"] for t in turns]

    def rate(part, whole) -> float:
        return round(len(part) / len(whole), 4) if whole else 0.0

    return {
        "turns": n,
        "model_text_sent": len(used),
        "guard_checked": len(checked),
        "guard_pass_rate": rate(used, checked),
        "fallback_rate": rate([t for t in turns if t["cause"]], turns),
        "fallback_by_cause": {c: {"count": k, "rate": round(k / n, 4)} for c, k in causes.most_common()},
        "violations_by_kind": dict(violations.most_common()),
        "benefits_agreement": rate([t for t in turns if t["benefits_agree"]], turns),
        "benefits_agreement_model_text": rate([t for t in used if t["benefits_agree"]], used),
        "first_citation_agreement": rate([t for t in turns if t["first_citation_agree"]], turns),
        "latency_ms_p50": round(percentile(ms, 0.5), 1),
        "latency_ms_p95": round(percentile(ms, 0.95), 1),
        "latency_ms_max": round(max(ms), 1) if ms else 0.0,
        "tokens_per_turn_mean": round(sum(tokens) / n, 1) if n else 0.0,
        "tokens_per_turn_p95": percentile(tokens, 0.95),
        "tokens_total": sum(tokens),
    }


def run_llm_eval(settings, *, questions: list[dict], scenarios: list[dict], as_json: bool,
                 limit: int | None = None) -> int:
    from bot.llm.assistant import build_llm_assistant

    console = Console(stderr=as_json)
    settings = settings.model_copy(update={"llm_turns_per_minute": 0, "llm_daily_tokens": 0})
    try:
        assistant = build_llm_assistant(settings, memory=True)
    except LLMConfigError as exc:  # one line on stderr, like every usage error (CONTRACT.md §2)
        print(exc, file=sys.stderr)
        return 2
    qs = [r["q"] for r in questions][:limit]
    ss = [r["q"] for r in scenarios][:limit]
    result = {
        "endpoint": {"base_url": settings.openai_base_url, "model": settings.llm_model,
                     "deadline_s": settings.llm_timeout_s, "prompts_version": prompts.version()},
        "questions": evaluate_llm(assistant, qs),
        "scenarios": evaluate_llm(assistant, ss),
    }
    result["all"] = evaluate_llm_totals(result["questions"], result["scenarios"])
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        _print(console, result)
    return 0


def evaluate_llm_totals(a: dict, b: dict) -> dict:
    """Turn-weighted rates of two runs (latency and token percentiles stay per run)."""
    n = a["turns"] + b["turns"]
    if not n:
        return {"turns": 0}
    weighted = {key: round((a[key] * a["turns"] + b[key] * b["turns"]) / n, 4)
                for key in ("fallback_rate", "benefits_agreement", "first_citation_agreement")}
    checked = a["guard_checked"] + b["guard_checked"]
    sent = a["model_text_sent"] + b["model_text_sent"]
    return {"turns": n, "guard_pass_rate": round(sent / checked, 4) if checked else 0.0, **weighted,
            "tokens_total": a["tokens_total"] + b["tokens_total"]}


def _print(console: Console, result: dict) -> None:
    e = result["endpoint"]
    table = Table(title=f"policybot eval --llm  {e['model']} @ {e['base_url']}  (deadline {e['deadline_s']} s)")
    table.add_column("metric")
    for name in ("questions", "scenarios"):
        table.add_column(name, justify="right")
    q, s = result["questions"], result["scenarios"]
    for key, value in q.items():
        if isinstance(value, dict):
            continue
        table.add_row(key, str(value), str(s.get(key, "")))
    for key in sorted(set(q["fallback_by_cause"]) | set(s["fallback_by_cause"])):
        table.add_row(f"fallback.{key}", str(q["fallback_by_cause"].get(key, {}).get("count", 0)),
                      str(s["fallback_by_cause"].get(key, {}).get("count", 0)))
    for key in sorted(set(q["violations_by_kind"]) | set(s["violations_by_kind"])):
        table.add_row(f"violation.{key}", str(q["violations_by_kind"].get(key, 0)),
                      str(s["violations_by_kind"].get(key, 0)))
    console.print(table)

