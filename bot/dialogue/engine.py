"""engine.turn(): the deterministic conversation core. (Being written: interface fixed here.)

    engine = build_engine(settings)           # or Engine(store=SqliteSessionStore(path))
    reply = engine.turn("s-1", "高企能拿多少")  # free text
    reply = engine.turn("s-1", choice="企业")    # a label from the previous reply's choices
    engine.delete_session("s-1")              # erase every trace of the session
"""

from __future__ import annotations
