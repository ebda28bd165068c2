"""Logs never carry user text, figures or the token, at any level (issue 12, BAD_INPUTS 22): with
the root logger at DEBUG, PTB's Bot API call lines (getUpdates returns the users' messages) and
httpx's request lines stay out of telegram.log, which is 0600 in a 0700 dir."""

from __future__ import annotations

import logging
import stat

from bot.telegram.runner import configure_logging
from tests.telegram.tg_harness import running_bot

SENTINEL = "哨兵能源研发投入8765万"


async def test_debug_logging_keeps_user_text_and_the_token_out(fake_tg, tg_settings, engine):
    root = logging.getLogger()
    before = root.level, list(root.handlers)
    try:
        configure_logging(tg_settings)
        root.setLevel(logging.DEBUG)  # an operator debugging the bot
        logging.getLogger("telegram.Bot").setLevel(logging.DEBUG)  # even a library logger turned up
        async with running_bot(tg_settings, engine):
            fake_tg.user_says(60, f"echo:{SENTINEL}")
            assert await fake_tg.replies(60, 1) == [SENTINEL]
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers[:]:
            if handler not in before[1]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(before[0])
        logging.getLogger("telegram.Bot").setLevel(logging.NOTSET)
    log_file = tg_settings.data_dir / "logs" / "telegram.log"
    text = log_file.read_text(encoding="utf-8")
    assert "polling for updates" in text  # the log is written at all
    for secret in ("哨兵", "8765", fake_tg.token):
        assert secret not in text
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
