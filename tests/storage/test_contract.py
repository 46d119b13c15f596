"""The storage contract, run against every implementation through the ``store`` fixture."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from flows.identity import UserKey
from storage import (
    AuditEntry,
    CaseChange,
    CaseFilter,
    CaseNotFound,
    CaseStatus,
    EvidenceNotFound,
    EvidenceRef,
    Notice,
    NoticeNotFound,
)
from storage.case_numbers import is_valid_case_number, new_case_number
from storage.records import case_holder, draft_holder
from tests.support.users import tg

# -- conversations -----------------------------------------------------------------------


def test_missing_conversation_is_none(store):
    assert store.load_conversation(tg(1)) is None


def test_conversation_round_trip(store, make_conversation):
    record = make_conversation(tg(7), answers={"amount": "30만 원", "nested": {"a": [1, 2]}})
    store.save_conversation(record)
    assert store.load_conversation(tg(7)) == record


def test_conversation_is_copied_in_and_out(store, make_conversation):
    record = make_conversation(tg(7))
    store.save_conversation(record)
    record.answers["amount"] = "changed after save"
    loaded = store.load_conversation(tg(7))
    assert "amount" not in loaded.answers
    loaded.history.append("changed after load")
    assert store.load_conversation(tg(7)).history == ["ask_reporter_type", "ask_service"]


def test_saving_again_replaces(store, make_conversation):
    store.save_conversation(make_conversation(tg(7), state="ask_amount"))
    store.save_conversation(make_conversation(tg(7), state="confirm", updated_at=1_666_000_999.0))
    loaded = store.load_conversation(tg(7))
    assert loaded.state == "confirm"
    assert loaded.updated_at == 1_666_000_999.0


def test_storage_keeps_the_times_it_is_given(store, make_conversation):
    store.save_conversation(
        make_conversation(tg(7), created_at=1.5, updated_at=2.5, reminded_at=3.5)
    )
    loaded = store.load_conversation(tg(7))
    assert (loaded.created_at, loaded.updated_at, loaded.reminded_at) == (1.5, 2.5, 3.5)


def test_delete_conversation(store, make_conversation):
    store.save_conversation(make_conversation(tg(7)))
    store.delete_conversation(tg(7))
    assert store.load_conversation(tg(7)) is None
    store.delete_conversation(tg(7))  # deleting a missing one is not an error


def test_iter_conversations(store, make_conversation):
    for user_id in (1, 2, 3):
        store.save_conversation(make_conversation(tg(user_id)))
    store.delete_conversation(tg(2))
    assert sorted(r.user_id for r in store.iter_conversations()) == [tg(1), tg(3)]


def test_unserialisable_answers_are_refused_and_nothing_is_stored(store, make_conversation):
    with pytest.raises(TypeError):
        store.save_conversation(make_conversation(tg(7), answers={"bad": object()}))
    assert store.load_conversation(tg(7)) is None


# -- cases -------------------------------------------------------------------------------


def test_create_case(store, make_draft):
    draft = make_draft()
    case = store.create_case(draft, now=1_666_100_000.0)
    assert is_valid_case_number(case.case_number)
    assert case.status is CaseStatus.SUBMITTED
    assert case.created_at == case.submitted_at == case.updated_at == 1_666_100_000.0
    assert case.final_amount is None
    assert (case.draft_id, case.user_id, case.amount) == (draft.draft_id, draft.user_id, 250_000)
    assert store.get_case(case.case_number) == case


def test_case_numbers_differ(store, make_draft):
    numbers = {store.create_case(make_draft(), now=1.0).case_number for _ in range(50)}
    assert len(numbers) == 50


def test_create_case_is_idempotent_per_draft(store, make_draft):
    draft = make_draft()
    first = store.create_case(draft, now=1.0)
    again = store.create_case(draft, now=2.0)
    assert again == first
    assert len(store.list_cases()) == 1
    assert [e.action for e in store.iter_audit(first.case_number)] == ["case.created"]


def test_create_case_needs_a_draft_id(store, make_draft):
    with pytest.raises(ValueError):
        store.create_case(make_draft(draft_id=""), now=1.0)


def test_a_draft_id_of_another_user_is_refused(store, make_draft):
    store.create_case(make_draft(draft_id="shared", user_id=tg(1)), now=1.0)
    with pytest.raises(ValueError):
        store.create_case(make_draft(draft_id="shared", user_id=tg(2)), now=1.0)


def test_case_is_copied_in_and_out(store, make_draft):
    draft = make_draft()
    case = store.create_case(draft, now=1.0)
    draft.answers["later"] = True
    case.answers["mutated"] = True
    loaded = store.get_case(case.case_number)
    assert "later" not in loaded.answers
    assert "mutated" not in loaded.answers


def test_get_case_is_tolerant_of_how_the_number_is_typed(store, make_draft):
    number = store.create_case(make_draft(), now=1.0).case_number
    compact = number.replace("-", "")
    for typed in (number.lower(), compact, f" {compact[:4]} {compact[4:]} ", f"{number}\n"):
        assert store.get_case(typed).case_number == number


def test_get_case_of_unknown_or_malformed_number_is_none(store, make_draft):
    number = store.create_case(make_draft(), now=1.0).case_number
    typo = number[:-1] + ("2" if number[-1] != "2" else "3")
    assert store.get_case(typo) is None
    assert store.get_case("") is None
    assert store.get_case("../../etc/passwd") is None


def test_update_case_status_and_amount_with_audit(store, make_draft):
    case = store.create_case(make_draft(), now=1.0)
    updated = store.update_case(
        case.case_number,
        CaseChange(
            actor="staff:9",
            now=5.0,
            status=CaseStatus.APPROVED,
            final_amount=30_000,
            reason="sales records match",
        ),
    )
    assert updated.status is CaseStatus.APPROVED
    assert updated.final_amount == 30_000
    assert updated.updated_at == 5.0
    assert updated.submitted_at == 1.0
    assert store.get_case(case.case_number) == updated
    entries = list(store.iter_audit(case.case_number))
    assert [e.action for e in entries] == ["case.created", "case.updated"]
    last = entries[-1]
    assert (last.actor, last.at, last.case_number) == ("staff:9", 5.0, case.case_number)
    assert last.detail["changes"]["status"] == {"from": "submitted", "to": "approved"}
    assert last.detail["changes"]["final_amount"] == {"from": None, "to": 30_000}
    assert last.detail["reason"] == "sales records match"


def test_update_without_change_writes_nothing(store, make_draft):
    case = store.create_case(make_draft(), now=1.0)
    same = store.update_case(
        case.case_number, CaseChange(actor="staff:9", now=5.0, status=case.status)
    )
    assert same == case
    assert len(list(store.iter_audit(case.case_number))) == 1


def test_update_adds_evidence_once(store, make_draft):
    case = store.create_case(make_draft(), now=1.0)
    sha = store.put_evidence(b"receipt")
    ref = EvidenceRef(sha256=sha, name="receipt.jpg", mime="image/jpeg", size=7)
    store.update_case(
        case.case_number, CaseChange(actor="user:telegram:1", now=2.0, add_evidence=(ref,))
    )
    again = store.update_case(
        case.case_number, CaseChange(actor="user:telegram:1", now=3.0, add_evidence=(ref,))
    )
    assert again.evidence == [ref]
    assert again.updated_at == 2.0
    assert store.list_cases()[0].evidence_sha256 == (sha,)


def test_update_unknown_case(store):
    with pytest.raises(CaseNotFound):
        store.update_case(
            "AAA-AAA-AAA", CaseChange(actor="staff:1", now=1.0, status=CaseStatus.PAID)
        )
    with pytest.raises(CaseNotFound):
        store.update_case(
            "not a number", CaseChange(actor="staff:1", now=1.0, status=CaseStatus.PAID)
        )


def test_list_cases_oldest_first_with_filters(store, make_draft):
    a = store.create_case(make_draft(tier="cash_30000", user_id=tg(1)), now=300.0)
    b = store.create_case(make_draft(tier="cash_50000", user_id=tg(2)), now=100.0)
    c = store.create_case(
        make_draft(tier="review", reporter_type="company", service="kakaomap", user_id=tg(1)),
        now=200.0,
    )
    store.update_case(
        c.case_number, CaseChange(actor="staff:1", now=400.0, status=CaseStatus.REJECTED)
    )

    def numbers(f=None):
        return [row.case_number for row in store.list_cases(f)]

    assert numbers() == [b.case_number, c.case_number, a.case_number]
    assert numbers(CaseFilter()) == numbers()
    assert numbers(CaseFilter(status=CaseStatus.REJECTED)) == [c.case_number]
    assert numbers(CaseFilter(status=CaseStatus.SUBMITTED)) == [b.case_number, a.case_number]
    assert numbers(CaseFilter(tier="cash_50000")) == [b.case_number]
    assert numbers(CaseFilter(reporter_type="company")) == [c.case_number]
    assert numbers(CaseFilter(service="kakaomap")) == [c.case_number]
    assert numbers(CaseFilter(user_id=tg(1))) == [c.case_number, a.case_number]
    assert numbers(CaseFilter(submitted_from=100.0, submitted_to=300.0)) == [
        b.case_number,
        c.case_number,
    ]


def test_list_rows_follow_the_latest_update(store, make_draft):
    case = store.create_case(make_draft(), now=1.0)
    store.update_case(
        case.case_number, CaseChange(actor="staff:1", now=2.0, status=CaseStatus.APPROVED)
    )
    store.update_case(case.case_number, CaseChange(actor="staff:1", now=3.0, final_amount=50_000))
    (row,) = store.list_cases()
    assert (row.status, row.final_amount, row.updated_at) == (CaseStatus.APPROVED, 50_000, 3.0)
    assert row == store.get_case(case.case_number).summary()


# -- evidence ----------------------------------------------------------------------------


def test_evidence_round_trip(store):
    data = b"\x89PNG screenshot bytes"
    sha = store.put_evidence(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.evidence_size(sha) == len(data)
    with store.open_evidence(sha) as handle:
        assert handle.read() == data


def test_evidence_put_is_idempotent(store):
    assert store.put_evidence(b"same") == store.put_evidence(b"same")
    assert store.put_evidence(b"") == hashlib.sha256(b"").hexdigest()


def spooled(store, tmp_path, data: bytes, name: str = "download.part"):
    """A file written where the store wants files it will take over."""
    folder = store.spool_dir() or tmp_path
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("known", [False, True])
def test_evidence_from_a_file_is_taken_over(store, tmp_path, known):
    data = b"%PDF-1.4 " + bytes(range(256)) * 5000  # over 1 MiB: read in pieces
    sha = hashlib.sha256(data).hexdigest()
    path = spooled(store, tmp_path, data)
    assert store.put_evidence_file(path, sha if known else None) == sha
    assert not path.exists()
    assert store.evidence_size(sha) == len(data)
    with store.open_evidence(sha) as handle:
        assert handle.read() == data


def test_evidence_from_a_file_is_stored_once(store, tmp_path):
    first = spooled(store, tmp_path, b"same receipt", "a.part")
    second = spooled(store, tmp_path, b"same receipt", "b.part")
    sha = store.put_evidence(b"same receipt")
    assert store.put_evidence_file(first) == sha == store.put_evidence_file(second)
    assert not first.exists() and not second.exists()
    with store.open_evidence(sha) as handle:
        assert handle.read() == b"same receipt"


def test_evidence_from_a_file_is_held_like_bytes(store, tmp_path):
    digest = store.put_evidence(b"shared receipt", holder=draft_holder(tg(2)))
    path = spooled(store, tmp_path, b"shared receipt")
    assert store.put_evidence_file(path, digest, holder=draft_holder(tg(3))) == digest
    assert store.evidence_holders(digest) == {draft_holder(tg(2)), draft_holder(tg(3))}
    assert store.release_evidence(draft_holder(tg(2))) == []
    assert store.release_evidence(draft_holder(tg(3))) == [digest]


def test_evidence_from_a_file_outside_the_spool_is_copied(store, tmp_path):
    path = tmp_path / "elsewhere.jpg"
    path.write_bytes(b"\xff\xd8 photo")
    sha = store.put_evidence_file(path)
    assert not path.exists()
    with store.open_evidence(sha) as handle:
        assert handle.read() == b"\xff\xd8 photo"


@pytest.mark.parametrize("sha", ["0" * 64, "../" + "a" * 61, "A" * 64, "abc", ""])
def test_missing_or_malformed_evidence(store, sha):
    with pytest.raises(EvidenceNotFound):
        store.open_evidence(sha)
    with pytest.raises(EvidenceNotFound):
        store.evidence_size(sha)


# -- processed requests, per channel --------------------------------------------------


def test_processed_requests(store):
    assert not store.seen_request("telegram", "100")
    store.mark_request("telegram", "100")
    store.mark_request("telegram", "100")
    assert store.seen_request("telegram", "100")
    assert not store.seen_request("telegram", "101")


def test_processed_requests_are_per_channel(store):
    """Regression: dedupe knew only Telegram's int update ids; another channel's own
    request ids (a web form's token) could not be kept, and the same id on two
    channels is two different requests."""
    store.mark_request("telegram", "7")
    store.mark_request("web", "step.Zk3-_a/b+c=")
    assert store.seen_request("web", "step.Zk3-_a/b+c=")
    assert not store.seen_request("web", "7")
    assert not store.seen_request("kakao", "step.Zk3-_a/b+c=")
    assert not store.seen_request("kakao", "7")


@pytest.mark.parametrize(
    ("channel", "request_id"),
    [
        ("Tele gram", "1"),
        ("", "1"),
        ("tele:gram", "1"),
        ("telegram", ""),
        ("telegram", 1),
        ("telegram", "x" * 257),
        ("telegram", "a\nb"),
        (None, "1"),
    ],
)
def test_a_request_needs_a_channel_name_and_a_string_id(store, channel, request_id):
    with pytest.raises(ValueError):
        store.mark_request(channel, request_id)
    with pytest.raises(ValueError):
        store.seen_request(channel, request_id)


def test_processed_requests_are_bounded(make_store):
    store = make_store(keep_request_ids=3)
    marked = [("telegram", "1"), ("web", "a"), ("telegram", "2"), ("web", "b"), ("telegram", "3")]
    for channel, request_id in marked:
        store.mark_request(channel, request_id)
    assert [store.seen_request(*m) for m in marked] == [False, False, True, True, True]


# -- audit -------------------------------------------------------------------------------


def test_audit_in_order_and_by_case(store):
    number = new_case_number()
    entries = [
        AuditEntry(at=1.0, actor="system", action="bot.started"),
        AuditEntry(at=2.0, actor="staff:1", action="case.note", case_number=number),
        AuditEntry(
            at=3.0, actor="user:telegram:5", action="conversation.deleted", detail={"why": "reset"}
        ),
    ]
    for entry in entries:
        store.append_audit(entry)
    assert list(store.iter_audit()) == entries
    assert list(store.iter_audit(number.lower().replace("-", " "))) == [entries[1]]


def test_audit_entries_are_copies(store):
    entry = AuditEntry(at=1.0, actor="system", action="x", detail={"k": [1]})
    store.append_audit(entry)
    entry.detail["k"].append(2)
    (stored,) = store.iter_audit()
    assert stored.detail == {"k": [1]}


# -- threads -----------------------------------------------------------------------------


def test_concurrent_creates_give_distinct_numbers(store, make_draft):
    drafts = [make_draft() for _ in range(80)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        cases = list(pool.map(lambda d: store.create_case(d, now=1.0), drafts))
    assert len({c.case_number for c in cases}) == 80
    assert len(store.list_cases()) == 80


def test_concurrent_submits_of_one_draft_make_one_case(store, make_draft):
    draft = make_draft()
    barrier = threading.Barrier(8)

    def submit(_):
        barrier.wait()
        return store.create_case(draft, now=1.0).case_number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = set(pool.map(submit, range(8)))
    assert len(numbers) == 1
    assert len(store.list_cases()) == 1


def test_concurrent_updates_and_conversations(store, make_draft, make_conversation):
    case = store.create_case(make_draft(), now=1.0)

    def work(i):
        store.save_conversation(make_conversation(tg(i)))
        store.update_case(
            case.case_number, CaseChange(actor=f"staff:{i}", now=10.0 + i, final_amount=i)
        )
        store.mark_request("telegram", str(i))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(1, 41)))
    final = store.get_case(case.case_number)
    assert store.list_cases() == [final.summary()]
    assert len(list(store.iter_audit(case.case_number))) == 41
    assert all(store.seen_request("telegram", str(i)) for i in range(1, 41))
    assert len(list(store.iter_conversations())) == 40


def test_release_deletes_a_file_only_when_nobody_holds_it(store):
    """Regression: user B's /cancel deleted a file user C's draft held (same bytes, one sha256)."""
    digest = store.put_evidence(b"receipt", holder=draft_holder(tg(3)))  # C
    assert store.put_evidence(b"receipt", holder=draft_holder(tg(2))) == digest  # B, same bytes
    assert store.evidence_holders(digest) == {draft_holder(tg(2)), draft_holder(tg(3))}
    assert store.release_evidence(draft_holder(tg(2))) == []  # B cancels
    assert store.evidence_size(digest) == 7
    assert store.evidence_holders(digest) == {draft_holder(tg(3))}
    assert store.release_evidence(draft_holder(tg(3))) == [digest]  # nobody holds it now
    with pytest.raises(EvidenceNotFound):
        store.evidence_size(digest)
    assert store.evidence_holders(digest) == frozenset()
    assert store.release_evidence(draft_holder(tg(3))) == []  # releasing again is harmless


def test_release_keeps_what_the_holder_still_holds(store):
    kept = store.put_evidence(b"kept", holder=draft_holder(tg(1)))
    dropped = store.put_evidence(b"dropped", holder=draft_holder(tg(1)))
    assert store.release_evidence(draft_holder(tg(1)), keep={kept, "not even a hash"}) == [dropped]
    assert store.evidence_holders(kept) == {draft_holder(tg(1))}
    assert store.release_evidence(draft_holder(tg(1)), keep={kept}) == []
    assert store.evidence_size(kept) == 4


def test_cases_hold_their_evidence(store, make_draft):
    """A file in a case outlives the draft it came from and every other holder."""
    first = store.put_evidence(b"receipt", holder=draft_holder(tg(1)))
    later = store.put_evidence(b"bank statement", holder=draft_holder(tg(1)))
    ref = EvidenceRef(sha256=first, name="a.jpg", mime="image/jpeg", size=7)
    case = store.create_case(make_draft(user_id=tg(1), evidence=[ref]), now=1.0)
    more = EvidenceRef(sha256=later, name="b.pdf", mime="application/pdf", size=14)
    store.update_case(
        case.case_number, CaseChange(actor="user:telegram:1", now=2.0, add_evidence=(more,))
    )
    assert store.evidence_holders(first) == {draft_holder(tg(1)), case_holder(case.case_number)}
    assert store.release_evidence(draft_holder(tg(1))) == []
    assert store.evidence_holders(later) == {case_holder(case.case_number)}
    assert store.evidence_size(first) == 7 and store.evidence_size(later) == 14


def test_holding_and_releasing_from_many_threads(store):
    """Users putting and releasing the same bytes at once never lose a held file."""

    def work(user):
        for _ in range(20):
            store.put_evidence(b"shared", holder=draft_holder(user))
            if user % 2:
                store.release_evidence(draft_holder(user))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(1, 17)))
    digest = hashlib.sha256(b"shared").hexdigest()
    assert store.evidence_holders(digest) == {draft_holder(u) for u in range(2, 17, 2)}
    assert store.evidence_size(digest) == 6


def test_malformed_hash_has_no_holders(store):
    with pytest.raises(EvidenceNotFound):
        store.evidence_holders("../../etc/passwd")


# -- per-user preferences ------------------------------------------------------------------


def test_user_language_is_kept_apart_from_the_conversation(store, make_conversation):
    """Regression (issue 10, item 16): the chosen language lived only in the draft, so it
    was lost with /cancel, expiry and submitting. It belongs to the user."""
    assert store.load_user_lang(tg(7)) is None
    store.save_user_lang(tg(7), "en")
    store.save_conversation(make_conversation(tg(7)))
    store.delete_conversation(tg(7))
    assert store.load_user_lang(tg(7)) == "en"
    assert store.load_user_lang(tg(8)) is None
    store.save_user_lang(tg(7), "ko")
    assert store.load_user_lang(tg(7)) == "ko"
    store.save_user_lang(tg(7), None)  # forgotten (the user asked to delete their data)
    assert store.load_user_lang(tg(7)) is None
    store.save_user_lang(tg(7), None)  # forgetting twice is not an error


def test_user_language_survives_reopening(make_store, storage_kind):
    if storage_kind == "memory":
        pytest.skip("nothing survives the process in memory")
    first = make_store()
    first.save_user_lang(tg(7), "en")
    first.close()
    assert make_store().load_user_lang(tg(7)) == "en"


# -- notices -----------------------------------------------------------------------------

CONSOLE_1 = UserKey("console", "1")


def notice(n: int, user_id: UserKey = CONSOLE_1, *, at: float = 1_700_000_000.0, **kw) -> Notice:
    fields = {
        "notice_id": f"notice-{n}",
        "user_id": user_id,
        "case_number": None,
        "kind": "review",
        "replies": ({"text": f"알림 {n}", "buttons": [[["서류 보내기", "docs:X"]]]},),
        "created_at": at + n,
    }
    fields.update(kw)
    return Notice(**fields)


def test_notice_round_trip_and_undelivered_oldest_first(store):
    """Regression: storage had no notices, so a notice for a channel that cannot push was lost."""
    store.add_notice(notice(2))
    store.add_notice(notice(1))
    store.add_notice(notice(3, tg(5), case_number="K-1"))
    assert store.get_notice("notice-1") == notice(1)
    assert store.get_notice("missing") is None
    assert [n.notice_id for n in store.undelivered_notices()] == [
        "notice-1",
        "notice-2",
        "notice-3",
    ]
    assert [n.notice_id for n in store.undelivered_notices(CONSOLE_1)] == ["notice-1", "notice-2"]
    assert store.undelivered_notices(tg(6)) == []


def test_adding_a_notice_again_changes_nothing(store):
    store.add_notice(notice(1))
    store.mark_notice_delivered("notice-1", 5.0)
    store.add_notice(notice(1))  # a retried post: still delivered, still one
    assert store.get_notice("notice-1").delivered_at == 5.0
    assert store.undelivered_notices() == []


def test_delivered_notices_leave_the_undelivered_list(store):
    store.add_notice(notice(1))
    store.add_notice(notice(2))
    done = store.mark_notice_delivered("notice-1", 10.0)
    assert done.delivered_at == 10.0
    assert [n.notice_id for n in store.undelivered_notices()] == ["notice-2"]
    assert store.mark_notice_delivered("notice-1", 20.0).delivered_at == 10.0  # first time kept
    assert store.get_notice("notice-1").delivered_at == 10.0


def test_failed_pushes_are_counted_and_kept(store):
    store.add_notice(notice(1, tg(5)))
    store.mark_notice_failed("notice-1", 11.0, "TimedOut")
    failed = store.mark_notice_failed("notice-1", 12.0, "Forbidden")
    assert (failed.attempts, failed.last_error, failed.last_attempt_at) == (2, "Forbidden", 12.0)
    assert store.undelivered_notices(tg(5)) == [failed]
    store.mark_notice_delivered("notice-1", 13.0)
    after = store.mark_notice_failed("notice-1", 14.0, "TimedOut")  # late failure: ignored
    assert (after.delivered_at, after.attempts) == (13.0, 2)


def test_marking_an_unknown_notice_raises(store):
    with pytest.raises(NoticeNotFound):
        store.mark_notice_delivered("nope", 1.0)
    with pytest.raises(NoticeNotFound):
        store.mark_notice_failed("nope", 1.0, "X")


def test_notices_are_copies(store):
    store.add_notice(notice(1))
    got = store.get_notice("notice-1")
    got.replies[0]["text"] = "changed"
    assert store.get_notice("notice-1").replies[0]["text"] == "알림 1"
    assert store.undelivered_notices()[0].replies[0]["text"] == "알림 1"


def test_notices_survive_reopening(make_store, storage_kind):
    if storage_kind == "memory":
        pytest.skip("nothing survives the process in memory")
    first = make_store()
    first.add_notice(notice(1))
    first.add_notice(notice(2))
    first.mark_notice_delivered("notice-1", 9.0)
    first.mark_notice_failed("notice-2", 9.5, "TimedOut")
    first.close()
    again = make_store()
    assert again.get_notice("notice-1").delivered_at == 9.0
    assert [(n.notice_id, n.attempts) for n in again.undelivered_notices()] == [("notice-2", 1)]


def test_dropping_a_persons_caseless_notices_keeps_their_cases_and_others(make_store, storage_kind):
    """Regression: /delete_my_data could not drop the draft's waiting reminder (no way to
    forget a notice), so it was shown right after the deletion. Notices about a case,
    delivered ones and other people's stay."""
    store = make_store()
    store.add_notice(notice(1))  # the draft's reminder: dropped
    store.add_notice(notice(2, case_number="K-1"))  # about a case: kept
    store.add_notice(notice(3))
    store.mark_notice_delivered("notice-3", 5.0)  # shown already: kept
    store.add_notice(notice(4, tg(5)))  # somebody else's: kept
    store.add_notice(notice(5, at=1_700_000_001.0))
    store.mark_notice_failed("notice-5", 6.0, "TimedOut")  # failed push: dropped
    assert sorted(store.drop_caseless_notices(CONSOLE_1)) == ["notice-1", "notice-5"]
    assert store.drop_caseless_notices(CONSOLE_1) == []
    assert [n.notice_id for n in store.undelivered_notices(CONSOLE_1)] == ["notice-2"]
    assert store.get_notice("notice-1") is None and store.get_notice("notice-5") is None
    assert store.get_notice("notice-3").delivered_at == 5.0
    assert [n.notice_id for n in store.undelivered_notices(tg(5))] == ["notice-4"]
    assert store.undelivered_by_case() == {"K-1": 1}
    if storage_kind == "memory":
        return
    store.close()
    again = make_store()  # the drop is stored, not only remembered
    assert [n.notice_id for n in again.undelivered_notices()] == ["notice-2", "notice-4"]
    assert again.get_notice("notice-1") is None
    again.add_notice(notice(1))  # an id dropped may come again (a retried post)
    assert again.get_notice("notice-1") == notice(1)


# -- the staff list a page at a time, whole cases in a stream ------------------------------


@pytest.mark.parametrize("sort", ["oldest", "newest", "amount_desc", "amount_asc"])
def test_a_list_page_is_the_slice_of_the_sorted_list(store, make_draft, sort):
    amounts = [300, None, 100, 300, 50, None, 700, 100]
    for i, amount in enumerate(amounts):
        store.create_case(make_draft(amount=amount, tier="review" if i % 2 else "x"), now=10.0 - i)
    rows = store.list_cases(CaseFilter(tier="review"))
    key = {
        "oldest": lambda r: (r.submitted_at, r.case_number),
        "newest": lambda r: (-r.submitted_at, [-ord(c) for c in r.case_number]),
        "amount_desc": lambda r: (r.amount is None, -(r.amount or 0), r.submitted_at),
        "amount_asc": lambda r: (r.amount is None, r.amount or 0, r.submitted_at),
    }[sort]
    expected = sorted(rows, key=key)
    assert store.list_cases_page(CaseFilter(tier="review"), sort=sort, offset=1, limit=2) == (
        4,
        expected[1:3],
    )
    number = expected[0].case_number
    total, page = store.list_cases_page(number_contains=number.replace("-", "")[3:8])
    assert number in [r.case_number for r in page] and total == len(page)


def test_iter_cases_yields_whole_cases_oldest_first(store, make_draft):
    made = [
        store.create_case(make_draft(tier="a" if i % 2 else "b"), now=5.0 - i) for i in range(5)
    ]
    assert list(store.iter_cases()) == sorted(made, key=lambda c: c.submitted_at)
    assert [c.tier for c in store.iter_cases(CaseFilter(tier="a"))] == ["a", "a"]


def test_undelivered_notices_are_counted_per_case(store):
    store.add_notice(notice(1, case_number="K-1"))
    store.add_notice(notice(2, case_number="K-1"))
    store.add_notice(notice(3, case_number="K-2"))
    store.add_notice(notice(4))  # no case (a draft's reminder): not counted
    store.mark_notice_delivered("notice-3", 5.0)
    assert store.undelivered_by_case() == {"K-1": 2}


# -- the web chat's pages ------------------------------------------------------------------


def test_web_transcript_appends_and_reads_back_in_order(store):
    """Regression: a web chat page lived in files of one process's DATA_DIR (issue 14)."""
    assert store.web_transcript("v1") == []
    store.append_web_transcript("v1", 1, [{"text": "yes", "mine": True}])
    store.append_web_transcript("v1", 2, [{"text": "next?", "buttons": [[["A", "q:a"]]]}])
    store.append_web_transcript("v2", 1, [{"text": "someone else"}])
    assert store.web_transcript("v1") == [
        (1, [{"text": "yes", "mine": True}]),
        (2, [{"text": "next?", "buttons": [[["A", "q:a"]]]}]),
    ]
    got = store.web_transcript("v1")
    got[0][1].append({"text": "changed after load"})
    assert len(store.web_transcript("v1")[0][1]) == 1


def test_web_transcript_replaced_by_one_entry_and_deleted(store):
    for n in range(1, 5):
        store.append_web_transcript("v1", n, [{"text": f"b{n}"}])
    store.replace_web_transcript("v1", 4, [{"text": "b3"}, {"text": "b4"}])
    assert store.web_transcript("v1") == [(4, [{"text": "b3"}, {"text": "b4"}])]
    store.append_web_transcript("v1", 5, [{"text": "b5"}])
    assert [seq for seq, _ in store.web_transcript("v1")] == [4, 5]
    store.delete_web_transcript("v1")
    assert store.web_transcript("v1") == []
    store.delete_web_transcript("v1")  # deleting a missing one is not an error
    store.replace_web_transcript("v9", 3, [{"text": "new"}])  # replacing nothing makes one
    assert store.web_transcript("v9") == [(3, [{"text": "new"}])]


def test_web_transcript_tail_is_its_count_and_last_entries(store):
    """What an answer needs of a page (its request number, the buttons shown, when to
    compact) without reading every entry: the count and the newest entries back to the
    newest holding a bubble of the bot's (all of them when none does)."""
    assert store.web_transcript_tail("v1") == (0, [])
    store.append_web_transcript("v1", 1, [{"text": "yes", "mine": True}])
    assert store.web_transcript_tail("v1") == (1, [(1, [{"text": "yes", "mine": True}])])
    question = {"text": "next?", "buttons": [[["A", "q:a"]]]}
    store.append_web_transcript("v1", 2, [{"text": "A", "mine": True}, question])
    assert store.web_transcript_tail("v1") == (2, [(2, [{"text": "A", "mine": True}, question])])
    store.append_web_transcript("v1", 3, [{"text": "mine only", "mine": True}])
    assert store.web_transcript_tail("v1") == (
        3,
        [(2, [{"text": "A", "mine": True}, question]), (3, [{"text": "mine only", "mine": True}])],
    )
    store.append_web_transcript("v1", 4, [{"text": "news", "notice": True}])
    assert store.web_transcript_tail("v1") == (4, [(4, [{"text": "news", "notice": True}])])
    store.replace_web_transcript("v1", 4, [question])
    assert store.web_transcript_tail("v1") == (1, [(4, [question])])


def test_web_secret_is_the_first_proposed_for_everyone(store):
    """Every process on one store signs with one secret (cookies, CSRF, lookup codes)."""
    assert store.web_secret("first-secret-0123456789") == "first-secret-0123456789"
    assert store.web_secret("second-secret-0123456789") == "first-secret-0123456789"
    with ThreadPoolExecutor(4) as pool:
        seen = set(pool.map(store.web_secret, [f"other-{n}" for n in range(8)]))
    assert seen == {"first-secret-0123456789"}
