"""The SQLite session store under concurrent writers: threads and separate processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from bot.dialogue.store import SqliteSessionStore

# Each writer loads the session, waits a little (a turn's work), and saves n + 1: without a lock
# that spans load and save, two writers load the same n and one increment is lost.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from bot.dialogue.store import SqliteSessionStore

    store = SqliteSessionStore(Path(sys.argv[1]))
    for _ in range(int(sys.argv[2])):
        with store.session("shared") as handle:
            n = (handle.state or {}).get("n", 0)
            time.sleep(0.002)
            handle.state = {"n": n + 1}
    """
)


def _count(path) -> int:
    with SqliteSessionStore(path).session("shared") as handle:
        return (handle.state or {}).get("n", 0)


def test_turns_from_two_processes_on_one_session_are_not_lost(tmp_path):
    db = tmp_path / "s.db"
    SqliteSessionStore(db)  # create the schema before the writers race
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), "40"], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert _count(db) == 80


def test_turns_from_threads_on_one_session_are_not_lost(tmp_path):
    import time

    store = SqliteSessionStore(tmp_path / "s.db")

    def work():
        for _ in range(25):
            with store.session("shared") as handle:
                n = (handle.state or {}).get("n", 0)
                time.sleep(0.001)
                handle.state = {"n": n + 1}

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(tmp_path / "s.db") == 75


def test_other_sessions_do_not_wait_for_a_held_one(tmp_path):
    store = SqliteSessionStore(tmp_path / "s.db")
    other = SqliteSessionStore(tmp_path / "s.db")
    with store.session("a") as handle:
        handle.state = {"n": 1}
        done = threading.Event()

        def touch_b():
            with other.session("b") as h:
                h.state = {"n": 2}
            done.set()

        threading.Thread(target=touch_b).start()
        assert done.wait(5)
