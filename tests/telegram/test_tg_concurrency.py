"""50 chats × 10 messages at once: every message answered, in order per chat; throughput printed.

The bot runs in its own process (tests/telegram/tg_run_bot.py: the real entry over the scripted
engine), so it does not share a GIL with the fake Bot API server. Two runs: with the production
rate limiter (AIORateLimiter: Telegram's 30 messages/s overall, so this measures the limiter) and
with the limiter lifted (the bot's own processing rate). Also printed: the bot process's CPU time
per update (Linux), the bot's own work without the waits; on a busy 2-core machine it still varies
about ±20 % between runs (updates/s about ±30 %), so compare several interleaved runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.telegram.tg_harness import polling_started

CHATS, MESSAGES = 50, 10
RUNNER = "tests/telegram/tg_run_bot.py"


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("limits", ["production", "lifted"])
async def test_50_chats_x_10_messages(fake_tg, tg_settings, bot_process, capsys, limits):
    args = [RUNNER, "--delay", "0.002"] + (["--lifted"] if limits == "lifted" else [])
    process = bot_process(args, tg_settings)
    await polling_started(fake_tg, process, after=0)
    total = CHATS * MESSAGES
    cpu_before = cpu_seconds(process.proc.pid)
    started = time.monotonic()
    for n in range(MESSAGES):
        for chat in range(1, CHATS + 1):
            fake_tg.user_says(chat, f"m{n}")
    await fake_tg.until(lambda: fake_tg.sent_count >= total, timeout=60, what=f"{total} replies")
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds(process.proc.pid)
    for chat in range(1, CHATS + 1):
        assert fake_tg.texts(chat) == [f"收到 m{n}" for n in range(MESSAGES)], f"chat {chat} out of order"
    assert process.stop() == 0
    with capsys.disabled():
        cpu = f", bot CPU {(cpu_after - cpu_before) / total * 1000:.2f} ms/update" if cpu_before is not None else ""
        print(f"\n[telegram throughput, {limits} rate limits] {total} updates in {elapsed:.2f}s = {total / elapsed:.0f} updates/s{cpu}")
