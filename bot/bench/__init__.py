"""`policybot bench [--json]`: speed and scale figures, each beside a reference measured in the same
run, since absolute times on a shared machine swing (CONTRACT.md §2, issue 12).

Sections (each a function returning a dict; `run_bench` calls them in order):

    reference   BM25-only search of the question set (no vectors, no engine): p50 per query, and
                a cold process that opens the index BM25-only and searches once
    engine      warm engine turns (memory store and the configured store): p50 / p95 / p99
    cold_ask    a fresh `policybot ask … --json` process (index present): wall time, peak RSS
    workers     1 and 4 worker processes × N five-turn dialogues on SQLite and (when a database URL
                is configured) PostgreSQL: turns/s and p95
    telegram    updates/s through the real Telegram front end and engine against the fake Bot API
                (tests/fakes, so only from a source tree), rate limits lifted
    http        POST /api/turn throughput and p95 with N concurrent clients against a real
                `policybot serve` started by the bench, 1 and 4 workers, SQLite and PostgreSQL
                (http.py)
    rss         peak RSS of this process

Every ratio is (figure / its reference): >1 means slower or bigger than the reference.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
QUESTIONS_FILE = PROJECT / "tests" / "eval" / "questions.jsonl"
FALLBACK_QUESTIONS = [
    "高企认定了能拿多少", "研发投入后补助怎么算", "新型研发机构能补多少", "技术合同登记有奖励吗",
    "How much subsidy for a national high-tech enterprise?", "揭榜挂帅项目能拿多少钱", "科技顾问能拿多少钱",
    "孵化器认定国家级奖励多少", "首台套保险补贴", "院士专家工作站有什么支持",
]
COLD_TEXT = "我们去年被认定为国家高新技术企业，能拿多少"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _ms(values: list[float]) -> dict:
    return {"p50_ms": round(percentile(values, 50), 3), "p95_ms": round(percentile(values, 95), 3),
            "p99_ms": round(percentile(values, 99), 3), "n": len(values)}


def questions() -> list[str]:
    if QUESTIONS_FILE.exists():
        rows = [json.loads(line) for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [row["q"] for row in rows if row.get("q")]
    return FALLBACK_QUESTIONS


def _env(settings, **extra: str) -> dict:
    env = dict(os.environ)
    env["POLICYBOT_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def _timed_child(args: list[str], env: dict) -> tuple[float, int, int, str]:
    """(wall seconds, exit code, peak RSS in KB, stdout) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, proc.returncode, usage.ru_maxrss, out.decode("utf-8", "replace")


# -- sections ----------------------------------------------------------------------------------
def bench_reference(settings, qs: list[str], cold_runs: int) -> dict:
    from retrieval import store
    from retrieval.search import Retriever, open_retriever

    open_retriever(settings.data_dir)  # builds the index if missing
    bm25 = Retriever(store.load(settings.data_dir), use_vectors=False)
    for q in qs[:20]:
        bm25.search(q)
    times = []
    for q in qs:
        t0 = time.perf_counter()
        bm25.search(q)
        times.append((time.perf_counter() - t0) * 1000)
    script = ("import sys; from pathlib import Path; from retrieval import store; from retrieval.search import Retriever;"
              f"Retriever(store.load(Path(sys.argv[1])), use_vectors=False).search({COLD_TEXT!r})")
    cold = [_timed_child([sys.executable, "-c", script, str(Path(settings.data_dir).resolve())], _env(settings))
            for _ in range(cold_runs)]
    return {"bm25_search": _ms(times), "cold_bm25_process_s": round(percentile([c[0] for c in cold], 50), 3),
            "cold_bm25_peak_rss_mb": round(max(c[2] for c in cold) / 1024, 1)}


def bench_engine(settings, qs: list[str], turns: int, ref_ms: float) -> dict:
    from bot.dialogue.engine import Engine, Knowledge
    from bot.dialogue.store import MemorySessionStore, open_session_store
    from calculators.textnorm import normalize

    knowledge = Knowledge(settings.data_dir)
    out = {}
    scratch = tempfile.mkdtemp(prefix="policybot-bench-")
    try:
        stores = {"memory": MemorySessionStore()}
        if settings.database_url:
            stores["postgres"] = open_session_store(settings)
        else:
            from bot.dialogue.store import SqliteSessionStore

            stores["sqlite"] = SqliteSessionStore(Path(scratch) / "sessions.sqlite3")
        for name, store in stores.items():
            engine = Engine(store, data_dir=settings.data_dir, knowledge=knowledge)
            for q in qs[:20]:
                engine.turn("bench-warm", q)
            knowledge.retriever.clear_cache()  # every store's run encodes the same questions afresh
            normalize.cache_clear()
            times = []
            for i in range(turns):
                q = qs[i % len(qs)]
                t0 = time.perf_counter()
                engine.turn(f"bench-{os.getpid()}-{i % 50}", q)
                times.append((time.perf_counter() - t0) * 1000)
            figures = _ms(times)
            figures["p95_vs_bm25_p50"] = round(figures["p95_ms"] / ref_ms, 1) if ref_ms else None
            out[name] = figures
            if name == "postgres":
                for i in range(min(turns, 50)):
                    engine.delete_session(f"bench-{os.getpid()}-{i}")
                engine.delete_session("bench-warm")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def bench_cold_ask(settings, runs: int, ref: dict) -> dict:
    cmd = [sys.executable, "-m", "bot.cli", "ask", COLD_TEXT, "--json"]
    results = [_timed_child(cmd, _env(settings)) for _ in range(runs)]
    ok = all(code == 0 and '"citations"' in out for _, code, _, out in results)
    wall = percentile([r[0] for r in results], 50)
    rss = max(r[2] for r in results) / 1024
    return {"wall_s": round(wall, 3), "runs": runs, "ok": ok, "peak_rss_mb": round(rss, 1),
            "vs_cold_bm25_process": round(wall / ref["cold_bm25_process_s"], 2),
            "rss_vs_cold_bm25_process": round(rss / ref["cold_bm25_peak_rss_mb"], 2)}


def _workers(settings, store_spec: str, count: int, sessions: int) -> dict:
    env = _env(settings)
    procs = [subprocess.Popen([sys.executable, "-m", "bot.bench.worker", "--store", store_spec, "--prefix",
                               f"bench-{os.getpid()}-w{k}", "--sessions", str(sessions)],
                              env=env, cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for k in range(count)]
    for p in procs:
        p.stdout.readline()  # ready: every worker warm before any starts
    started = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [json.loads(p.stdout.readline() or "{}") for p in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.wait(timeout=60)
    times = [t for r in results for t in r.get("ms", [])]
    turns = count * sessions * 5
    return {"turns": turns, "answered": len(times), "failed": sum(r.get("failed", 0) for r in results),
            "turns_per_s": round(len(times) / elapsed, 1), **_ms(times)}


def bench_workers(settings, sessions: int, ref_ms: float) -> dict:
    out = {}
    scratch = tempfile.mkdtemp(prefix="policybot-bench-")
    try:
        specs = {"sqlite": f"sqlite:{Path(scratch) / 'sessions.sqlite3'}"}
        if settings.database_url:
            specs["postgres"] = f"postgres:{settings.database_url}"
        for name, spec in specs.items():
            one = _workers(settings, spec, 1, sessions)
            four = _workers(settings, spec, 4, sessions)
            out[name] = {"1_worker": one, "4_workers": four,
                         "throughput_4_vs_1": round(four["turns_per_s"] / one["turns_per_s"], 2),
                         "p95_4_vs_bm25_p50": round(four["p95_ms"] / ref_ms, 1) if ref_ms else None}
        if "postgres" in out:
            out["postgres_vs_sqlite_4_workers"] = round(
                out["postgres"]["4_workers"]["turns_per_s"] / out["sqlite"]["4_workers"]["turns_per_s"], 2)
        else:
            out["postgres"] = "未测量：设置 POLICYBOT_DATABASE_URL（或 --database-url）即可包含 PostgreSQL"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def bench_telegram(settings, updates: int, ref_ms: float) -> dict:
    """Updates/s through build_application + the real engine against the fake Bot API, in one
    process (the fake shares the GIL: a lower bound), rate limits lifted."""
    try:
        if str(PROJECT) not in sys.path:
            sys.path.insert(0, str(PROJECT))
        from tests.fakes.fake_telegram import FakeTelegram
    except ImportError:
        return {"status": "absent", "note": "找不到假 Bot API（tests/fakes）：请在源码目录中运行"}
    from telegram.ext import AIORateLimiter

    from bot.config import Settings
    from bot.dialogue.engine import Engine, Knowledge
    from bot.dialogue.store import SqliteSessionStore
    from bot.telegram.app import build_application
    from bot.telegram.runner import serve_polling

    qs = questions()
    scratch = Path(tempfile.mkdtemp(prefix="policybot-bench-tg-"))
    try:
        with FakeTelegram() as tg:
            tg_settings = Settings(POLICYBOT_DATA_DIR=scratch, TELEGRAM_BOT_TOKEN=tg.token,
                                   TELEGRAM_API_BASE_URL=tg.base_url, POLICYBOT_DATABASE_URL=None)
            engine = Engine(SqliteSessionStore(scratch / "sessions.sqlite3"), data_dir=settings.data_dir,
                            knowledge=Knowledge(settings.data_dir))
            limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)

            async def run() -> float:
                app = build_application(tg_settings, engine, rate_limiter=limiter)
                stop, ready = asyncio.Event(), asyncio.Event()
                task = asyncio.create_task(serve_polling(app, stop, poll_timeout=0.5, ready=ready))
                await asyncio.wait_for(ready.wait(), 30)
                chats = 20
                t0 = time.perf_counter()
                for n in range(updates):
                    tg.user_says(1000 + n % chats, qs[n % len(qs)])
                deadline = time.monotonic() + 120
                while tg.sent_count < updates and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - t0
                stop.set()
                await asyncio.wait_for(task, 30)
                return elapsed

            elapsed = asyncio.run(run())
            answered = tg.sent_count
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    per_update = elapsed / max(answered, 1) * 1000
    return {"updates": updates, "answered": answered, "updates_per_s": round(answered / elapsed, 1),
            "ms_per_update": round(per_update, 2), "vs_bm25_p50": round(per_update / ref_ms, 1) if ref_ms else None}


def bench_http(settings, ref_ms: float, *, clients: int = 8, dialogues: int = 80, progress=None) -> dict:
    """POST /api/turn with `clients` concurrent clients against `policybot serve` (bot/bench/http.py)."""
    from bot.bench.http import bench_http as run

    return run(settings, project=PROJECT, ref_ms=ref_ms, clients=clients, dialogues=dialogues, progress=progress)


def run_bench(settings, *, turns: int = 300, cold_runs: int = 3, sessions: int = 100, tg_updates: int = 200,
              http_clients: int = 8, http_dialogues: int = 80, progress=None) -> dict:
    say = progress or (lambda message: None)
    qs = questions()
    say("reference (BM25-only search)")
    reference = bench_reference(settings, qs, cold_runs)
    ref_ms = reference["bm25_search"]["p50_ms"]
    say("warm engine turns")
    engine = bench_engine(settings, qs, turns, ref_ms)
    say("cold ask")
    cold = bench_cold_ask(settings, cold_runs, reference)
    say("workers (1 and 4 processes)")
    workers = bench_workers(settings, sessions, ref_ms)
    say("Telegram against the fake Bot API")
    telegram = bench_telegram(settings, tg_updates, ref_ms)
    say("HTTP /api/turn (policybot serve, 1 and 4 workers)")
    http = bench_http(settings, ref_ms, clients=http_clients, dialogues=http_dialogues, progress=progress)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "reference": reference, "engine": engine, "cold_ask": cold, "workers": workers, "telegram": telegram,
        "http": http, "rss": {"bench_process_peak_mb": round(rss, 1),
                              "vs_cold_bm25_process": round(rss / reference["cold_bm25_peak_rss_mb"], 2)},
    }


def format_report(report: dict) -> str:
    ref = report["reference"]
    lines = [f"参照（同一次运行）：BM25 检索 p50 {ref['bm25_search']['p50_ms']} ms；"
             f"冷进程仅 BM25 {ref['cold_bm25_process_s']} s，峰值内存 {ref['cold_bm25_peak_rss_mb']} MB"]
    for name, f in report["engine"].items():
        lines.append(f"引擎单轮（{name}）：p50 {f['p50_ms']} / p95 {f['p95_ms']} / p99 {f['p99_ms']} ms"
                     f"（p95 是参照的 {f['p95_vs_bm25_p50']} 倍）")
    c = report["cold_ask"]
    lines.append(f"冷启动 ask：{c['wall_s']} s（参照的 {c['vs_cold_bm25_process']} 倍），峰值内存 {c['peak_rss_mb']} MB"
                 f"（{c['rss_vs_cold_bm25_process']} 倍）{'' if c['ok'] else '，有失败！'}")
    for name, w in report["workers"].items():
        if isinstance(w, dict):
            lines.append(f"多进程（{name}）：1 个 {w['1_worker']['turns_per_s']} 轮/秒，4 个 {w['4_workers']['turns_per_s']} "
                         f"轮/秒（{w['throughput_4_vs_1']} 倍），4 个时 p95 {w['4_workers']['p95_ms']} ms；"
                         f"失败 {w['1_worker']['failed'] + w['4_workers']['failed']} 轮")
        elif isinstance(w, str):
            lines.append(f"多进程（{name}）：{w}")
    t = report["telegram"]
    if "updates_per_s" in t:
        lines.append(f"Telegram：{t['updates_per_s']} 条/秒（每条 {t['ms_per_update']} ms，参照的 {t['vs_bm25_p50']} 倍），"
                     f"应答 {t['answered']}/{t['updates']}")
    else:
        lines.append(f"Telegram：{t['note']}")
    h = report["http"]
    for name in ("sqlite", "postgres"):
        section = h.get(name)
        if isinstance(section, str):
            lines.append(f"HTTP /api/turn（{name}）：{section}")
            continue
        for key in ("1_worker", "4_workers"):
            r = (section or {}).get(key) or {}
            if "error" in r:
                lines.append(f"HTTP /api/turn（{name}，{key}）：没有测成：{r['error']}")
            elif r:
                lines.append(f"HTTP /api/turn（{name}，{r['workers']} 个进程，{r['clients']} 个客户端）："
                             f"{r['turns_per_s']} 轮/秒，p50 {r['p50_ms']} / p95 {r['p95_ms']} / p99 {r['p99_ms']} ms"
                             f"（p95 是参照的 {r.get('p95_vs_bm25_p50')} 倍）；失败 {r['failed']} 轮")
        if section and section.get("throughput_4_vs_1"):
            lines.append(f"HTTP /api/turn（{name}）：4 个进程是 1 个的 {section['throughput_4_vs_1']} 倍")
    for key in ("1_worker", "4_workers"):
        if h.get(f"postgres_vs_sqlite_{key}"):
            lines.append(f"HTTP /api/turn：PostgreSQL 是 SQLite 的 {h[f'postgres_vs_sqlite_{key}']} 倍（{key}）")
    lines.append(f"本进程峰值内存：{report['rss']['bench_process_peak_mb']} MB")
    return "\n".join(lines)
