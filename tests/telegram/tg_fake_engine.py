"""A scripted stand-in for bot.dialogue.engine.Engine (same interface), for front-end tests.

    engine = ScriptedEngine(db_path)         # sessions persisted in SQLite: survives a restart
    engine.turn("tg-1", "/check")           # -> Reply asking the org type, choices 企业/高校/科研院所
    engine.history                          # [(session, text, choice), ...] every turn, in order

Script: /help; /check -> org type (buttons) -> recognitions (multi-select buttons, one press per
turn, "完成" ends) -> R&D spend (typed, "1200万") -> 高企? (buttons 是/否) -> report with benefits
and citations. Also: "高企能拿多少" (one-shot answer with citations),
"长文" (a reply of ~9000 UTF-16 units), "echo:<text>" (the text back), "m<n>" ("收到 m<n>"),
"boom <anything>" (raises, with the text in the exception message), /articles, /article N, /reset,
"stall:<text>" (logs "scripted engine: stalling", sleeps `stall` seconds, then the text back: a turn
a kill -9 can land in).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections import defaultdict
from pathlib import Path

from bot.dialogue.reply import Citation, Reply
from calculators.models import Benefit

log = logging.getLogger(__name__)

ORG_CHOICES = ["企业", "高校", "科研院所"]
YES_NO = ["是", "否"]
ASK_ORG = "贵单位属于哪一类？"
ASK_QUALS = "贵单位已获得哪些认定？可多选，选完点“完成”。"
QUALS = ["科技型中小企业", "自治区科技领军企业"]
ASK_RD = "贵单位上年度研发投入是多少？（例如 1200万）"
ASK_HNTE = "贵单位是国家高新技术企业吗？"
HNTE_CITATION = Citation(
    article=15, clause="15.2", title="支持科技企业“双倍增”", quote="对符合一定条件的国家高新技术企业给予30万元科研经费奖补"
)
HNTE_BENEFIT = Benefit(
    article=15, clause="15.2", item="国家高新技术企业奖补", amount_yuan=300_000, basis="fixed",
    period="one_time", formula="定额 30万元", note="须符合一定条件",
)  # fmt: skip

SME_BENEFIT = Benefit(
    article=15, clause="15.2", item="国家科技型中小企业科研经费奖补", amount_yuan=50_000, basis="up_to",
    period="one_time", formula="最高 5万元",
)  # fmt: skip


def long_text() -> str:
    paragraph = "第{n}段：研发投入后补助按上年度研发投入的一定比例给予支持，最高不超过500万元 😀 <注意> & “引号”。"
    return "\n\n".join(paragraph.format(n=n) * 3 for n in range(1, 61))


class ScriptedEngine:
    def __init__(self, db_path: Path | str | None = None, delay: float = 0.0, stall: float = 0.0):
        self.delay = delay
        self.stall = stall
        self.history: list[tuple[str, str | None, str | None]] = []
        self.deleted: list[str] = []
        self._lock = threading.Lock()
        self._session_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._db = sqlite3.connect(str(db_path or ":memory:"), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL)")

    # -- the Engine interface --------------------------------------------------------------------
    def turn(self, session_id: str, text: str | None = None, *, choice: str | None = None) -> Reply:
        with self._lock:
            session_lock = self._session_locks[session_id]
        with session_lock:
            with self._lock:
                self.history.append((session_id, text, choice))
            if self.delay:
                time.sleep(self.delay)
            if (text or "").startswith("stall:"):
                log.info("scripted engine: stalling for %ss", self.stall)
                time.sleep(self.stall)
            state = self.state(session_id)
            reply = self._respond(session_id, state, (text or "").strip(), choice)
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (session_id, json.dumps(state, ensure_ascii=False)))
            return reply

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
            self.deleted.append(session_id)

    # -- for assertions --------------------------------------------------------------------------
    def state(self, session_id: str) -> dict:
        with self._lock:
            row = self._db.execute("SELECT state FROM sessions WHERE id=?", (session_id,)).fetchone()
        return json.loads(row[0]) if row else {"step": None, "profile": {}}

    def turns_of(self, session_id: str) -> list[tuple[str | None, str | None]]:
        with self._lock:
            return [(t, c) for s, t, c in self.history if s == session_id]

    # -- the script ------------------------------------------------------------------------------
    def _respond(self, sid: str, state: dict, text: str, choice: str | None) -> Reply:
        step, profile = state.get("step"), state.setdefault("profile", {})

        def reply(body: str, **kw) -> Reply:
            return Reply(session=sid, reply=body, profile=dict(profile), **kw)

        answer = choice if choice is not None else text
        if choice is None:
            if text == "/help":
                return reply("您好！我可以解答鄂尔多斯“科技突围”30条政策的问题。\n\n发送 /check 开始逐项测算。", intent="greeting")
            if text == "/check":
                state.update(step="org", profile={})
                return reply("好的，我们逐项测算。", asks=[ASK_ORG], choices=ORG_CHOICES, intent="form")
            if text == "/reset":
                state.update(step=None, profile={})
                return reply("已清空，重新开始。", intent="reset")
            if text == "/articles":
                return reply("\n".join(f"第（{n}）条 政策条目{n}" for n in range(1, 31)), intent="articles")
            m = re.fullmatch(r"/article\s+(\S+)", text)
            if m:
                if not m.group(1).isdigit() or not 1 <= int(m.group(1)) <= 30:
                    return reply("没有这一条，请输入 1–30。", intent="article")
                n = int(m.group(1))
                cite = Citation(article=n, clause=f"{n}.1", title=f"政策条目{n}", quote=f"第{n}条原文")
                return reply(f"第{n}条的内容如下。", citations=[cite], intent="article")
            if text.startswith("boom"):
                raise RuntimeError(f"engine failure while handling {text!r}")
            if text == "长文":
                return reply(long_text(), intent="answer")
            if text.startswith(("echo:", "stall:")):
                return reply(text.partition(":")[2], intent="answer")
            if re.fullmatch(r"m\d+", text):
                return reply(f"收到 {text}", intent="answer")
            if "高企" in text and step not in ("org", "quals", "rd", "hnte"):
                return reply(
                    "国家高新技术企业可获得30万元科研经费奖补。",
                    citations=[HNTE_CITATION], benefits=[HNTE_BENEFIT], intent="answer",
                )  # fmt: skip
        if step == "org":
            if answer in ORG_CHOICES:
                profile["org_type"] = answer
                state["step"] = "quals"
                return reply(f"好的，按“{answer}”测算。", asks=[ASK_QUALS], choices=[*QUALS, "完成"], intent="form")
            return reply("请从选项中选择。", asks=[ASK_ORG], choices=ORG_CHOICES, intent="form")
        if step == "quals":
            chosen = profile.setdefault("quals", [])
            if answer == "完成":
                state["step"] = "rd"
                return reply(f"已记录认定：{'、'.join(chosen) or '无'}。", asks=[ASK_RD], intent="form")
            if answer in QUALS:
                chosen.remove(answer) if answer in chosen else chosen.append(answer)
            return reply(f"已选：{'、'.join(chosen) or '无'}。", asks=[ASK_QUALS], choices=[*QUALS, "完成"], intent="form")
        if step == "rd":
            m = re.fullmatch(r"(?:不对，是)?(\d+(?:\.\d+)?)万", answer or "")
            if choice is None and m:
                profile["rd_investment_yuan"] = int(float(m.group(1)) * 10_000)
                state["step"] = "hnte"
                return reply(f"已记录研发投入 {m.group(1)}万元。", asks=[ASK_HNTE], choices=YES_NO, intent="form")
            return reply("请输入一个金额，例如 1200万。", asks=[ASK_RD], intent="form")
        if step == "hnte":
            if answer in YES_NO:
                profile["hnte"] = answer == "是"
                state["step"] = "done"
                rd = profile.get("rd_investment_yuan", 0)
                computed = Benefit(
                    article=16, clause="16.1", item="研发投入后补助", amount_yuan=min(rd // 10, 5_000_000),
                    basis="computed", period="per_year", formula=f"{rd // 10_000}万元 × 10% （上限500万元）",
                )  # fmt: skip
                benefits = [HNTE_BENEFIT, computed] if profile["hnte"] else [computed]
                if "科技型中小企业" in profile.get("quals", []):
                    benefits.append(SME_BENEFIT)
                return reply("测算结果如下。", benefits=benefits, citations=[HNTE_CITATION], intent="report")
            return reply("请回答“是”或“否”。", asks=[ASK_HNTE], choices=YES_NO, intent="form")
        if choice is not None:
            return reply("这个选项已不适用。", intent="fallback")
        return reply("抱歉，政策中没有相关内容。", covered=False, intent="out_of_scope")
