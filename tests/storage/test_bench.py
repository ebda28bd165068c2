"""`policybot bench --json` (small sizes): one JSON object, every section with its same-run
reference ratio, the HTTP section measured against real `policybot serve` processes (1 and 4
workers, SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from tests.storage.conftest import cli_env, run_cli


def test_bench_json_has_every_section_with_ratios(linked_data_dir, pg_url):
    args = ["bench", "--json", "--turns", "20", "--cold-runs", "1", "--sessions", "5", "--tg-updates", "20",
            "--http-clients", "4", "--http-sessions", "8", "--database-url", pg_url]
    proc = run_cli(args, cli_env(linked_data_dir), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["reference"]["bm25_search"]["p50_ms"] > 0
    for store in ("memory", "postgres"):
        figures = report["engine"][store]
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] and figures["p95_vs_bm25_p50"] > 0
    assert report["cold_ask"]["ok"] and report["cold_ask"]["vs_cold_bm25_process"] > 0
    for backend in ("sqlite", "postgres"):
        workers = report["workers"][backend]
        assert workers["4_workers"]["answered"] == workers["4_workers"]["turns"] == 4 * 5 * 5
        assert workers["1_worker"]["failed"] == workers["4_workers"]["failed"] == 0
        assert workers["throughput_4_vs_1"] > 0
    assert report["telegram"]["answered"] == 20 and report["telegram"]["vs_bm25_p50"] > 0
    http = report["http"]
    for backend in ("sqlite", "postgres"):
        for key, workers in (("1_worker", 1), ("4_workers", 4)):
            run = http[backend][key]
            assert run["workers"] == workers and run["answered"] == run["turns"] == 8 * 5 and run["failed"] == 0, run
            assert run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"] and run["p95_vs_bm25_p50"] > 0
        assert http[backend]["throughput_4_vs_1"] > 0
    assert http["postgres_vs_sqlite_4_workers"] > 0 and http["postgres_vs_sqlite_1_worker"] > 0
    import psycopg

    with psycopg.connect(pg_url) as conn:  # the bench left no session of its own in the database
        assert conn.execute("SELECT count(*) FROM sessions WHERE id LIKE 'api-bench-http-%'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM last_options WHERE session LIKE 'api-bench-http-%'").fetchone()[0] == 0
    assert report["rss"]["bench_process_peak_mb"] > 0
    assert proc.stderr.strip() == ""  # --json: nothing else printed, no log lines
