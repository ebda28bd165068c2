"""`policybot serve --workers 4` on one PostgreSQL (issue 12, BAD_INPUTS 19 and 35), as real processes.

- Concurrent clients drive 100 sessions × 5 turns through POST /api/turn (presses validated against
  options another worker may have stored) and hammer shared sessions from every client at once:
  every turn answered, each session's turns applied in order, none lost. Meanwhile a worker caught
  in the middle of a turn (its transaction open in pg_stat_activity) is killed with -9; its clients
  send the same request (same request_id) again, uvicorn starts a new worker, and the sessions go on.
- A worker killed after the engine saved but before the web's rows were written leaves neither
  (one transaction), and the retried request is applied once; a request sent twice is answered
  twice from one turn.
- A second server with its own data dir on the same database sees the same sessions, options,
  copilot logins and form-signing key (nothing that matters is per data dir or per process).
- The SQLite default with 4 workers on one data dir: every turn answered and in order.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_harness import ServeProcess, linked_data_dir

SCRIPT = [("text", "我想看看我们能享受哪些政策"), ("choice", "企业"), ("choice", "国家高新技术企业"),
          ("choice", "自治区企业技术中心"), ("choice", "完成")]
EXPECTED = {  # what turn n shows when every earlier turn was applied once, in order
    1: ("", []),
    2: ("enterprise", []),
    3: ("enterprise", ["hitech_enterprise"]),
    4: ("enterprise", ["hitech_enterprise", "enterprise_tech_center_region"]),
    5: ("enterprise", ["hitech_enterprise", "enterprise_tech_center_region"]),
}
CLIENTS, SESSIONS = 8, 100
SHARED, REPEAT = 8, 5


@pytest.fixture(scope="module")
def built(data_dir):
    from retrieval.search import build_index

    build_index(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def database(pg_server):
    return pg_server.create_database("web_workers")


@pytest.fixture(scope="module")
def four_workers(built, database, tmp_path_factory):
    root = tmp_path_factory.mktemp("serve4")
    with ServeProcess(linked_data_dir(root / "data", built), workers=4, database_url=database,
                      log=root / "serve.log", POLICYBOT_STORE_BUSY_TIMEOUT_S="20") as server:
        yield server


class Client:
    """One client: keep-alive HTTP, and the same request again (same request_id) whenever the
    connection drops or the server answers 503, as a careful client would."""

    def __init__(self, base: str):
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)
        self.retried = 0

    def turn(self, body: dict, attempts: int = 60) -> dict:
        for _ in range(attempts):
            try:
                r = self.http.post("/api/turn", json=body)
            except httpx.TransportError:
                self.retried += 1
                self.http.close()
                self.http = httpx.Client(base_url=self.base, timeout=30)
                time.sleep(0.05)
                continue
            if r.status_code == 503:
                self.retried += 1
                time.sleep(0.1)
                continue
            assert r.status_code == 200, r.text
            return r.json()
        raise AssertionError(f"no answer after {attempts} attempts")


def script_turn(client: Client, session: str, n: int) -> dict:
    kind, value = SCRIPT[n - 1]
    return client.turn({"session": session, kind: value, "request_id": f"{session}-{n}"})


def check(reply: dict, n: int) -> None:
    profile = reply["profile"]
    assert (profile.get("org_type") or "", profile.get("triggers") or []) == EXPECTED[n], (n, profile)
    assert reply["reply"].strip() and "没能保存" not in reply["reply"]


def stored_turns(url: str, session: str) -> int:
    from bot.dialogue.store import PostgresSessionStore

    with PostgresSessionStore(url).session(session) as handle:
        state = handle.state or {}
        handle.state = None
    return state.get("turns", 0)


def backend_in_turn(url: str, pids: list[int], *, waiting: bool = False) -> int | None:
    """The pid of a worker whose connection is inside a turn's transaction (or waiting on a lock)."""
    import psycopg

    names = {f"policybot-{pid}": pid for pid in pids}
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT application_name, state, wait_event_type FROM pg_stat_activity "
                            "WHERE backend_xid IS NOT NULL OR state = 'idle in transaction' "
                            "OR wait_event_type = 'Lock'").fetchall()
    for name, _, wait in rows:
        if name in names and (not waiting or wait == "Lock"):
            return names[name]
    return None


def drive(base: str, prefix: str, sessions: int, *, shared: int = 0, repeat: int = 0, during=None) -> dict:
    """CLIENTS threads: `shared` sessions every client hits at once, then `sessions` five-turn
    dialogues; `during(progress)` runs beside them. Every reply checked; counts returned."""
    clients: list[Client] = []
    local = threading.local()
    done = {"turns": 0}
    lock = threading.Lock()

    def mine() -> Client:  # one client (one keep-alive connection) per thread
        if not hasattr(local, "client"):
            local.client = Client(base)
            with lock:
                clients.append(local.client)
        return local.client

    def hammer(k: int) -> None:
        for r in range(repeat):
            for i in range(shared):
                reply = mine().turn({"session": f"{prefix}-shared-{i}", "text": "你好", "request_id": f"c{k}-{i}-{r}"})
                assert reply["reply"].strip() and "没能保存" not in reply["reply"]

    def dialogue(i: int) -> None:
        for n in range(1, len(SCRIPT) + 1):
            check(script_turn(mine(), f"{prefix}-{i}", n), n)
            with lock:
                done["turns"] += 1

    with ThreadPoolExecutor(CLIENTS) as pool:
        for job in [pool.submit(hammer, k) for k in range(CLIENTS)]:
            job.result()
        side = threading.Thread(target=during, args=(done,)) if during else None
        if side:
            side.start()
        jobs = [pool.submit(dialogue, i) for i in range(sessions)]
        for job in jobs:
            job.result()
        if side:
            side.join(timeout=60)
    for c in clients:
        c.http.close()
    return {"turns": done["turns"], "retried": sum(c.retried for c in clients)}


def test_four_workers_every_turn_in_order_and_a_worker_killed_mid_turn(four_workers, database, capsys):
    server = four_workers
    before = set(server.worker_pids())
    killed = {}

    def kill_one_mid_turn(progress: dict) -> None:
        deadline = time.monotonic() + 30
        while progress["turns"] < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        while time.monotonic() < deadline and "pid" not in killed:
            pid = backend_in_turn(database, server.worker_pids())
            if pid is not None:
                server.kill_worker(pid)  # kill -9 while its transaction is open
                killed["pid"], killed["at"] = pid, progress["turns"]

    started = time.monotonic()
    counts = drive(server.base, "w", SESSIONS, shared=SHARED, repeat=REPEAT, during=kill_one_mid_turn)
    elapsed = time.monotonic() - started
    assert counts["turns"] == SESSIONS * len(SCRIPT)
    assert "pid" in killed, "no worker was caught mid-turn"
    assert counts["retried"] >= 1  # the killed worker's clients really lost a request and sent it again
    for i in range(SHARED):  # every client's turns on the shared sessions applied, none lost, none twice
        assert stored_turns(database, f"api-w-shared-{i}") == CLIENTS * REPEAT
    deadline = time.monotonic() + 60  # uvicorn replaced the killed worker
    while time.monotonic() < deadline and not (len(server.worker_pids()) == 4 and killed["pid"] not in server.worker_pids()):
        time.sleep(0.1)
    after = set(server.worker_pids())
    assert len(after) == 4 and killed["pid"] not in after and len(after - before) == 1
    log = server.log()
    assert "Traceback" not in log and "我想看看" not in log and "你好" not in log  # no user text in logs
    with capsys.disabled():
        print(f"\n[serve --workers 4, postgres] {counts['turns']} script + {CLIENTS * SHARED * REPEAT} shared turns "
              f"by {CLIENTS} clients in {elapsed:.1f}s; worker killed mid-turn after {killed['at']} turns, "
              f"{counts['retried']} request(s) sent again")


def test_a_kill_between_the_engine_save_and_the_web_rows_leaves_neither(four_workers, database):
    import psycopg

    server = four_workers
    client = Client(server.base)
    check(script_turn(client, "atom-1", 1), 1)
    assert stored_turns(database, "api-atom-1") == 1
    blocker = psycopg.connect(database)  # holds the session's web row: the turn stops right after the engine saved
    blocker.execute("SELECT 1 FROM last_options WHERE session = 'api-atom-1' FOR UPDATE")
    result = {}
    sender = threading.Thread(target=lambda: result.update(reply=script_turn(client, "atom-1", 2)))
    sender.start()
    deadline = time.monotonic() + 20
    pid = None
    while pid is None and time.monotonic() < deadline:
        pid = backend_in_turn(database, server.worker_pids(), waiting=True)
        time.sleep(0.02)
    assert pid is not None, "the turn never reached the web's rows"
    server.kill_worker(pid)
    time.sleep(0.3)
    blocker.rollback()
    blocker.close()
    sender.join(timeout=60)  # the client saw the connection drop and sent the same request again
    assert client.retried >= 1
    check(result["reply"], 2)  # applied once: a second application would have toggled nothing twice
    assert stored_turns(database, "api-atom-1") == 2
    again = script_turn(client, "atom-1", 2)  # the same request once more: answered from the store
    assert again == result["reply"] and stored_turns(database, "api-atom-1") == 2
    for n in (3, 4, 5):
        check(script_turn(client, "atom-1", n), n)
    assert stored_turns(database, "api-atom-1") == 5


def test_a_second_server_with_its_own_data_dir_shares_everything(four_workers, database, built, tmp_path):
    from bot.web.auth import Accounts
    from bot.web.store import WebStore

    other_dir = linked_data_dir(tmp_path / "other", built)
    settings = type("S", (), {"login_max_failures": 5, "login_lockout_minutes": 15, "staff_session_hours": 8})()
    Accounts(WebStore(other_dir / "web.sqlite3", database_url=database), settings).add("zhao", "a-long-password")
    with ServeProcess(other_dir, database_url=database, log=tmp_path / "other.log") as other:
        servers = [four_workers.base, other.base]
        clients = [Client(b) for b in servers]
        for n in range(1, len(SCRIPT) + 1):  # each turn on the other server: presses checked against its options
            check(script_turn(clients[n % 2], "both-1", n), n)
        # one browser (one cookie jar: cookies are per host, not per port) talking to both servers
        browser = httpx.Client(timeout=30, follow_redirects=False)
        a, b = servers

        def csrf_of(html: str) -> str:
            return html.split('name="csrf" value="')[1].split('"')[0]

        # the copilot: the login form from one server, the login on the other, a case made through one
        # and listed by the other (staff sessions, CSRF tokens, cases and the signing key are shared)
        seed = csrf_of(browser.get(a + "/copilot/login").text)
        login = browser.post(b + "/copilot/login", data={"name": "zhao", "password": "a-long-password", "csrf": seed})
        assert login.status_code == 303, login.text[:500]
        staff_csrf = csrf_of(browser.get(a + "/copilot").text)
        made = browser.post(b + "/copilot/api/cases", json={"text": "客户：我们是国家高新技术企业，能拿多少？"},
                            headers={"X-CSRF-Token": staff_csrf})
        assert made.status_code == 201, made.text[:500]
        assert [c["case"] for c in browser.get(a + "/copilot/api/cases").json()] == [made.json()["case"]]
        # the web chat: a form signed by one server's page is accepted by the other, one transcript
        token = csrf_of(browser.get(a + "/").text)
        sent = browser.post(b + "/chat", data={"text": "高企能拿多少", "csrf": token})
        assert sent.status_code == 303, sent.text[:500]
        assert "30万元" in browser.get(a + "/").text
        assert other.stop() == 0


def test_four_workers_on_the_sqlite_default(built, tmp_path, capsys):
    with ServeProcess(linked_data_dir(tmp_path / "data", built), workers=4, log=tmp_path / "serve.log") as server:
        started = time.monotonic()
        counts = drive(server.base, "s", 40, shared=4, repeat=3)
        elapsed = time.monotonic() - started
        assert counts == {"turns": 40 * len(SCRIPT), "retried": 0}
        from bot.dialogue.store import SqliteSessionStore

        store = SqliteSessionStore(tmp_path / "data" / "sessions.sqlite3")
        for i in range(4):
            with store.session(f"api-s-shared-{i}") as handle:
                assert (handle.state or {}).get("turns") == CLIENTS * 3
                handle.state = None
        assert server.stop() == 0
    with capsys.disabled():
        print(f"\n[serve --workers 4, sqlite] {counts['turns']} script + {CLIENTS * 4 * 3} shared turns in {elapsed:.1f}s")


def test_request_ids_are_per_session_and_bad_ones_refused(four_workers, database):
    http = httpx.Client(base_url=four_workers.base, timeout=30)
    first = http.post("/api/turn", json={"session": "rid-1", "text": "高企能拿多少", "request_id": "r1"}).json()
    other = http.post("/api/turn", json={"session": "rid-2", "text": "你好", "request_id": "r1"}).json()
    assert first["session"] == "rid-1" and other["session"] == "rid-2" and other["reply"] != first["reply"]
    assert stored_turns(database, "api-rid-2") == 1  # the same id in another session is another request
    bad = http.post("/api/turn", json={"session": "rid-1", "text": "x", "request_id": "有 空格"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request" and "request_id" in bad.json()["error"]
    assert stored_turns(database, "api-rid-1") == 1


def test_workers_start_while_their_database_is_missing_answer_503_and_recover(pg_server, built, tmp_path):
    """A database that is down (here: not created yet) does not stop the workers: turns get 503
    store_unavailable with a Chinese message and Retry-After, and once it is there they are answered,
    with no restart."""
    import psycopg

    url = pg_server.url("comes_later")
    with ServeProcess(linked_data_dir(tmp_path / "data", built), workers=2, database_url=url, log=tmp_path / "serve.log",
                      POLICYBOT_STORE_BUSY_TIMEOUT_S="1") as server:
        http = httpx.Client(base_url=server.base, timeout=30)
        down = http.post("/api/turn", json={"session": "late-1", "text": "高企能拿多少", "request_id": "a"})
        assert down.status_code == 503 and down.headers["retry-after"] == "2", down.text
        assert down.json()["code"] == "store_unavailable" and "请稍后重发" in down.json()["error"]
        assert http.get("/").status_code == 503  # a page that needs the form key: the same, as a page
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "comes_later"')
        deadline = time.monotonic() + 60
        status = 503
        while status == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            status = http.post("/api/turn", json={"session": "late-1", "text": "高企能拿多少", "request_id": "a"}).status_code
        assert status == 200
        assert "30万元" in http.post("/api/turn", json={"session": "late-1", "text": "高企能拿多少"}).json()["reply"]
        assert len(server.worker_pids()) == 2 and "Traceback" not in server.log()
