"""The read-only store: staff tools read a data directory while the bot holds it."""

from __future__ import annotations

import pytest

from flows.record import ConversationRecord
from storage import (
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseStatus,
    CorruptFile,
    EvidenceRef,
    Notice,
)
from storage.read_only import ReadOnly, ReadOnlyStorage
from storage.records import case_holder
from storage.tinydb_store import TinyDBStorage
from tests.support.users import tg


def draft(n: int, sha: str) -> CaseDraft:
    return CaseDraft(
        draft_id=f"d{n}",
        user_id=tg(n),
        lang="ko",
        policy_id="kakao_1015",
        reporter_type="small_business",
        service="kakaomap",
        paid=False,
        monetary=True,
        tier="cash_30k",
        amount=100_000 + n,
        evidence=[EvidenceRef(sha256=sha, name="r.jpg", mime="image/jpeg", size=3)],
    )


def test_reads_what_the_running_owner_wrote_without_writing(tmp_path):
    owner = TinyDBStorage(tmp_path)  # holds the data directory's lock, like the bot
    sha = owner.put_evidence(b"abc")
    cases = [owner.create_case(draft(n, sha), now=1_700_000_000 + n) for n in range(3)]
    owner.update_case(
        cases[0].case_number,
        CaseChange(actor="staff:kim", now=1_700_000_100, status=CaseStatus.APPROVED),
    )
    owner.save_conversation(
        ConversationRecord(user_id=tg(7), state="amount", answers={"amount": 5})
    )
    # A write in flight: the last index line is torn.
    with owner._layout.index_file.open("ab") as fh:
        fh.write(b'{"op":"row","seq"')
    before = owner._layout.index_file.read_bytes()

    reader = ReadOnlyStorage(tmp_path)
    assert [r.case_number for r in reader.list_cases()] == [c.case_number for c in cases]
    assert (
        reader.list_cases(CaseFilter(status=CaseStatus.APPROVED))[0].case_number
        == cases[0].case_number
    )
    assert reader.get_case(cases[1].case_number.lower()) == owner.get_case(cases[1].case_number)
    assert reader.get_case("../../etc/passwd") is None
    with reader.open_evidence(sha) as fh:
        assert fh.read() == b"abc"
    assert reader.evidence_holders(sha) == {case_holder(c.case_number) for c in cases}
    assert [e.action for e in reader.iter_audit(cases[0].case_number)] == [
        e.action for e in owner.iter_audit(cases[0].case_number)
    ]
    assert reader.load_conversation(tg(7)).answers == {"amount": 5}
    assert [r.user_id for r in reader.iter_conversations()] == [tg(7)]
    with pytest.raises(ReadOnly):
        reader.save_conversation(ConversationRecord(user_id=tg(8), state="consent"))
    with pytest.raises(ReadOnly):
        reader.update_case(
            cases[0].case_number, CaseChange(actor="x", now=0, status=CaseStatus.PAID)
        )
    assert (
        owner._layout.index_file.read_bytes() == before
    )  # nothing repaired behind the owner's back
    owner.close()


def test_reads_a_users_language_and_refuses_to_change_it(tmp_path):
    owner = TinyDBStorage(tmp_path)
    owner.create_case(draft(1, owner.put_evidence(b"abc")), now=1_700_000_000)
    owner.save_user_lang(tg(7), "en")
    view = ReadOnlyStorage(tmp_path)
    assert view.load_user_lang(tg(7)) == "en" and view.load_user_lang(tg(8)) is None
    with pytest.raises(ReadOnly):
        view.save_user_lang(tg(7), "ko")
    owner.close()


@pytest.mark.parametrize("damage", [b"{not json", b'{"case": {}}', b'{"case": {"1": [1]}}'])
def test_a_damaged_case_file_is_reported_and_left_where_it_is(tmp_path, damage):
    """The reader names a damaged file as the owner does, but never moves it (the owner's job)."""
    owner = TinyDBStorage(tmp_path)
    case = owner.create_case(draft(1, owner.put_evidence(b"abc")), now=1_700_000_000)
    path = owner._layout.case_file(case.case_number)
    path.write_bytes(damage)
    reader = ReadOnlyStorage(tmp_path)
    with pytest.raises(CorruptFile) as raised:
        reader.get_case(case.case_number)
    assert raised.value.path == path and raised.value.quarantined_to is None
    assert path.read_bytes() == damage
    owner.close()


def test_processed_requests_are_the_owners_business(tmp_path):
    """A reader beside the bot neither claims to have seen a request nor marks one."""
    owner = TinyDBStorage(tmp_path)
    owner.mark_request("telegram", "5")
    reader = ReadOnlyStorage(tmp_path)
    assert not reader.seen_request("telegram", "5")
    with pytest.raises(ReadOnly):
        reader.mark_request("telegram", "6")
    with pytest.raises(ValueError):
        reader.seen_request("Not A Channel", "5")


def test_reads_the_notices_the_owner_keeps_and_refuses_to_change_them(tmp_path):
    """Regression: staff tools beside the bot could not see which notices were undelivered."""
    owner = TinyDBStorage(tmp_path)
    owner.create_case(draft(1, owner.put_evidence(b"abc")), now=1_700_000_000)
    view = ReadOnlyStorage(tmp_path)
    assert view.undelivered_notices() == []  # no notices file yet: none
    first = Notice("n1", tg(7), None, "review", ({"text": "안녕하세요", "buttons": []},), 1.0)
    owner.add_notice(first)
    owner.add_notice(Notice("n2", tg(8), None, "review", (), 2.0))
    owner.mark_notice_delivered("n2", 3.0)
    assert view.undelivered_notices() == [first]  # read as it is now, the bot still writing
    assert view.get_notice("n2").delivered_at == 3.0
    with pytest.raises(ReadOnly):
        view.mark_notice_delivered("n1", 4.0)
    with pytest.raises(ReadOnly):
        view.add_notice(first)
    with pytest.raises(ReadOnly):
        view.drop_caseless_notices(tg(7))
    owner.drop_caseless_notices(tg(7))  # /delete_my_data: the view sees it gone
    assert view.undelivered_notices() == [] and view.get_notice("n1") is None
    owner.close()
