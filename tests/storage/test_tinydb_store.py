"""What only the TinyDB storage on disk must do: survive reopening, damage and crashes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from storage import (
    AuditEntry,
    CaseChange,
    CaseStatus,
    CorruptFile,
    DataDirInUse,
    EvidenceRef,
    NeedsMigration,
    tinydb_store,
)
from storage.case_numbers import new_case_number
from storage.data_layout import DataLayout
from storage.records import case_holder, draft_holder
from storage.tinydb_store import TinyDBStorage, rebuild_index
from tests.support.users import tg


def reopen(store: TinyDBStorage) -> TinyDBStorage:
    store.close()
    return TinyDBStorage(store.data_dir)


def quarantined(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "quarantine").iterdir())


def index_lines(data_dir: Path) -> list[dict]:
    return [json.loads(line) for line in DataLayout(data_dir).index_file.read_text().splitlines()]


def rows_rebuilt_from_case_files(data_dir: Path) -> list:
    rebuild_index(data_dir)
    with_rebuilt = TinyDBStorage(data_dir)
    try:
        return with_rebuilt.list_cases()
    finally:
        with_rebuilt.close()


# -- reopening ---------------------------------------------------------------------------


def test_everything_survives_reopening(tiny, make_draft, make_conversation):
    tiny.save_conversation(make_conversation(tg(7)))
    draft = make_draft()
    case = tiny.create_case(draft, now=1.0)
    tiny.update_case(case.case_number, CaseChange(actor="staff:1", now=2.0, status=CaseStatus.PAID))
    sha = tiny.put_evidence(b"photo")
    tiny.mark_request("telegram", "555")
    tiny.mark_request("web", "form-token.1")
    tiny.append_audit(AuditEntry(at=3.0, actor="system", action="note"))

    store = reopen(tiny)
    try:
        assert store.load_conversation(tg(7)) == make_conversation(tg(7))
        assert store.get_case(case.case_number).status is CaseStatus.PAID
        assert store.create_case(draft, now=9.0).case_number == case.case_number
        assert len(store.list_cases()) == 1
        with store.open_evidence(sha) as handle:
            assert handle.read() == b"photo"
        assert store.seen_request("telegram", "555") and store.seen_request("web", "form-token.1")
        assert not store.seen_request("web", "555")
        assert [e.action for e in store.iter_audit()] == ["case.created", "case.updated", "note"]
    finally:
        store.close()


def test_one_process_owns_the_data_dir(tiny, data_dir):
    with pytest.raises(DataDirInUse):
        TinyDBStorage(data_dir)
    with pytest.raises(DataDirInUse):
        rebuild_index(data_dir)
    tiny.close()
    TinyDBStorage(data_dir).close()


def test_close_releases_every_file_handle(data_dir, make_draft):
    fds_before = set(os.listdir("/proc/self/fd"))
    store = TinyDBStorage(data_dir)
    store.create_case(make_draft(), now=1.0)
    store.mark_request("telegram", "1")
    store.close()
    store.close()  # twice is harmless
    assert set(os.listdir("/proc/self/fd")) <= fds_before


def test_leftover_temporary_files_are_removed_on_open(tiny, data_dir):
    tiny.close()
    leftover = data_dir / "tmp" / "123-4.tmp"
    leftover.write_bytes(b"half a write")
    TinyDBStorage(data_dir).close()
    assert not leftover.exists()


def test_a_spooled_evidence_file_is_moved_in_not_copied(tiny, data_dir):
    """A download in ``tmp/`` becomes the evidence file itself: one write of its bytes."""
    spooled = tiny.spool_dir() / "download.part"
    assert spooled.parent == data_dir / "tmp"
    spooled.write_bytes(b"%PDF-1.4 ledger")
    inode = spooled.stat().st_ino
    sha = tiny.put_evidence_file(spooled)
    stored = DataLayout(data_dir).evidence_file(sha)
    assert stored.stat().st_ino == inode and stored.stat().st_nlink == 1
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert os.listdir(data_dir / "tmp") == []


def test_files_and_folders_are_owner_only(tiny, data_dir, make_draft, make_conversation):
    tiny.save_conversation(make_conversation(tg(7)))
    tiny.create_case(make_draft(), now=1.0)
    tiny.put_evidence(b"id card scan")
    tiny.mark_request("telegram", "1")
    checked = 0
    for folder, _dirs, files in os.walk(data_dir):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
        for name in files:
            path = os.path.join(folder, name)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
            checked += 1
    assert checked >= 7


# -- damaged files -----------------------------------------------------------------------


def test_corrupt_case_file_is_quarantined_and_reported(tiny, data_dir, make_draft):
    case = tiny.create_case(make_draft(), now=1.0)
    path = DataLayout(data_dir).case_file(case.case_number)
    path.write_bytes(b'{"case": {"1": {"case_number": ')
    with pytest.raises(CorruptFile) as raised:
        tiny.get_case(case.case_number)
    assert raised.value.path == path
    assert str(path) in str(raised.value)
    assert not path.exists()
    (moved,) = quarantined(data_dir)
    assert raised.value.quarantined_to == moved
    assert moved.read_bytes() == b'{"case": {"1": {"case_number": '
    assert tiny.get_case(case.case_number) is None


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not utf-8",
        b"",
        b"[]",
        b'{"conversation": {"1": {"state": "x"}}}',  # no user_id
        b'{"conversation": {"2": {"user_id": "telegram:7", "state": "x"}}}',  # not document 1
        b'{"conversation": {"1": {"user_id": "telegram:8", "state": "x"}}}',  # someone else's
        b'{"conversation": {"1": {"user_id": 7, "state": "x", "schema_version": 2}}}',  # an int
    ],
)
def test_corrupt_conversation_is_quarantined_and_reported(tiny, data_dir, content):
    path = DataLayout(data_dir).conversation_file(tg(7))
    path.write_bytes(content)
    with pytest.raises(CorruptFile) as raised:
        tiny.load_conversation(tg(7))
    assert raised.value.path == path
    assert [p.read_bytes() for p in quarantined(data_dir)] == [content]
    assert tiny.load_conversation(tg(7)) is None  # the caller can start the user afresh


def test_iterating_conversations_skips_and_quarantines_damaged_ones(
    tiny, data_dir, make_conversation
):
    tiny.save_conversation(make_conversation(tg(1)))
    tiny.save_conversation(make_conversation(tg(2)))
    DataLayout(data_dir).conversation_file(tg(2)).write_bytes(b"{not json")
    assert [r.user_id for r in tiny.iter_conversations()] == [tg(1)]
    assert len(quarantined(data_dir)) == 1


def test_torn_last_index_line_is_cut_and_kept(tiny, data_dir, make_draft):
    cases = [tiny.create_case(make_draft(), now=float(i)) for i in range(3)]
    tiny.close()
    index = DataLayout(data_dir).index_file
    with open(index, "ab") as handle:
        handle.write(b'{"op":"row","seq":99,"row":{"case_nu')
    store = TinyDBStorage(data_dir)
    try:
        assert [r.case_number for r in store.list_cases()] == [c.case_number for c in cases]
        assert index.read_bytes().endswith(b"\n")
        (kept,) = quarantined(data_dir)
        assert kept.read_bytes() == b'{"op":"row","seq":99,"row":{"case_nu'
        store.create_case(make_draft(), now=10.0)  # appends start on a clean line
    finally:
        store.close()
    assert all(isinstance(line, dict) for line in index_lines(data_dir))


def test_missing_index_is_rebuilt_from_case_files(tiny, data_dir, make_draft):
    cases = [tiny.create_case(make_draft(), now=float(i)) for i in range(5)]
    tiny.update_case(
        cases[0].case_number, CaseChange(actor="staff:1", now=9.0, status=CaseStatus.APPROVED)
    )
    before = tiny.list_cases()
    tiny.close()
    DataLayout(data_dir).index_file.unlink()
    store = TinyDBStorage(data_dir)
    try:
        assert store.list_cases() == before
        # the draft -> case number map comes back too
        draft = make_draft(draft_id=cases[2].draft_id, user_id=cases[2].user_id)
        assert store.create_case(draft, now=99.0).case_number == cases[2].case_number
    finally:
        store.close()


def test_damaged_index_is_quarantined_and_rebuilt(tiny, data_dir, make_draft):
    for i in range(4):
        tiny.create_case(make_draft(), now=float(i))
    before = tiny.list_cases()
    tiny.close()
    index = DataLayout(data_dir).index_file
    lines = index.read_bytes().splitlines(keepends=True)
    lines[1] = b"\x00\x00garbage\n"
    index.write_bytes(b"".join(lines))
    store = TinyDBStorage(data_dir)
    try:
        assert store.list_cases() == before
        (kept,) = quarantined(data_dir)
        assert b"garbage" in kept.read_bytes()
    finally:
        store.close()


def test_rebuild_index_counts_cases_and_leaves_out_unreadable_ones(tiny, data_dir, make_draft):
    cases = [tiny.create_case(make_draft(), now=float(i)) for i in range(6)]
    tiny.close()
    DataLayout(data_dir).case_file(cases[3].case_number).write_bytes(b"garbage")
    assert rebuild_index(data_dir) == 5
    assert len(quarantined(data_dir)) == 1
    store = TinyDBStorage(data_dir)
    try:
        assert cases[3].case_number not in {r.case_number for r in store.list_cases()}
    finally:
        store.close()


def test_torn_audit_and_request_id_lines_are_tolerated(tiny, data_dir):
    tiny.append_audit(AuditEntry(at=1.0, actor="system", action="one"))
    tiny.mark_request("telegram", "1")
    tiny.close()
    layout = DataLayout(data_dir)
    with open(layout.audit_file, "ab") as handle:
        handle.write(b'{"at": 2.0, "actor": "sys')
    with open(layout.request_ids_file, "ab") as handle:
        handle.write(b'"telegram:12')
    store = TinyDBStorage(data_dir)
    try:
        store.append_audit(AuditEntry(at=3.0, actor="system", action="three"))
        store.mark_request("telegram", "3")
        assert [e.action for e in store.iter_audit()] == ["one", "three"]
        assert store.seen_request("telegram", "1") and store.seen_request("telegram", "3")
        assert not store.seen_request("telegram", "12")
    finally:
        store.close()
    assert len(quarantined(data_dir)) == 2


def seen(store: TinyDBStorage, channel: str, ids: range) -> list[int]:
    return [i for i in ids if store.seen_request(channel, str(i))]


def test_request_id_files_roll_over_and_stay_bounded(data_dir):
    # Marks run on the event loop: a full file is renamed aside, never rewritten.
    layout = DataLayout(data_dir)
    store = TinyDBStorage(data_dir, keep_request_ids=5)
    for update_id in range(1, 24):
        store.mark_request("telegram", str(update_id))
    store.close()
    lines = layout.previous_request_ids_file.read_text().splitlines()
    assert lines == [f'"telegram:{n}"' for n in range(16, 21)]
    assert layout.request_ids_file.read_text().splitlines() == [
        '"telegram:21"',
        '"telegram:22"',
        '"telegram:23"',
    ]
    store = TinyDBStorage(data_dir, keep_request_ids=5)
    try:
        assert seen(store, "telegram", range(1, 24)) == [19, 20, 21, 22, 23]
        store.mark_request("web", "24")
        store.mark_request("telegram", "25")  # the current file is full again: it rolls over
        assert layout.request_ids_file.read_text() == ""
    finally:
        store.close()
    store = TinyDBStorage(data_dir, keep_request_ids=5)
    try:
        assert seen(store, "telegram", range(1, 26)) == [21, 22, 23, 25]
        assert seen(store, "web", range(1, 26)) == [24]
    finally:
        store.close()


def test_a_layout_2_directory_is_refused_until_migrated(data_dir):
    """Regression: layout 2 kept Telegram update ids as bare ints in update_ids.jsonl; a
    store reading only per-channel request ids would silently forget them and let a
    redelivered update through, so it asks for ``python -m bot migrate`` instead."""
    layout = DataLayout(data_dir)
    TinyDBStorage(data_dir).close()
    layout.schema_file.write_text('{"schema": 2}\n')
    (data_dir / "update_ids.jsonl").write_text("9001\n")
    with pytest.raises(NeedsMigration, match="python -m bot migrate"):
        TinyDBStorage(data_dir)


# -- interrupted writes (an exception stands in for the crash) ---------------------------


class Crash(BaseException):
    """Stands in for the process dying at that point."""


def test_interrupted_create_before_the_case_file_keeps_the_number_reserved(
    tiny, data_dir, make_draft, monkeypatch
):
    draft = make_draft()

    def die(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(tiny._entities, "create", die)
    with pytest.raises(Crash):
        tiny.create_case(draft, now=1.0)
    (begin,) = [line for line in index_lines(data_dir) if line["op"] == "begin"]
    monkeypatch.undo()
    store = reopen(tiny)
    try:
        assert store.list_cases() == []
        case = store.create_case(draft, now=2.0)
        assert case.case_number == begin["case_number"]
        assert len(store.list_cases()) == 1
    finally:
        store.close()


def test_interrupted_create_after_the_case_file_is_completed_on_open(
    tiny, data_dir, make_draft, monkeypatch
):
    draft = make_draft()

    def die(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(tiny, "_append_audit", die)
    with pytest.raises(Crash):
        tiny.create_case(draft, now=1.0)
    monkeypatch.undo()
    store = reopen(tiny)
    try:
        (row,) = store.list_cases()
        assert store.create_case(draft, now=2.0).case_number == row.case_number
        (entry,) = store.iter_audit(row.case_number)
        assert entry.action == "case.created"
        assert entry.detail["recovered"] is True
        assert store.list_cases() == [row]
    finally:
        store.close()
    assert rows_rebuilt_from_case_files(data_dir) == [row]


def test_interrupted_update_is_settled_from_the_case_file(tiny, data_dir, make_draft, monkeypatch):
    case = tiny.create_case(make_draft(), now=1.0)

    def die(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(tiny._index, "commit", die)
    with pytest.raises(Crash):
        tiny.update_case(
            case.case_number, CaseChange(actor="staff:1", now=2.0, status=CaseStatus.REJECTED)
        )
    monkeypatch.undo()
    store = reopen(tiny)
    try:
        (row,) = store.list_cases()
        assert row.status is CaseStatus.REJECTED
        assert row == store.get_case(case.case_number).summary()
        actions = [e.action for e in store.iter_audit(case.case_number)]
        assert actions[:2] == ["case.created", "case.updated"]
    finally:
        store.close()


def test_interrupted_update_before_the_case_file_changes_nothing(
    tiny, data_dir, make_draft, monkeypatch
):
    case = tiny.create_case(make_draft(), now=1.0)

    def die(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(tiny._entities, "save", die)
    with pytest.raises(Crash):
        tiny.update_case(
            case.case_number, CaseChange(actor="staff:1", now=2.0, status=CaseStatus.REJECTED)
        )
    monkeypatch.undo()
    store = reopen(tiny)
    try:
        assert store.list_cases() == [case.summary()]
        assert [e.action for e in store.iter_audit()] == ["case.created"]
    finally:
        store.close()


def test_a_case_file_holding_another_number_is_corrupt(tiny, data_dir, make_draft):
    a = tiny.create_case(make_draft(), now=1.0)
    b = tiny.create_case(make_draft(), now=2.0)
    layout = DataLayout(data_dir)
    layout.case_file(b.case_number).write_bytes(layout.case_file(a.case_number).read_bytes())
    with pytest.raises(CorruptFile):
        tiny.get_case(b.case_number)


def test_submit_after_an_error_before_the_row_completes_the_case(tiny, make_draft, monkeypatch):
    draft = make_draft()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tiny, "_append_audit", fail)
    with pytest.raises(OSError):
        tiny.create_case(draft, now=1.0)
    monkeypatch.undo()
    assert tiny.list_cases() == []
    case = tiny.create_case(draft, now=2.0)
    assert case.created_at == 1.0
    assert tiny.list_cases() == [case.summary()]
    (entry,) = tiny.iter_audit(case.case_number)
    assert (entry.action, entry.detail["recovered"]) == ("case.created", True)


# -- case numbers are unique on disk, not only by probability ----------------------------


def draw_first(monkeypatch, *numbers: str) -> None:
    """Make the next draws return ``numbers`` before random ones."""
    queue = list(numbers)
    real = tinydb_store.new_case_number
    monkeypatch.setattr(tinydb_store, "new_case_number", lambda: queue.pop(0) if queue else real())


def test_a_number_in_the_index_is_drawn_again(tiny, make_draft, monkeypatch):
    first = tiny.create_case(make_draft(), now=1.0)
    draw_first(monkeypatch, first.case_number)
    second = tiny.create_case(make_draft(), now=2.0)
    assert second.case_number != first.case_number
    assert tiny.get_case(first.case_number) == first


def test_a_case_file_unknown_to_the_index_is_never_overwritten(
    tiny, data_dir, make_draft, monkeypatch
):
    first = tiny.create_case(make_draft(), now=1.0)
    stray_number = new_case_number()
    layout = DataLayout(data_dir)
    stray = (
        layout.case_file(first.case_number)
        .read_bytes()
        .replace(first.case_number.encode(), stray_number.encode())
    )
    layout.case_file(stray_number).write_bytes(stray)
    draw_first(monkeypatch, stray_number)
    second = tiny.create_case(make_draft(), now=2.0)
    assert second.case_number not in (first.case_number, stray_number)
    assert layout.case_file(stray_number).read_bytes() == stray


def test_a_quarantined_number_is_not_handed_out_again(tiny, data_dir, make_draft, monkeypatch):
    case = tiny.create_case(make_draft(), now=1.0)
    DataLayout(data_dir).case_file(case.case_number).write_bytes(b"damaged")
    with pytest.raises(CorruptFile):
        tiny.get_case(case.case_number)
    tiny.close()
    rebuild_index(data_dir)
    store = TinyDBStorage(data_dir)
    try:
        assert store.list_cases() == []
        draw_first(monkeypatch, case.case_number)
        assert store.create_case(make_draft(), now=2.0).case_number != case.case_number
    finally:
        store.close()


def test_one_cases_audit_trail_is_read_from_its_offsets(tiny, make_draft):
    """Pins: a case page read the whole audit log (3-4 s at 105,000 cases)."""
    cases = [tiny.create_case(make_draft(), now=1_700_000_000 + n) for n in range(30)]
    target = cases[7].case_number
    first = [e.action for e in tiny.iter_audit(target)]  # builds the offset map
    tiny.update_case(
        target, CaseChange(actor="staff:kim", now=1_700_000_500, status=CaseStatus.APPROVED)
    )
    tiny.update_case(
        cases[8].case_number,
        CaseChange(actor="staff:kim", now=1_700_000_600, status=CaseStatus.REJECTED),
    )
    trail = list(tiny.iter_audit(target))
    assert [e.action for e in trail] == [*first, "case.updated"]
    assert all(e.case_number == target for e in trail)
    everything = [e for e in tiny.iter_audit() if e.case_number == target]
    assert everything == trail


# -- evidence holds ----------------------------------------------------------------------


def holding_conversation(make_conversation, user_id: int, *hashes: str):
    """A draft of Telegram user ``user_id`` at the evidence step holding ``hashes``."""
    files = [{"sha256": h, "name": "a.jpg", "mime": "image/jpeg", "size": 1} for h in hashes]
    return make_conversation(tg(user_id), state="evidence", answers={"evidence": files})


def test_what_drafts_and_cases_hold_survives_reopening(tiny, make_draft, make_conversation):
    kept = tiny.put_evidence(b"kept by a draft", holder=draft_holder(tg(1)))
    in_case = tiny.put_evidence(b"in a case", holder=draft_holder(tg(2)))
    ref = EvidenceRef(sha256=in_case, name="a.jpg", mime="image/jpeg", size=9)
    case = tiny.create_case(make_draft(user_id=tg(2), evidence=[ref]), now=1.0)
    tiny.release_evidence(draft_holder(tg(2)))

    store = reopen(tiny)
    try:
        assert store.evidence_holders(kept) == {draft_holder(tg(1))}
        assert store.evidence_holders(in_case) == {case_holder(case.case_number)}
        assert store.release_evidence(draft_holder(tg(2)), keep=()) == []
        assert store.release_evidence(draft_holder(tg(1))) == [kept]
    finally:
        store.close()


def test_evidence_holds_are_rebuilt_from_the_conversations(data_dir, make_conversation):
    """A data directory from before the holds log (or one `reindex` rebuilds) learns what
    each draft holds from the conversation files, so no held file is deleted."""
    store = TinyDBStorage(data_dir)
    held = store.put_evidence(b"held", holder=draft_holder(tg(1)))
    stale = store.put_evidence(b"stale", holder=draft_holder(tg(2)))  # never saved in a draft
    store.save_conversation(holding_conversation(make_conversation, 1, held))
    supplement = {"_supplement": {"case": "X", "files": [{"sha256": stale}]}}
    store.save_conversation(make_conversation(tg(3), state="supplement", answers=supplement))
    store.close()
    DataLayout(data_dir).evidence_holds_file.unlink()  # as before this version

    store = TinyDBStorage(data_dir)
    try:
        assert store.evidence_holders(held) == {draft_holder(tg(1))}
        assert store.evidence_holders(stale) == {draft_holder(tg(3))}
        assert store.release_evidence(draft_holder(tg(2))) == []  # its hold was never saved
        assert store.evidence_size(stale) == 5
    finally:
        store.close()
    assert rebuild_index(data_dir) == 0
    lines = DataLayout(data_dir).evidence_holds_file.read_text().splitlines()
    assert [json.loads(line)["holder"] for line in lines] == [
        "draft:telegram:1",
        "draft:telegram:3",
    ]


def test_torn_or_damaged_holds_log(tiny, data_dir, make_conversation):
    held = tiny.put_evidence(b"held", holder=draft_holder(tg(1)))
    tiny.save_conversation(holding_conversation(make_conversation, 1, held))
    holds = DataLayout(data_dir).evidence_holds_file
    with holds.open("ab") as fh:
        fh.write(b'{"holder":"draft:telegram:1","sha25')  # a power cut mid-append
    store = reopen(tiny)
    assert store.evidence_holders(held) == {draft_holder(tg(1))}
    store.close()
    holds.write_text('{"nonsense": true}\n' + holds.read_text())
    store = TinyDBStorage(data_dir)  # damaged: moved aside, rebuilt from the conversations
    try:
        assert store.evidence_holders(held) == {draft_holder(tg(1))}
        assert any("evidence_holds" in p.name for p in quarantined(data_dir))
    finally:
        store.close()


def test_a_superseded_holds_log_is_compacted_on_opening(tiny, data_dir):
    for n in range(700):
        tiny.put_evidence(b"%d" % n, holder=draft_holder(n))
        tiny.release_evidence(draft_holder(n))
    digest = tiny.put_evidence(b"still held", holder=draft_holder(tg(5)))
    store = reopen(tiny)
    try:
        lines = DataLayout(data_dir).evidence_holds_file.read_text().splitlines()
        assert len(lines) == 1
        assert store.evidence_holders(digest) == {draft_holder(tg(5))}
    finally:
        store.close()
