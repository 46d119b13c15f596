"""Messages between a reporter and staff, kept on their case: the storage contract.

Runs once per storage through the ``store`` fixture (memory, TinyDB; PostgreSQL when
it joins ``STORAGES``), plus what only a disk does (reopening, rebuilding the index,
the read-only reader beside the bot).
"""

from __future__ import annotations

import pytest

from storage import CaseFilter, CaseNotFound, EvidenceRef
from storage.read_only import ReadOnly, ReadOnlyStorage
from storage.records import CaseMessage, case_holder
from storage.tinydb_store import TinyDBStorage, rebuild_index

T0 = 1_700_000_000.0


def message(case_number: str, n: int, *, sender: str = "user", files=(), text=None) -> CaseMessage:
    return CaseMessage(
        message_id=f"m{n}",
        case_number=case_number,
        sender=sender,
        text=text if text is not None else f"질문 {n}이에요",
        files=tuple(files),
        at=T0 + n,
    )


def test_a_new_case_has_no_thread(store, make_draft):
    """Regression: cases had no messages at all; the thread state starts empty."""
    case = store.create_case(make_draft(), now=T0)
    row = store.list_cases()[0]
    assert store.case_messages(case.case_number) == []
    assert (row.message_count, row.unread_messages, row.last_message_at) == (0, 0, None)
    assert row.thread_done is False


def test_a_user_message_is_kept_counted_unread_and_audited(store, make_draft):
    """Regression: a reporter could not write to staff about a submitted case."""
    case = store.create_case(make_draft(), now=T0)
    sent = message(case.case_number, 1)
    updated = store.add_case_message(sent)

    assert store.case_messages(case.case_number) == [sent]
    assert updated.messages == [sent]
    row = store.list_cases()[0]
    assert (row.message_count, row.unread_messages, row.last_message_at) == (1, 1, T0 + 1)
    entry = list(store.iter_audit(case.case_number))[-1]
    assert entry.action == "case.message"
    assert entry.actor == f"user:{case.user_id}"
    assert entry.detail["message_id"] == "m1"
    assert entry.detail["text"] == "질문 1이에요"


def test_a_staff_answer_reads_the_thread_and_done_closes_it(store, make_draft):
    case = store.create_case(make_draft(), now=T0)
    number = case.case_number
    store.add_case_message(message(number, 1))
    store.add_case_message(message(number, 2))
    assert store.list_cases()[0].unread_messages == 2

    store.add_case_message(message(number, 3, sender="staff:kim", text="확인해 볼게요"))
    row = store.list_cases()[0]
    assert (row.message_count, row.unread_messages, row.thread_done) == (3, 0, False)
    assert list(store.iter_audit(number))[-1].actor == "staff:kim"

    store.set_thread_done(number, actor="staff:kim", now=T0 + 4)
    row = store.list_cases()[0]
    assert (row.unread_messages, row.thread_done) == (0, True)
    assert list(store.iter_audit(number))[-1].action == "case.thread_done"

    store.add_case_message(message(number, 5))  # the person writes again: open again
    row = store.list_cases()[0]
    assert (row.message_count, row.unread_messages, row.thread_done) == (4, 1, False)
    assert row.last_message_at == T0 + 5


def test_marking_done_without_unread_messages_also_counts(store, make_draft):
    case = store.create_case(make_draft(), now=T0)
    store.add_case_message(message(case.case_number, 1))
    store.set_thread_done(case.case_number, actor="staff:lee", now=T0 + 2)
    before = len(list(store.iter_audit(case.case_number)))
    store.set_thread_done(case.case_number, actor="staff:lee", now=T0 + 3)  # changes nothing
    assert len(list(store.iter_audit(case.case_number))) == before


def test_adding_the_same_message_twice_keeps_one(store, make_draft):
    """A redelivered input (a crash before the conversation was saved) must not double it."""
    case = store.create_case(make_draft(), now=T0)
    store.add_case_message(message(case.case_number, 1))
    store.add_case_message(message(case.case_number, 1))
    assert len(store.case_messages(case.case_number)) == 1
    assert store.list_cases()[0].unread_messages == 1
    assert [e.action for e in store.iter_audit(case.case_number)].count("case.message") == 1


def test_files_of_a_message_are_held_by_the_case(store, make_draft):
    case = store.create_case(make_draft(), now=T0)
    sha = store.put_evidence(b"receipt bytes", holder="draft:telegram:5")
    ref = EvidenceRef(sha256=sha, name="receipt.jpg", mime="image/jpeg", size=13)
    store.add_case_message(message(case.case_number, 1, files=[ref], text=""))

    assert store.case_messages(case.case_number)[0].files == (ref,)
    assert case_holder(case.case_number) in store.evidence_holders(sha)
    assert store.release_evidence("draft:telegram:5") == []  # the case still holds it
    assert ref in store.get_case(case.case_number).evidence


def test_unread_filter_lists_only_cases_waiting_for_staff(store, make_draft):
    a = store.create_case(make_draft(), now=T0)
    b = store.create_case(make_draft(), now=T0 + 1)
    store.create_case(make_draft(), now=T0 + 2)
    store.add_case_message(message(a.case_number, 1))
    store.add_case_message(message(b.case_number, 2))
    store.add_case_message(message(b.case_number, 3, sender="staff:kim"))
    unread = store.list_cases(CaseFilter(unread_messages=True))
    assert [r.case_number for r in unread] == [a.case_number]


def test_a_message_to_an_unknown_case_is_refused(store):
    with pytest.raises(CaseNotFound):
        store.add_case_message(message("AAA-AAA-AAA", 1))
    with pytest.raises(CaseNotFound):
        store.set_thread_done("AAA-AAA-AAA", actor="staff:kim", now=T0)
    assert store.case_messages("AAA-AAA-AAA") == []


def test_messages_are_copies(store, make_draft):
    case = store.create_case(make_draft(), now=T0)
    store.add_case_message(message(case.case_number, 1))
    got = store.get_case(case.case_number)
    got.messages.clear()
    assert len(store.case_messages(case.case_number)) == 1


def test_the_thread_survives_reopening_and_a_rebuilt_index(data_dir, make_draft):
    store = TinyDBStorage(data_dir)
    case = store.create_case(make_draft(), now=T0)
    store.add_case_message(message(case.case_number, 1))
    store.add_case_message(message(case.case_number, 2, sender="staff:kim"))
    store.add_case_message(message(case.case_number, 3))
    store.close()

    rebuild_index(data_dir)
    store = TinyDBStorage(data_dir)
    try:
        row = store.list_cases()[0]
        assert (row.message_count, row.unread_messages, row.last_message_at) == (3, 1, T0 + 3)
        assert [m.sender for m in store.case_messages(case.case_number)] == [
            "user",
            "staff:kim",
            "user",
        ]
    finally:
        store.close()


def test_the_read_only_reader_sees_the_thread_and_refuses_to_write(data_dir, make_draft):
    owner = TinyDBStorage(data_dir)
    try:
        case = owner.create_case(make_draft(), now=T0)
        owner.add_case_message(message(case.case_number, 1))
        reader = ReadOnlyStorage(data_dir)
        assert reader.case_messages(case.case_number) == owner.case_messages(case.case_number)
        assert reader.list_cases(CaseFilter(unread_messages=True))[0].unread_messages == 1
        with pytest.raises(ReadOnly):
            reader.add_case_message(message(case.case_number, 2))
        with pytest.raises(ReadOnly):
            reader.set_thread_done(case.case_number, actor="staff:kim", now=T0)
    finally:
        owner.close()


def test_the_unread_filter_reads_only_the_cases_waiting(tiny, make_draft, monkeypatch):
    """Regression: the case list counts unanswered cases on every page view, and the
    TinyDB index tested every row for it (34 ms over 105,000 rows, as much as the page
    itself). It keeps the waiting cases apart, so the filter looks at those alone."""
    cases = [tiny.create_case(make_draft(), now=T0 + n) for n in range(6)]
    tiny.add_case_message(message(cases[1].case_number, 1))
    tiny.add_case_message(message(cases[4].case_number, 2))
    tiny.add_case_message(message(cases[4].case_number, 3, sender="staff:kim"))
    tiny.add_case_message(message(cases[5].case_number, 4))
    tiny.set_thread_done(cases[5].case_number, actor="staff:kim", now=T0 + 9)
    tested = []
    original = CaseFilter.matches
    monkeypatch.setattr(
        CaseFilter, "matches", lambda self, row: tested.append(row) or original(self, row)
    )
    rows = tiny.list_cases(CaseFilter(unread_messages=True))
    assert [r.case_number for r in rows] == [cases[1].case_number]
    assert len(tested) <= 1
