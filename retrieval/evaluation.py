"""Retrieval metrics over a question file (JSONL rows ``{"id", "q", "articles"}``).

``articles: []`` marks an out-of-scope question. For the others, the rank is the position of the
first expected article among the returned ones (k = 5). Out-of-scope precision and recall take
"out of scope" as the positive class: recall = flagged out-of-scope / all out-of-scope
questions, precision = correctly flagged / all flagged (a refused real question lowers it).
"""

from __future__ import annotations

import statistics
import time

K = 5


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def evaluate_questions(retriever, questions: list[dict]) -> dict:
    """hit@1, hit@3, MRR, out-of-scope precision/recall, misses and timings for `questions`."""
    retriever.search("预热")  # warm: the model loads here, not in the first timed query
    timings: list[float] = []
    cpu: list[float] = []
    in_scope = hit1 = hit3 = 0
    reciprocal = 0.0
    tp = fp = fn = 0
    misses, refused, oos_missed = [], [], []
    for row in questions:
        t0, c0 = time.perf_counter(), time.thread_time()
        result = retriever.search(row["q"], k=K)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        got = [hit.article for hit in result.articles]
        expected = [int(a) for a in row.get("articles") or []]
        if not expected:
            if result.in_scope:
                fn += 1
                oos_missed.append(
                    {"id": row.get("id"), "q": row["q"], "confidence": result.confidence, "got": got[:3]}
                )
            else:
                tp += 1
            continue
        in_scope += 1
        if not result.in_scope:
            fp += 1
            refused.append(
                {"id": row.get("id"), "q": row["q"], "confidence": result.confidence, "got": got[:3]}
            )
        ranks = [got.index(a) + 1 for a in expected if a in got]
        rank = min(ranks) if ranks else None
        hit1 += rank == 1
        hit3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append(
                {"id": row.get("id"), "q": row["q"], "expected": expected, "got": got[:3], "rank": rank}
            )
    n_oos = tp + fn
    stats = getattr(getattr(retriever, "index", None), "stats", {}) or {}
    return {
        "questions": len(questions),
        "in_scope": in_scope,
        "out_of_scope": n_oos,
        "hit@1": hit1 / in_scope if in_scope else 0.0,
        "hit@3": hit3 / in_scope if in_scope else 0.0,
        "mrr": reciprocal / in_scope if in_scope else 0.0,
        "oos_precision": tp / (tp + fp) if tp + fp else 1.0,
        "oos_recall": tp / n_oos if n_oos else 1.0,
        "misses": misses,
        "refused": refused,
        "oos_missed": oos_missed,
        "timing": {
            "warm_query_p50_ms": round(statistics.median(timings), 3) if timings else 0.0,
            "warm_query_p95_ms": round(percentile(timings, 0.95), 3),
            # CPU time of the searching thread: what a query costs when the machine is shared
            "warm_query_cpu_p50_ms": round(statistics.median(cpu), 3) if cpu else 0.0,
            "warm_query_cpu_p95_ms": round(percentile(cpu, 0.95), 3),
            "build_s": stats.get("build_s"),
            "open_s": round(getattr(retriever, "open_seconds", 0.0), 3),
        },
    }
