"""telegram.sqlite3: survives restarts, recovers from corruption, forgets a chat completely; the inbox."""

from __future__ import annotations

import json

from bot.telegram.store import MAX_ATTEMPTS, Prompt, TelegramStore


def test_processed_ids_prompts_and_blocked_chats_survive_a_restart(tmp_path):
    path = tmp_path / "telegram.sqlite3"
    store = TelegramStore(path, bot_id=7)
    store.mark_processed(1001)
    store.save_prompt(5, Prompt("tok12345", 42, ["研发投入是多少？"], ["是", "否"]))
    store.set_inactive(6, True)
    store.close()
    again = TelegramStore(path, bot_id=7)
    assert again.is_processed(1001) and not again.is_processed(1002)
    assert again.get_prompt(5) == Prompt("tok12345", 42, ["研发投入是多少？"], ["是", "否"])
    assert again.is_inactive(6)
    assert not TelegramStore(path, bot_id=8).is_processed(1001)  # per bot


def test_delete_token_is_single_use(tmp_path):
    store = TelegramStore(tmp_path / "t.sqlite3")
    store.set_delete_token(5, "abc")
    assert not store.take_delete_token(5, "other")
    assert store.take_delete_token(5, "abc")
    assert not store.take_delete_token(5, "abc")


def test_forget_chat_leaves_no_bytes_behind(tmp_path):
    path = tmp_path / "telegram.sqlite3"
    store = TelegramStore(path)
    store.save_prompt(5, Prompt("tok", 1, ["哨兵公司的研发投入是多少？"], ["哨兵选项"]))
    store.save_prompt(6, Prompt("tok", 1, ["别的问题"], []))
    store.forget_chat(5)
    store.close()
    for file in tmp_path.iterdir():
        assert "哨兵".encode() not in file.read_bytes(), file
    assert TelegramStore(path).get_prompt(6) is not None


def test_a_corrupt_file_is_moved_aside_and_a_fresh_store_opened(tmp_path, caplog):
    path = tmp_path / "telegram.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = TelegramStore(path)
    store.mark_processed(5)
    assert store.is_processed(5)
    assert list(tmp_path.glob("telegram.sqlite3.corrupt-*"))
    assert "unreadable" in caplog.text


def held_by(directory, needle: str) -> list[str]:
    return [f.name for f in directory.iterdir() if f.is_file() and needle.encode() in f.read_bytes()]


def test_inbox_keeps_updates_until_processed_across_restarts(tmp_path):
    path = tmp_path / "telegram.sqlite3"
    store = TelegramStore(path, bot_id=7)
    for update_id in (12, 10, 11):
        store.inbox_add(update_id, 5, json.dumps({"update_id": update_id}))
    store.mark_processed(11)
    store.inbox_add(11, 5, "{}")  # a redelivery of a processed update is not stored again
    store.close()
    again = TelegramStore(path, bot_id=7)
    assert again.inbox_ids() == [10, 12]
    assert [u for u, _ in again.inbox_pending()] == [10, 12]  # oldest first
    assert json.loads(again.inbox_pending()[1][1]) == {"update_id": 12}
    assert TelegramStore(path, bot_id=8).inbox_ids() == []  # per bot
    again.mark_processed(10)
    again.mark_processed(12)
    assert again.inbox_ids() == [] and again.inbox_pending() == []


def test_an_update_replayed_too_often_is_dropped(tmp_path, caplog):
    store = TelegramStore(tmp_path / "t.sqlite3")
    store.inbox_add(1, 5, "{}")
    for _ in range(MAX_ATTEMPTS):  # each start-up replays it, each run dies on it
        assert [u for u, _ in store.inbox_pending()] == [1]
    assert store.inbox_pending() == [] and store.inbox_ids() == []
    assert "dropped from the inbox" in caplog.text


def test_processed_inbox_updates_leave_no_bytes_behind(tmp_path):
    path = tmp_path / "telegram.sqlite3"
    store = TelegramStore(path)
    big = "哨兵公司研发投入8765万" * 400  # ~12 KB: overflow pages too
    store.inbox_add(1, 5, json.dumps({"text": big}, ensure_ascii=False))
    store.mark_processed(1)  # the inbox drains: the WAL is truncated
    assert held_by(tmp_path, "哨兵") == []

    store.inbox_add(2, 6, json.dumps({"text": "别的对话"}, ensure_ascii=False))  # keeps the inbox busy
    store.inbox_add(3, 5, json.dumps({"text": big}, ensure_ascii=False))
    store.mark_processed(3)
    assert held_by(tmp_path, "哨兵") == ["telegram.sqlite3-wal"]  # an old page image, until the log is recycled
    store.forget_chat(5)  # /delete truncates the log
    assert held_by(tmp_path, "哨兵") == []
    store.close()
    assert held_by(tmp_path, "哨兵") == [] and TelegramStore(path).inbox_ids() == [2]


def test_forget_chat_removes_its_inbox_updates_up_to_the_confirming_press(tmp_path):
    path = tmp_path / "telegram.sqlite3"
    store = TelegramStore(path)
    store.inbox_add(1, 5, json.dumps({"text": "哨兵公司"}, ensure_ascii=False))
    store.inbox_add(2, 6, "{}")
    store.inbox_add(3, 5, "{}")  # the press that confirms /delete
    store.inbox_add(4, 5, json.dumps({"text": "删除之后的新问题"}, ensure_ascii=False))
    store.forget_chat(5, up_to=3)
    assert store.inbox_ids() == [2, 4]
    store.mark_processed(3)  # the processor still marks the press
    store.close()
    assert held_by(tmp_path, "哨兵") == [] and TelegramStore(path).inbox_ids() == [2, 4]


def test_a_starting_worker_leaves_alone_what_a_live_worker_is_answering(tmp_path, pg_url):
    """Several webhook workers on one database: one that (re)starts replays the inbox, but an
    update another worker has claimed is neither replayed, nor counted as an attempt, nor dropped."""
    live = TelegramStore(tmp_path / "a.sqlite3", 7, database_url=pg_url)
    live.inbox_add(1, 10, '{"update_id": 1}')
    live.inbox_add(2, 11, '{"update_id": 2}')
    assert live.claim(1)  # the live worker is answering update 1
    rounds = []
    for _ in range(MAX_ATTEMPTS + 2):  # workers starting again and again
        starting = TelegramStore(tmp_path / "b.sqlite3", 7, database_url=pg_url)
        rounds.append([u for u, _ in starting.inbox_pending()])
        starting.close()
    assert rounds == [[2]] * MAX_ATTEMPTS + [[]] * 2
    assert 1 in live.inbox_ids()  # still there: if the live worker dies now, the next start answers it
    live.mark_processed(1)
    assert live.inbox_ids() == []  # update 2 was replayed too often (nobody held it) and dropped
    live.close()
