"""`policybot serve` and `policybot staff add/remove` as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(args, env, *, stdin: str = "", code: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture()
def env(tmp_path):
    e = os.environ.copy()
    e["POLICYBOT_DATA_DIR"] = str(tmp_path)
    return e


def test_staff_add_and_remove(env, tmp_path):
    from bot.config import Settings
    from bot.web.store import WebStore

    out = run(["staff", "add", "wang", "--password-stdin"], env, stdin="a-good-password\n").stdout
    assert "已创建" in out
    assert "已更新" in run(["staff", "add", "wang", "--password-stdin"], env, stdin="another-password\n").stdout
    # the interactive prompt (asked twice); the password is never echoed
    prompted = run(["staff", "add", "li"], env, stdin="prompted-pass-1\nprompted-pass-1\n")
    assert "已创建" in prompted.stdout and "prompted-pass-1" not in prompted.stdout + prompted.stderr
    store = WebStore(Settings(POLICYBOT_DATA_DIR=tmp_path).web_db)
    assert store.staff_names() == ["li", "wang"]
    assert store.staff_hash("wang").startswith("$argon2id$") and "another-password" not in store.staff_hash("wang")
    assert (tmp_path / "web.sqlite3").stat().st_mode & 0o777 == 0o600
    assert "至少8个字符" in run(["staff", "add", "zhao", "--password-stdin"], env, stdin="short\n", code=2).stderr
    assert "用户名" in run(["staff", "add", "bad name!", "--password-stdin"], env, stdin="whatever-123\n", code=2).stderr
    assert "已删除" in run(["staff", "remove", "li"], env).stdout
    assert "没有客服账号" in run(["staff", "remove", "li"], env, code=2).stderr
    assert store.staff_names() == ["wang"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_prints_the_address_and_answers(knowledge, data_dir):
    assert knowledge.retriever is not None  # the shared data dir has its index: the server only loads it
    port = free_port()
    env = os.environ.copy()
    env["POLICYBOT_DATA_DIR"] = str(data_dir)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        ready = False
        while time.monotonic() < deadline and not ready:
            try:
                ready = httpx.get(base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.1)
        assert ready, "policybot serve never answered /healthz"
        r = httpx.post(base + "/api/turn", json={"text": "我们去年被认定为国家高新技术企业，能拿多少"})
        assert r.json()["citations"][0]["article"] == 15
        assert "政策助手" in httpx.get(base + "/").text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "高新技术企业" not in err  # the access log has routes, not text
    assert "POST /api/turn 200" in err
