"""Store faults are not corruption (issue 12, BAD_INPUTS 20 and 36): a held lock, a full disk and a
read-only data dir each give `ask --session … --json` exit 0 with a reply that says the answer was
not saved, leave every stored session as it was, and move nothing aside."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.dialogue.engine import Engine
from bot.dialogue.store import SqliteSessionStore
from tests.storage.conftest import ask_json, cli_env, link_index, run_cli

UNSAVED = "没能保存"
FILLERS = 35


def seed(db: Path, data_dir: Path, knowledge) -> None:
    """35 small sessions and one mid-form session 'form' (organisation type given)."""
    store = SqliteSessionStore(db)
    for n in range(FILLERS):
        with store.session(f"filler-{n}") as handle:
            handle.state = {"n": n}
    engine = Engine(store, data_dir=data_dir, knowledge=knowledge)
    engine.turn("form", "/check")
    engine.turn("form", choice="企业")
    getattr(getattr(store, "db", None), "close", lambda: None)()


def states(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT id, state FROM sessions"))
    finally:
        conn.close()


def aside(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".corrupt-" in p.name)


def mount_or_skip(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): needs root in a machine that allows mounts")


@contextmanager
def mounted(*args: str):
    mount_or_skip(*args)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", args[-1]], capture_output=True)


def test_a_lock_held_by_another_writer_is_waited_for_then_the_turn_answered_unsaved(linked_data_dir, knowledge):
    db = linked_data_dir / "sessions.sqlite3"
    seed(db, linked_data_dir, knowledge)
    before = states(db)
    assert len(before) == FILLERS + 1
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # held for the whole ask (the issue measured 14 s)
    try:
        started = time.monotonic()
        env = cli_env(linked_data_dir, POLICYBOT_STORE_BUSY_TIMEOUT_S="2")
        proc, reply = ask_json("国家高新技术企业", env, "--session", "form", timeout=90)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 0, proc.stderr
    assert reply is not None and UNSAVED in reply["reply"], proc.stdout
    assert reply["profile"]["org_type"] == "enterprise"  # answered from the saved state
    assert "Traceback" not in proc.stderr and "locked" in proc.stderr  # a clear log line
    assert waited >= 2  # the busy timeout was waited out
    assert aside(linked_data_dir) == []
    assert states(db) == before  # all 36 sessions, the form's state untouched
    # once the lock is gone the same message is saved normally
    proc, reply = ask_json("国家高新技术企业", cli_env(linked_data_dir), "--session", "form")
    assert proc.returncode == 0 and UNSAVED not in reply["reply"]
    assert "hitech_enterprise" in reply["profile"]["triggers"]


def test_a_full_disk_answers_unsaved_and_loses_nothing(tmp_path, built_index, knowledge):
    mnt = tmp_path / "small"
    mnt.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)):
        data = link_index(mnt / "data", built_index)
        db = data / "sessions.sqlite3"
        seed(db, data, knowledge)
        before = states(db)
        filler = mnt / "filler"
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        try:
            proc, reply = ask_json("国家高新技术企业", cli_env(data), "--session", "form")
        finally:
            filler.unlink()
        assert proc.returncode == 0, proc.stderr
        assert reply is not None and UNSAVED in reply["reply"], proc.stdout
        assert "Traceback" not in proc.stderr and "full" in proc.stderr
        assert aside(data) == []
        assert states(db) == before
        proc, reply = ask_json("国家高新技术企业", cli_env(data), "--session", "form")
        assert proc.returncode == 0 and "hitech_enterprise" in reply["profile"]["triggers"]


def test_a_read_only_data_dir_answers_from_the_saved_state_without_a_traceback(tmp_path, built_index, knowledge):
    src = link_index(tmp_path / "src", built_index)
    db = src / "sessions.sqlite3"
    seed(db, src, knowledge)
    before = states(db)
    ro = tmp_path / "ro"
    ro.mkdir()
    with mounted("--bind", str(src), str(ro)):
        mount_or_skip("-o", "remount,bind,ro", str(ro))
        proc, reply = ask_json("国家高新技术企业", cli_env(ro), "--session", "form")
        assert proc.returncode == 0, proc.stderr
        assert reply is not None and UNSAVED in reply["reply"], proc.stdout
        assert reply["profile"]["org_type"] == "enterprise"
        assert "Traceback" not in proc.stderr and "read-only" in proc.stderr
        proc, reply = ask_json("高企能拿多少", cli_env(ro), "--session", "new")  # a session never saved
        assert proc.returncode == 0 and reply is not None, proc.stderr
        assert "30万元" in reply["reply"] and UNSAVED in reply["reply"]
        assert "Traceback" not in proc.stderr
        proc, reply = ask_json("你好", cli_env(ro / "missing-subdir"), "--session", "new")  # cannot even be created
        assert proc.returncode == 0 and reply is not None and "Traceback" not in proc.stderr, proc.stderr
    assert states(db) == before and aside(src) == []


def test_only_a_file_that_fails_the_integrity_check_is_moved_aside(tmp_path, knowledge):
    db = tmp_path / "s.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    engine = Engine(SqliteSessionStore(db), data_dir=tmp_path, knowledge=knowledge)
    reply = engine.turn("c", "高企能拿多少")
    assert "30万元" in reply.reply and UNSAVED not in reply.reply
    copies = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(copies) == 1 and stat.S_IMODE(copies[0].stat().st_mode) == 0o600
    assert SqliteSessionStore(db).exists("c")


@pytest.mark.parametrize("bad", ["  ", "", "x" * 100_000, "../../etc", "会话", "a b", "-leading"])
def test_session_ids_are_validated_with_a_clear_message(linked_data_dir, bad):
    proc = run_cli(["ask", "你好", "--json", "--session", bad], cli_env(linked_data_dir))
    assert proc.returncode == 2 and "会话 ID" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    db = linked_data_dir / "sessions.sqlite3"
    assert not db.exists() or states(db) == {}


def test_the_engine_answers_an_invalid_session_id_unsaved(knowledge, tmp_path):
    engine = Engine(SqliteSessionStore(tmp_path / "s.sqlite3"), data_dir=tmp_path, knowledge=knowledge)
    reply = engine.turn("x" * 1000, "高企能拿多少")
    assert "30万元" in reply.reply
    assert not (tmp_path / "s.sqlite3").exists() or states(tmp_path / "s.sqlite3") == {}


def test_data_dir_files_are_private(tmp_path, built_index):
    data = link_index(tmp_path / "fresh", built_index)
    data.chmod(0o755)
    proc, reply = ask_json("高企能拿多少", cli_env(data), "--session", "perm-1")
    assert proc.returncode == 0 and reply is not None, proc.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    created = [p for p in data.iterdir() if p.is_file()]
    assert any(p.name == "sessions.sqlite3" for p in created)
    for path in created:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_database_that_is_down_answers_unsaved(linked_data_dir):
    from tests.fakes.postgres import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"  # nothing listens there
    env = cli_env(linked_data_dir, POLICYBOT_DATABASE_URL=url, POLICYBOT_STORE_BUSY_TIMEOUT_S="1")
    started = time.monotonic()
    proc, reply = ask_json("高企能拿多少", env, "--session", "down-1", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert reply is not None and "30万元" in reply["reply"] and "无法读取" in reply["reply"]
    assert "Traceback" not in proc.stderr and "postgres sessions" in proc.stderr
    assert time.monotonic() - started < 30


def test_delete_erases_the_session_on_postgres(pg_url, knowledge, tmp_path):
    import psycopg

    from bot.dialogue.store import PostgresSessionStore

    engine = Engine(PostgresSessionStore(pg_url), data_dir=tmp_path, knowledge=knowledge)
    engine.turn("pg-del", "/check")
    engine.turn("pg-del", "我们是企业，公司叫鄂尔多斯哨兵科技")
    engine.delete_session("pg-del")
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT count(*) FROM sessions WHERE id = 'pg-del' OR state LIKE '%%哨兵%%'").fetchone()
    assert rows[0] == 0
