"""Every golden dialogue in tests/dialogues, replayed through `policybot replay --via` against the
server (what an outside check does with its own dialogues), and the turn latency and throughput of
POST /api/turn measured on the way (written to tests/web/artifacts/api_timing.json)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DIALOGUES = ROOT / "tests" / "dialogues"


def test_every_golden_passes_through_the_http_api(base_url, tmp_path):
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "replay", str(DIALOGUES), "--via", base_url, "--junit", str(junit)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    suite = ET.parse(junit).getroot()
    cases = suite.iter("testcase")
    files = sorted(p for p in DIALOGUES.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert sum(1 for _ in cases) == len(files) > 50


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def test_turn_latency_and_throughput(base_url, artifacts):
    questions = ["我们去年被认定为国家高新技术企业，能拿多少", "研发投入1200万能补多少", "技术合同登记了800万，能补吗",
                 "孵化器认定为国家级能拿多少", "第十七条", "你好", "首台套有什么支持", "包头市高企奖励多少"]
    with httpx.Client(base_url=base_url, timeout=30) as c:
        for q in questions:  # warm
            c.post("/api/turn", json={"text": q})
        ms = []
        for i in range(160):
            t = time.perf_counter()
            r = c.post("/api/turn", json={"session": f"lat-{i % 20}", "text": questions[i % len(questions)]})
            ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
    sequential = {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(_percentile(ms, 0.95), 1),
                  "p99_ms": round(_percentile(ms, 0.99), 1), "n": len(ms)}

    done = []
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            for i in range(40):
                r = c.post("/api/turn", json={"session": f"tp-{k}-{i % 5}", "text": questions[(k + i) % len(questions)]})
                with lock:
                    done.append(r.status_code)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert done.count(200) == len(done) == 160
    result = {"sequential": sequential,
              "concurrent_4_clients": {"turns": len(done), "seconds": round(elapsed, 2),
                                       "turns_per_s": round(len(done) / elapsed, 1)}}
    (artifacts / "api_timing.json").write_text(json.dumps(result, indent=2))
    print("\n/api/turn timing:", json.dumps(result))
    assert sequential["p95_ms"] < 1000  # a loose floor: the numbers themselves go in the README
