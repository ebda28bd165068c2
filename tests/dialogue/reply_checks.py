"""What the dialogue tests check of a reply: its amounts, and the JSON contract (CONTRACT §3)."""

from __future__ import annotations

import json

from bot.dialogue.reply import Reply
from retrieval.corpus import load_policy

POLICY = load_policy()


def amounts(reply: Reply) -> list[tuple[int, int, str]]:
    return [(b.article, b.amount_yuan, b.basis) for b in reply.benefits]


def assert_contract(reply: Reply) -> None:
    data = json.loads(json.dumps(reply.to_json_dict(), ensure_ascii=False))
    for key in ("session", "reply", "covered", "citations", "benefits", "asks", "choices", "profile"):
        assert key in data
    assert data["reply"].strip()
    for c in data["citations"]:
        assert 1 <= c["article"] <= 30
        assert c["quote"] in POLICY.text
        assert POLICY.clause(c["clause"]).article == c["article"]
    for b in data["benefits"]:
        assert isinstance(b["amount_yuan"], int)
        assert b["basis"] in ("fixed", "up_to", "at_least", "computed")
        assert b["period"] in ("one_time", "per_year", "per_project", "per_person_per_year")
        assert b["formula"]
    if not data["covered"]:
        assert data["benefits"] == []
