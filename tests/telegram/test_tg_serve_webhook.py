"""The Telegram webhook served by `policybot serve` in several worker processes behind one URL
(issue 12, BAD_INPUTS 13, 18 and 35), with the real engine, on one PostgreSQL, against the fake Bot
API: one server with 2 workers and another with its own data dir. The same update delivered to two
workers is answered once; each chat's updates are answered in order; a chat whose turn is held up
(its session lock taken) does not hold up the others."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "web"))

from serve_harness import ServeProcess, free_port, linked_data_dir  # noqa: E402

from bot.telegram.webhook import webhook_secret  # noqa: E402
from tests.telegram.test_tg_webhook import post  # noqa: E402

NUMERALS = {1: "一", 2: "二", 3: "三"}


@pytest.fixture(scope="module")
def built(data_dir):
    from retrieval.search import build_index

    build_index(data_dir)
    return data_dir


def update(update_id: int, chat: int, text: str) -> bytes:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "u"}, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []},
    }, ensure_ascii=False).encode()


def test_webhook_workers_answer_each_update_once_in_order_and_chats_in_parallel(fake_tg, built, pg_url, tmp_path):
    import psycopg

    from bot.storage.postgres import lock_id

    port_a = free_port()
    hook_url = f"http://127.0.0.1:{port_a}/tg/hook"  # the one public URL (both servers serve its path)
    env = dict(TELEGRAM_BOT_TOKEN=fake_tg.token, TELEGRAM_API_BASE_URL=fake_tg.base_url,
               POLICYBOT_TELEGRAM_WEBHOOK_URL=hook_url, POLICYBOT_STORE_BUSY_TIMEOUT_S="30")
    a = ServeProcess(linked_data_dir(tmp_path / "a", built), workers=2, database_url=pg_url, log=tmp_path / "a.log",
                     port=port_a, **env)
    b = ServeProcess(linked_data_dir(tmp_path / "b", built), database_url=pg_url, log=tmp_path / "b.log", **env)
    with a, b:
        fake_tg.wait_until(lambda: len(fake_tg.calls_to("setWebhook")) >= 3, timeout=30, what="every worker's setWebhook")
        assert fake_tg.webhook["url"] == hook_url
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": webhook_secret(fake_tg.token)}
        hooks = [f"{a.base}/tg/hook", f"{b.base}/tg/hook"]

        def deliver_to_both(body: bytes) -> None:
            statuses: list[int] = []
            threads = [threading.Thread(target=lambda h=h: statuses.append(post(h, body, headers))) for h in hooks]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert statuses == [200, 200]

        # a chat whose turn cannot go on (its session held) while other chats are answered
        holder = psycopg.connect(pg_url, autocommit=True)
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_id("sessions", "tg-900"),))
        deliver_to_both(update(60_000, 900, "/article 1"))
        next_id = 60_000
        for n in (1, 2, 3):
            for chat in (801, 802, 803):
                next_id += 1
                deliver_to_both(update(next_id, chat, f"/article {n}"))
        fake_tg.wait_until(lambda: all(len(fake_tg.texts(c)) >= 3 for c in (801, 802, 803)), timeout=60,
                           what="the other chats answered")
        assert fake_tg.texts(900) == []  # still held, and nobody else answered it instead
        holder.execute("SELECT pg_advisory_unlock(%s)", (lock_id("sessions", "tg-900"),))
        holder.close()
        fake_tg.wait_until(lambda: len(fake_tg.texts(900)) >= 1, timeout=60, what="the held chat answered")
        time.sleep(1.5)  # time for a duplicate answer to show up
        for chat in (801, 802, 803):  # each update once, in the order sent
            texts = fake_tg.texts(chat)
            assert len(texts) == 3 and all(f"（{NUMERALS[n]}）" in t.split("\n")[0] for n, t in zip((1, 2, 3), texts,
                                                                                                  strict=True)), texts
        assert len(fake_tg.texts(900)) == 1 and "（一）" in fake_tg.texts(900)[0]
        logs = a.log() + b.log()
        assert "claimed by another worker" in logs  # both servers really got every update
        assert fake_tg.token not in logs and "Traceback" not in logs
        assert a.stop() == 0 and b.stop() == 0


def test_serve_refuses_a_webhook_url_without_a_token_or_with_a_clashing_path(tmp_path):
    import subprocess

    from tests.storage.conftest import cli_env

    for env, words in (({"POLICYBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg/hook"}, "TELEGRAM_BOT_TOKEN"),
                       ({"POLICYBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/api/hook",
                         "TELEGRAM_BOT_TOKEN": "1:x"}, "路径")):
        proc = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port())],
                              env=cli_env(tmp_path, **env), cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_the_webhook_route_checks_its_calls_and_is_outside_the_web_limits(fake_tg, tmp_path, engine):
    """In the web app: 503 while the Bot API cannot be reached (the web serving meanwhile), then a
    wrong secret 403, GET 405, bad JSON 400, over 1 MB 413; an update bigger than the web's 64 KB is
    taken, and Telegram's deliveries are not rate-limited like a web client."""
    import httpx
    from web_harness import serve_in_thread

    from bot.config import Settings
    from bot.serve import build_app

    settings = Settings(POLICYBOT_DATA_DIR=tmp_path / "data", TELEGRAM_BOT_TOKEN=fake_tg.token,
                        TELEGRAM_API_BASE_URL=fake_tg.base_url, POLICYBOT_TELEGRAM_WEBHOOK_URL="https://bot.example.org/tg/hook",
                        POLICYBOT_RATE_LIMIT_BURST=3, POLICYBOT_RATE_LIMIT_PER_S=0.1)
    fake_tg.fail_next("getMe", 502, "Bad Gateway", times=2)  # the Bot API unreachable at first
    with serve_in_thread(build_app(settings, assistant=engine)) as base:
        secret = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(fake_tg.token), "Content-Type": "application/json"}
        http = httpx.Client(base_url=base, timeout=30)
        assert http.get("/api/articles").status_code == 200  # the web serves meanwhile
        assert http.post("/tg/hook", content=update(1, 5, "echo:早"), headers=secret).status_code == 503  # Telegram retries
        fake_tg.wait_until(lambda: fake_tg.webhook is not None, timeout=15, what="setWebhook after the retries")
        assert http.post("/tg/hook", content=update(1, 5, "echo:x"), headers={"X-Telegram-Bot-Api-Secret-Token": "no"}).status_code == 403
        assert http.get("/tg/hook").status_code == 405
        assert http.post("/tg/hook", content=b"{oops", headers=secret).status_code == 400
        assert http.post("/tg/hook", content=b"x" * (1 << 20 | 1), headers=secret).status_code == 413
        big = json.loads(update(2, 5, "echo:大"))
        big["padding"] = "长" * 40_000  # ~120 KB: over the web's 64 KB, a legal update
        statuses = [http.post("/tg/hook", content=json.dumps(big).encode(), headers=secret).status_code]
        statuses += [http.post("/tg/hook", content=update(10 + n, 6, f"echo:{n}"), headers=secret).status_code
                     for n in range(8)]
        assert statuses == [200] * 9  # 9 posts at once, a burst of 3 for a web client
        assert 429 in [http.get("/api/articles").status_code for _ in range(8)]  # the web's own limit still holds
        fake_tg.wait_until(lambda: len(fake_tg.texts(6)) >= 8 and fake_tg.texts(5), timeout=20, what="the replies")
        assert fake_tg.texts(6) == [str(n) for n in range(8)] and fake_tg.texts(5) == ["大"]
