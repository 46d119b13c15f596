"""Where the TinyDB store's files are: the paths a step asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    from storage.entity_files import EntityFiles, EntityFileStorage

    built: list[object] = []
    original = tinydb.TinyDB.__init__

    def counting(self: tinydb.TinyDB, *args: Any, **kwargs: Any) -> None:
        built.append(args)
        original(self, *args, **kwargs)

    layout = DataLayout(tmp_path)
    layout.create_dirs()
    files = DurableFiles(layout.tmp_dir, layout.quarantine_dir)
    entities = EntityFiles(tmp_path, files)
    doc = {"user_id": "telegram:7", "answers": {"amount": 350_000, "note": "가게 예약 ✓"}}
    path, case = layout.conversation_file(tg(7)), layout.case_file("C-1")
    monkeypatch.setattr(tinydb.TinyDB, "__init__", counting)
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
    monkeypatch.undo()
    with tinydb.TinyDB(path, access_mode="r") as db:
        assert db.table("conversation").get(doc_id=1) == doc | {"state": "summary"}
    mode = storage.entity_files.WriteMode.READ_MODIFY
    with tinydb.TinyDB(path, storage=EntityFileStorage, files=files, mode=mode) as db:
        assert db.table("conversation").get(doc_id=1) == doc | {"state": "summary"}
    assert entities.load(path, "conversation") == doc | {"state": "summary"}
    with pytest.raises(FileExistsError):
        entities.create(case, "case", {"case_number": "C-1"})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "JSONDecodeError"),
        (b'{"conversation": {"1": {"state": "x"}}, "other": []}', "not a TinyDB database"),
        (b"[]", "not a TinyDB database"),
        (b'{"conversation": {}}', "no document 1 in table 'conversation'"),
        (b'{"user": {"1": {"lang": "ko"}}}', "no document 1 in table 'conversation'"),
        (b'{"conversation": {"1": null}}', "no document 1 in table 'conversation'"),
        (b'{"conversation": {"1": "text"}}', "ValueError"),
        (b'{"conversation": {"1": 5}}', "TypeError"),
    ],
)
def test_an_entity_file_is_read_and_refused_as_tinydb_read_it(
    tmp_path: Path, monkeypatch, raw: bytes, reason: str
):
    """Regression: every load (a step's conversation) built a TinyDB, its storage and a
    table to read one document; read directly, a file is taken or quarantined exactly as
    TinyDB reading it through EntityFileStorage did, for the same reasons."""
    import tinydb

    from storage.durable_files import DurableFiles
    from storage.entity_files import EntityFiles
    from storage.errors import CorruptFile

    layout = DataLayout(tmp_path)
    layout.create_dirs()
    entities = EntityFiles(tmp_path, DurableFiles(layout.tmp_dir, layout.quarantine_dir))
    path = layout.conversation_file(tg(7))
    built: list[object] = []
    original = tinydb.TinyDB.__init__

    def counting(self: tinydb.TinyDB, *args: Any, **kwargs: Any) -> None:
        built.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(tinydb.TinyDB, "__init__", counting)
    assert entities.load(path, "conversation") is None  # no file
    entities.save(path, "conversation", {"state": "amount", "answers": {"paid": True}})
    assert entities.load(path, "conversation") == {"state": "amount", "answers": {"paid": True}}
    assert built == []
    path.write_bytes(raw)
    with pytest.raises(CorruptFile) as caught:
        entities.load(path, "conversation")
    assert reason in caught.value.reason and not path.exists()
    assert len(list(layout.quarantine_dir.iterdir())) == 1
