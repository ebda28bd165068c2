"""Several worker processes on one store (issue 12, BAD_INPUTS 19 and 35): 4 processes × 100
sessions × 5 turns, every turn answered and each session's turns applied in order; sessions that
all workers hit at once lose no turn; a worker killed mid-turn loses nothing and a restarted one
continues the session. PostgreSQL (a real server, tests/fakes/postgres.py) and the SQLite default."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.storage.conftest import ROOT, cli_env
from tests.storage.store_worker import SCRIPT

WORKER = str(ROOT / "tests" / "storage" / "store_worker.py")
WORKERS, SESSIONS = 4, 100
SHARED, REPEAT = 8, 10


def start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, WORKER, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def expected(n: int) -> dict:
    """What turn n of the script must show when every earlier turn was applied, in order."""
    return {
        1: {"org": None, "triggers": []},
        2: {"org": "enterprise", "triggers": []},
        3: {"org": "enterprise", "triggers": ["hitech_enterprise"]},
        4: {"org": "enterprise", "triggers": ["hitech_enterprise", "enterprise_tech_center_region"]},
        5: {"org": "enterprise", "triggers": ["hitech_enterprise", "enterprise_tech_center_region"]},
    }[n]


def check_script_turns(turns: list[dict]) -> None:
    assert [t["turn"] for t in turns] == list(range(1, len(SCRIPT) + 1)), turns
    for t in turns:
        assert t["ok"] and not t["unsaved"] and t["intent"] != "error", t
        assert {"org": t["org"], "triggers": t["triggers"]} == expected(t["turn"]), t
    assert turns[-1]["intent"] == "report" and 15 in turns[-1]["benefits"]


@pytest.fixture(params=["postgres", "sqlite"])
def backend_env(request, linked_data_dir):
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return cli_env(linked_data_dir, POLICYBOT_DATABASE_URL=url), url
    return cli_env(linked_data_dir), None


def stored_turns(env: dict, url: str | None, data_dir: Path, session: str) -> int:
    from bot.dialogue.store import PostgresSessionStore, SqliteSessionStore

    store = PostgresSessionStore(url) if url else SqliteSessionStore(data_dir / "sessions.sqlite3")
    with store.session(session) as handle:
        state = handle.state or {}
        handle.state = None  # read only
    return state.get("turns", 0)


def test_four_workers_x_100_sessions_x_5_turns(backend_env, linked_data_dir, tmp_path, capsys):
    env, url = backend_env
    started = time.monotonic()
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [start(env, "--prefix", f"w{k}", "--sessions", str(SESSIONS), "--threads", "4",
                   "--shared", "shared", "--shared-count", str(SHARED), "--repeat", str(REPEAT),
                   "--barrier", str(barrier), "--parties", str(WORKERS), "--hold-ms", "3")
             for k in range(WORKERS)]
    outputs = [p.communicate(timeout=600) for p in procs]
    elapsed = time.monotonic() - started
    by_session: dict[str, list[dict]] = {}
    shared_turns = 0
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        for row in rows(out):
            if "turn" not in row:
                continue
            if row["session"].startswith("shared-"):
                assert row["ok"] and not row["unsaved"], row
                shared_turns += 1
            else:
                by_session.setdefault(row["session"], []).append(row)
    assert len(by_session) == WORKERS * SESSIONS
    for turns in by_session.values():
        check_script_turns(turns)
    assert shared_turns == WORKERS * SHARED * REPEAT
    for i in range(SHARED):  # every worker's turns on the shared sessions were applied: none lost
        assert stored_turns(env, url, linked_data_dir, f"shared-{i}") == WORKERS * REPEAT
    ms = sorted(r["ms"] for turns in by_session.values() for r in turns)
    with capsys.disabled():
        backend = "postgres" if url else "sqlite"
        print(f"\n[workers {backend}] {WORKERS}x{SESSIONS}x{len(SCRIPT)} + {WORKERS}x{SHARED}x{REPEAT} shared turns "
              f"in {elapsed:.1f}s (incl. start-up); turn p50 {ms[len(ms) // 2]:.1f} ms, "
              f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms")


def test_a_worker_killed_mid_turn_loses_nothing_and_a_restart_continues(backend_env, linked_data_dir):
    env, url = backend_env
    first = start(env, "--only", "k-1", "--stall-at", "3")
    seen = []
    for line in first.stdout:  # turns 1 and 2 complete, then turn 3 hangs inside the session
        row = json.loads(line)
        seen.append(row)
        if row.get("event") == "IN-TURN":
            break
    assert [r["turn"] for r in seen if "turn" in r] == [1, 2]
    first.send_signal(signal.SIGKILL)  # kill -9: no rollback code runs in the worker
    first.wait(timeout=10)
    assert stored_turns(env, url, linked_data_dir, "k-1") == 2  # the killed turn left no trace

    second = start(env, "--only", "k-1", "--from-turn", "3")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err[-3000:]
    turns = [r for r in rows(out) if "turn" in r]
    assert [t["turn"] for t in turns] == [3, 4, 5]
    for t in turns:
        assert t["ok"] and not t["unsaved"] and {"org": t["org"], "triggers": t["triggers"]} == expected(t["turn"]), t
        assert t["ms"] < 4000  # the dead worker's lock was released with it, not waited out
    assert turns[-1]["intent"] == "report"
    assert stored_turns(env, url, linked_data_dir, "k-1") == 5
