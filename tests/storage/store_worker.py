"""A worker process for the scale-out tests: builds the assistant from the environment (as a web
or webhook worker would) and drives turns directly, printing one JSON line per turn.

Usage:
    PYTHONPATH=<repo> POLICYBOT_DATA_DIR=… [POLICYBOT_DATABASE_URL=…] python tests/storage/store_worker.py
        --prefix w1 --sessions 100 [--threads 4]         # 100 own sessions × the 5-turn SCRIPT
        --shared s --shared-count 10 --repeat 25         # first: 25 turns on each of 10 sessions every worker shares,
            [--barrier DIR --parties 4] [--hold-ms 5]    #   all workers starting together, each turn holding its session
        --only ID --from-turn N [--stall-at N]           # one session from turn N; at --stall-at print
                                                         #   "IN-TURN" and sleep inside the turn (a kill lands there)
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SCRIPT = ["我想看看我们能享受哪些政策", "企业", "国家高新技术企业", "自治区企业技术中心", "完成"]
_print_lock = threading.Lock()


def emit(**row) -> None:
    with _print_lock:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def run_turn(assistant, sid: str, text: str, n: int) -> None:
    t0 = time.perf_counter()
    reply = assistant.turn(sid, text)
    emit(session=sid, turn=n, ms=round((time.perf_counter() - t0) * 1000, 2), intent=reply.intent,
         triggers=reply.profile.get("triggers"), org=reply.profile.get("org_type"),
         unsaved="没能保存" in reply.reply or "无法读取" in reply.reply, ok=bool(reply.reply.strip()),
         benefits=[b.article for b in reply.benefits])


def stall_inside_turns(assistant, at_text: str) -> None:
    """Make the turn whose text is `at_text` announce itself and hang while the session is held."""
    original = assistant._safe_turn

    def stalling(session_id, state, text, choice):
        reply = original(session_id, state, text, choice)
        if text == at_text:
            emit(event="IN-TURN", session=session_id)
            time.sleep(60)
        return reply

    assistant._safe_turn = stalling


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", default="w")
    parser.add_argument("--sessions", type=int, default=0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--shared", default=None)
    parser.add_argument("--shared-count", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--barrier", default=None)
    parser.add_argument("--parties", type=int, default=1)
    parser.add_argument("--hold-ms", type=float, default=0.0)
    parser.add_argument("--only", default=None)
    parser.add_argument("--from-turn", type=int, default=1)
    parser.add_argument("--stall-at", type=int, default=0)
    args = parser.parse_args()

    from bot.config import load_settings
    from bot.dialogue.assistant import build_assistant

    assistant = build_assistant(load_settings())
    assistant.turn("warm-up-" + args.prefix, "高企能拿多少")  # open the index before timing
    emit(event="READY")
    if args.only:
        if args.stall_at:
            stall_inside_turns(assistant, SCRIPT[args.stall_at - 1])
        for n in range(args.from_turn, len(SCRIPT) + 1):
            run_turn(assistant, args.only, SCRIPT[n - 1], n)
        return 0

    def own(i: int) -> None:
        sid = f"{args.prefix}-{i}"
        for n, text in enumerate(SCRIPT, 1):
            run_turn(assistant, sid, text, n)

    def shared(i: int) -> None:
        for r in range(args.repeat):
            run_turn(assistant, f"{args.shared}-{i}", "你好", r + 1)

    plain = assistant._safe_turn
    if args.hold_ms:
        original = plain

        def holding(session_id, state, text, choice):
            time.sleep(args.hold_ms / 1000)  # between load and save: a lost update would show here
            return original(session_id, state, text, choice)

        assistant._safe_turn = holding
    if args.barrier:  # every worker starts the shared turns at the same moment
        barrier = Path(args.barrier)
        (barrier / f"ready-{args.prefix}").touch()
        deadline = time.monotonic() + 120
        while len(list(barrier.glob("ready-*"))) < args.parties and time.monotonic() < deadline:
            time.sleep(0.01)
    with ThreadPoolExecutor(args.threads) as pool:
        for job in [pool.submit(shared, i) for i in range(args.shared_count)]:
            job.result()
    assistant._safe_turn = plain  # the script turns run at full speed
    with ThreadPoolExecutor(args.threads) as pool:
        for job in [pool.submit(own, i) for i in range(args.sessions)]:
            job.result()
    emit(event="DONE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
