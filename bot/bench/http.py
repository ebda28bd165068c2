"""The HTTP section of `policybot bench`: POST /api/turn throughput and latency with N concurrent
clients against a real `policybot serve` started here, with 1 and 4 workers, on SQLite and (when a
database URL is configured) PostgreSQL.

Each run: a scratch data dir that reads the bench's index (retrieval/ and models/ linked), the rate
limit lifted (all clients share one address), `policybot serve --workers W` on a free loopback
port, every worker up before the clock starts; then `clients` threads, each with one keep-alive
connection (stdlib http.client: the client's own cost stays small beside the server's), drive
five-turn dialogues (a question, then four presses by label, each with a request_id), one request
at a time per client. Figures: turns/s over the whole run, p50/p95/p99 per request, failures (a
status other than 200 or an unsaved answer). On PostgreSQL the bench's sessions are deleted after.

The clients run on the same cores as the server, so on a small machine 4 workers mostly show how
much the extra processes cost; the ratios (4 vs 1 worker, PostgreSQL vs SQLite, p95 vs the BM25
reference of the same run) are what to compare between machines.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SCRIPT = [("text", "我想看看我们能享受哪些政策"), ("choice", "企业"), ("choice", "国家高新技术企业"),
          ("choice", "自治区企业技术中心"), ("choice", "完成")]
UNSAVED = ("没能保存", "无法读取")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class _Server:
    """`policybot serve` in a child process on a scratch data dir."""

    def __init__(self, project: Path, index_dir: Path, *, workers: int, database_url: str | None):
        self.workers = workers
        self.scratch = Path(tempfile.mkdtemp(prefix="policybot-bench-http-"))
        data = self.scratch / "data"
        data.mkdir(mode=0o700)
        for name in ("retrieval", "models"):
            if (index_dir / name).exists():
                (data / name).symlink_to((index_dir / name).resolve())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_", "OPENAI_"))}
        env.update(POLICYBOT_DATA_DIR=str(data), POLICYBOT_RATE_LIMIT_PER_S="1000000",
                   POLICYBOT_RATE_LIMIT_BURST="1000000",
                   PYTHONPATH=os.pathsep.join(p for p in (str(project), os.environ.get("PYTHONPATH", "")) if p))
        if database_url:
            env["POLICYBOT_DATABASE_URL"] = database_url
        self.port = _free_port()
        self.log_path = self.scratch / "serve.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers)], cwd=project, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"policybot serve exited with {self.proc.returncode}")
            log = self.log_path.read_text(encoding="utf-8", errors="replace")
            if log.count("Application startup complete") >= self.workers:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("policybot serve did not become ready in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class _Client:
    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        for attempt in range(3):
            try:
                payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
                headers = {"Content-Type": "application/json"} if payload is not None else {}
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _run_clients(port: int, prefix: str, clients: int, dialogues: int) -> dict:
    """`dialogues` five-turn dialogues spread over `clients` threads; times of every request."""
    times: list[float] = []
    failed = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        c = _Client(port)
        mine = [i for i in range(dialogues) if i % clients == k]
        c.call("POST", "/api/turn", {"session": f"{prefix}-warm-{k}", "text": "高企能拿多少"})  # connected, warm
        start.wait()
        local, bad = [], 0
        for i in mine:
            session = f"{prefix}-{i}"
            for n, (kind, value) in enumerate(SCRIPT, 1):
                t0 = time.perf_counter()
                status, reply = c.call("POST", "/api/turn", {"session": session, kind: value,
                                                             "request_id": f"{session}-{n}"})
                local.append((time.perf_counter() - t0) * 1000)
                text = (reply or {}).get("reply", "")
                bad += status != 200 or not text.strip() or any(u in text for u in UNSAVED)
        with lock:
            times.extend(local)
            failed[0] += bad
        c.conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"turns": dialogues * len(SCRIPT), "answered": len(times) - failed[0], "failed": failed[0],
            "clients": clients, "turns_per_s": round(len(times) / elapsed, 1) if elapsed else None,
            "p50_ms": round(_percentile(times, 50), 2), "p95_ms": round(_percentile(times, 95), 2),
            "p99_ms": round(_percentile(times, 99), 2)}


def _cleanup(port: int, prefix: str, clients: int, dialogues: int) -> None:
    c = _Client(port)
    for session in [f"{prefix}-{i}" for i in range(dialogues)] + [f"{prefix}-warm-{k}" for k in range(clients)]:
        c.call("DELETE", f"/api/sessions/{session}")
    c.conn.close()


def run_http(project: Path, index_dir: Path, *, database_url: str | None, workers: int, clients: int,
             dialogues: int) -> dict:
    server = _Server(project, index_dir, workers=workers, database_url=database_url)
    prefix = f"bench-http-{os.getpid()}-{workers}"
    try:
        server.wait_ready()
        figures = _run_clients(server.port, prefix, clients, dialogues)
        if database_url:  # leave nothing of the bench in a shared database
            _cleanup(server.port, prefix, clients, dialogues)
        return {"workers": workers, **figures}
    finally:
        server.stop()


def bench_http(settings, *, project: Path, ref_ms: float, clients: int = 8, dialogues: int = 80,
               worker_counts: tuple[int, ...] = (1, 4), progress=None) -> dict:
    say = progress or (lambda message: None)
    index_dir = Path(settings.data_dir)
    backends = {"sqlite": None}
    if settings.database_url:
        backends["postgres"] = settings.database_url
    out: dict = {"clients": clients, "dialogues_per_run": dialogues}
    for name, url in backends.items():
        runs = {}
        for count in worker_counts:
            say(f"HTTP /api/turn: {name}, {count} worker(s), {clients} clients")
            try:
                runs[count] = run_http(project, index_dir, database_url=url, workers=count, clients=clients,
                                       dialogues=dialogues)
            except (RuntimeError, OSError, http.client.HTTPException) as exc:
                runs[count] = {"workers": count, "error": f"{type(exc).__name__}: {exc}"}
        section = {f"{c}_worker{'s' if c > 1 else ''}": r for c, r in runs.items()}
        one, many = runs.get(worker_counts[0], {}), runs.get(worker_counts[-1], {})
        if one.get("turns_per_s") and many.get("turns_per_s"):
            section[f"throughput_{worker_counts[-1]}_vs_{worker_counts[0]}"] = round(
                many["turns_per_s"] / one["turns_per_s"], 2)
        for r in runs.values():
            if r.get("p95_ms") and ref_ms:
                r["p95_vs_bm25_p50"] = round(r["p95_ms"] / ref_ms, 1)
        out[name] = section
    if "postgres" in out:
        for c in worker_counts:
            key = f"{c}_worker{'s' if c > 1 else ''}"
            pg, lite = out["postgres"].get(key, {}), out["sqlite"].get(key, {})
            if pg.get("turns_per_s") and lite.get("turns_per_s"):
                out[f"postgres_vs_sqlite_{key}"] = round(pg["turns_per_s"] / lite["turns_per_s"], 2)
    else:
        out["postgres"] = "未测量：设置 POLICYBOT_DATABASE_URL（或 --database-url）即可包含 PostgreSQL"
    return out
