"""`policybot serve` as a real process for the scale-out tests: N uvicorn workers, its own data dir
(the session's index linked in), a log file, the worker pids, kill -9 of one of them.

    with ServeProcess(data_dir, workers=4, database_url=url) as server:
        server.post_turn(client, "s-1", text="你好", request_id="s-1-1")
        server.kill_worker(pid)                           # kill -9; uvicorn starts a new one
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
FAST = {"POLICYBOT_RATE_LIMIT_PER_S": "100000", "POLICYBOT_RATE_LIMIT_BURST": "100000"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def linked_data_dir(target: Path, built: Path) -> Path:
    """`target` as a data dir that reads the built index (retrieval/, models/ symlinked)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("retrieval", "models"):
        if not (target / name).exists():
            (target / name).symlink_to(built / name)
    return target


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class ServeProcess:
    def __init__(self, data_dir: Path, *, workers: int = 1, database_url: str | None = None, log: Path,
                 port: int | None = None, **env: str):
        self.data_dir = data_dir
        self.workers = workers
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        full = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_", "OPENAI_"))}
        full.update(PYTHONPATH=str(ROOT), POLICYBOT_DATA_DIR=str(data_dir), **FAST, **env)
        if database_url:
            full["POLICYBOT_DATABASE_URL"] = database_url
        self._log = open(log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT, env=full, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.proc.pid]
        return [c for c in children(self.proc.pid) if "spawn_main" in cmdline(c)]

    def wait_ready(self, timeout: float = 120) -> ServeProcess:
        """/healthz 200 and (several workers) every worker process up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"policybot serve exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                healthy = httpx.get(self.base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                healthy = False
            if healthy and len(self.worker_pids()) >= self.workers and self.log().count(
                    "Application startup complete") >= self.workers:
                return self
            time.sleep(0.1)
        raise AssertionError(f"policybot serve never became ready:\n{self.log()[-3000:]}")

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl+C (uvicorn re-raises a SIGTERM after its graceful stop)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def __enter__(self) -> ServeProcess:
        try:
            return self.wait_ready()
        except BaseException:  # never leave a server (or its workers) behind a failed start
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        workers = [pid for pid in self.worker_pids() if pid != self.proc.pid]  # seen while they are ours
        if self.proc.poll() is None:
            try:
                self.stop()
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()
        for pid in workers:  # a worker the supervisor did not stop
            if Path(f"/proc/{pid}").exists() and "spawn_main" in cmdline(pid):
                os.kill(pid, signal.SIGKILL)
