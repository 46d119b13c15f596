"""Where the TinyDB store's files are: the paths a step asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.data_layout import DataLayout, fan_out
from tests.support.users import tg


def test_a_conversation_file_is_where_the_layout_says(tmp_path: Path):
    layout = DataLayout(tmp_path)
    key = "telegram:7"
    expected = tmp_path / "conversations" / fan_out(key) / f"{key}.json"
    assert layout.conversation_file(tg(7)) == expected
    assert layout.user_file(tg(7)) == tmp_path / "users" / fan_out(key) / f"{key}.json"
    assert layout.conversation_file(tg(8)) != expected
    assert DataLayout(tmp_path / "other").conversation_file(tg(7)) != expected


def test_a_person_s_conversation_path_is_made_once(tmp_path: Path):
    """Regression: every load and every save of a conversation made its path anew (a
    sha256 and three pathlib joins, then the new Path's string for the system call),
    twice or more per step for the same person."""
    layout = DataLayout(tmp_path)
    first = layout.conversation_file(tg(7))
    assert layout.conversation_file(tg(7)) is first
    assert DataLayout(tmp_path).conversation_file(tg(7)) is first
    assert layout.user_file(tg(7)) is layout.user_file(tg(7))


def test_a_conversation_is_read_and_written_without_copying_it_first(
    tiny, make_conversation, monkeypatch
):
    """Regression: load_conversation deep-copied the document it had just parsed (nobody
    else holds it) and save_conversation deep-copied the record only to serialise the
    copy at once: two walks of every answer per step for nothing."""
    import flows.record

    copies: list[object] = []
    original = flows.record.copy_json

    def counting(value: object) -> object:
        copies.append(value)
        return original(value)

    record = make_conversation(tg(7), answers={"evidence": [{"sha256": "a" * 64}], "paid": True})
    monkeypatch.setattr(flows.record, "copy_json", counting)
    tiny.save_conversation(record)
    loaded = tiny.load_conversation(tg(7))
    assert copies == []
    assert loaded == record
    # What was saved is what was written then; what is loaded belongs to the caller.
    record.answers["evidence"].append({"sha256": "b" * 64})
    again = tiny.load_conversation(tg(7))
    assert again == loaded and again.answers is not loaded.answers
    loaded.answers["evidence"][0]["sha256"] = "c" * 64
    assert tiny.load_conversation(tg(7)).answers["evidence"] == [{"sha256": "a" * 64}]


def test_an_entity_file_is_written_without_building_a_tinydb(tmp_path: Path, monkeypatch):
    """Regression: every save (a step's conversation, a case) built a TinyDB, its
    storage, a table and a Document, and read nothing, to write one known document;
    the bytes are the same written directly, and TinyDB itself reads them."""
    import tinydb

    import storage.entity_files
    from storage.durable_files import DurableFiles
    from storage.entity_files import EntityFiles

    built: list[object] = []
    original = storage.entity_files.TinyDB

    def counting(*args: object, **kwargs: object) -> object:
        built.append(args)
        return original(*args, **kwargs)

    layout = DataLayout(tmp_path)
    layout.create_dirs()
    entities = EntityFiles(tmp_path, DurableFiles(layout.tmp_dir, layout.quarantine_dir))
    doc = {"user_id": "telegram:7", "answers": {"amount": 350_000, "note": "가게 예약 ✓"}}
    path, case = layout.conversation_file(tg(7)), layout.case_file("C-1")
    monkeypatch.setattr(storage.entity_files, "TinyDB", counting)
    entities.save(path, "conversation", doc)
    entities.save(path, "conversation", doc | {"state": "summary"})
    entities.create(case, "case", {"case_number": "C-1"})
    assert built == []
    raw = path.read_bytes()
    assert (
        raw
        == (
            '{"conversation":{"1":{"user_id":"telegram:7","answers":{"amount":350000,'
            '"note":"가게 예약 ✓"},"state":"summary"}}}'
        ).encode()
    )
    with tinydb.TinyDB(path, access_mode="r") as db:
        assert db.table("conversation").get(doc_id=1) == doc | {"state": "summary"}
    assert entities.load(path, "conversation") == doc | {"state": "summary"}
    with pytest.raises(FileExistsError):
        entities.create(case, "case", {"case_number": "C-1"})
