"""telegram.sqlite3: survives restarts, recovers from corruption, forgets a chat completely."""

from __future__ import annotations

from bot.telegram.store import Prompt, TelegramStore


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
