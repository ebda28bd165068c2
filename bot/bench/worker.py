"""One bench worker process: the engine over a given session store, driving 5-turn dialogues.

Usage (started by `policybot bench`, one per worker):
    python -m bot.bench.worker --store sqlite:PATH|postgres:URL --prefix P --sessions N [--threads T]

Prints one JSON line when the engine is warm ({"ready": true}) and waits for a line on stdin (so
every worker starts together), then one line with its turn times in ms and any failed turn.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

SCRIPT = ["我想看看我们能享受哪些政策", "企业", "国家高新技术企业", "自治区企业技术中心", "完成"]


def open_store(spec: str, busy_timeout: float):
    from bot.dialogue.store import PostgresSessionStore, SqliteSessionStore

    kind, _, where = spec.partition(":")
    if kind == "postgres":
        return PostgresSessionStore(where, busy_timeout=busy_timeout)
    return SqliteSessionStore(where, busy_timeout=busy_timeout)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    from bot.config import load_settings
    from bot.dialogue.engine import Engine

    settings = load_settings()
    engine = Engine(open_store(args.store, settings.store_busy_timeout_s), data_dir=settings.data_dir)
    engine.turn(f"{args.prefix}-warm", "高企能拿多少")
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    sys.stdin.readline()

    def dialogue(i: int) -> tuple[list[float], int]:
        times, failed = [], 0
        for text in SCRIPT:
            t0 = time.perf_counter()
            reply = engine.turn(f"{args.prefix}-{i}", text)
            times.append((time.perf_counter() - t0) * 1000)
            failed += reply.intent == "error" or "没能保存" in reply.reply or "无法读取" in reply.reply
        return times, failed

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        results = list(pool.map(dialogue, range(args.sessions)))
    elapsed = time.perf_counter() - started
    if args.store.startswith("postgres:"):  # leave no bench sessions in a shared database
        for i in range(args.sessions):
            engine.delete_session(f"{args.prefix}-{i}")
        engine.delete_session(f"{args.prefix}-warm")
    sys.stdout.write(json.dumps({
        "ms": [t for times, _ in results for t in times],
        "failed": sum(f for _, f in results),
        "elapsed_s": elapsed,
    }) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
