"""``migrate-store`` copies everything the TinyDB store holds: every contract read agrees after.

The directory is built through the real store API with every kind of record the
bot writes (tests/storage/test_migrate_store.py has the command's refusals).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flows.identity import UserKey
from storage import CaseChange, CaseStatus, EvidenceRef
from storage.base import Storage
from storage.migrate_store import MigrationMismatch, migrate_store
from storage.postgres import PostgresStorage
from storage.records import AuditEntry, CaseFilter, CaseMessage, Notice, draft_holder
from storage.tinydb_store import TinyDBStorage
from tests.support.users import tg

WEB = UserKey("web", "v-1")
KAKAO = UserKey("kakao", "k-1")
VISITORS = ("v-1", "v-2", "v-3", "v-gone", "v-never")
REQUESTS = [
    ("telegram", "900"),
    ("telegram", "901"),
    ("web", "v-1.3"),
    ("kakao", "skill-7f3a"),
    ("console", "12"),
]


@pytest.fixture
def every_kind(tmp_path, make_draft, make_conversation) -> Path:
    """A TinyDB data directory with one or more of every record the store keeps."""
    root = tmp_path / "data"
    tiny = TinyDBStorage(root)
    try:
        shared = tiny.put_evidence(b"the same receipt twice")
        numbers = []
        for i, user in enumerate([tg(1), tg(2), WEB, KAKAO, tg(1)]):
            refs = [EvidenceRef(sha256=shared, name="r.jpg", mime="image/jpeg", size=22)]
            case = tiny.create_case(make_draft(user_id=user, evidence=refs), now=1000.0 + i)
            numbers.append(case.case_number)
        tiny.update_case(
            numbers[0], CaseChange(actor="staff:kim", now=2000.0, status=CaseStatus.APPROVED)
        )
        # A thread with a file, one left unread by staff, one marked done.
        photo = tiny.put_evidence(b"a photo sent in the thread", holder=draft_holder(tg(2)))
        sent = (EvidenceRef(sha256=photo, name="p.jpg", mime="image/jpeg", size=26),)
        tiny.add_case_message(CaseMessage("m1", numbers[1], "user", "언제 돼요?", at=3000.0))
        tiny.add_case_message(
            CaseMessage("m2", numbers[1], "staff:kim", "이번 주 안에요", files=sent, at=3001.0)
        )
        tiny.add_case_message(CaseMessage("m3", numbers[2], "user", "사진 보냈어요", at=3002.0))
        tiny.set_thread_done(numbers[1], actor="staff:kim", now=3003.0)
        # Drafts in progress on every channel, with their files and languages.
        for n, user in enumerate([tg(5), WEB, KAKAO, UserKey("console", "1")]):
            tiny.save_conversation(make_conversation(user, updated_at=4000.0 + n))
            tiny.put_evidence(f"draft photo {n}".encode(), holder=draft_holder(user))
            tiny.save_user_lang(user, "en" if n % 2 else "ko")
        tiny.save_user_lang(tg(2), "en")  # a language without a draft
        tiny.append_audit(AuditEntry(at=5000.0, actor="system", action="bot.started"))
        # Notices: undelivered, delivered, failed, of a case, dropped.
        notices = [
            Notice("n1", tg(1), numbers[0], "review", ({"text": "결과가 나왔어요"},), 6000.0),
            Notice("n2", WEB, None, "reminder", ({"text": "남아 있어요"},), 6001.0),
            Notice("n3", KAKAO, numbers[3], "staff_message", ({"text": "답장"},), 6002.0),
            Notice("n4", tg(5), None, "reminder", ({"text": "지울 알림"},), 6003.0),
        ]
        for notice in notices:
            tiny.add_notice(notice)
        tiny.mark_notice_delivered("n1", 6100.0)
        tiny.mark_notice_failed("n3", 6101.0, "Forbidden")
        tiny.drop_caseless_notices(tg(5))
        for channel, request_id in REQUESTS:
            tiny.mark_request(channel, request_id)
        # The web chat's pages: appended, replaced, deleted; and its signing secret.
        tiny.append_web_transcript("v-1", 1, [{"text": "안녕하세요", "mine": False}])
        tiny.append_web_transcript("v-1", 2, [{"text": "네", "mine": True}, {"text": "좋아요"}])
        tiny.append_web_transcript("v-2", 1, [{"text": "first"}])
        tiny.replace_web_transcript("v-2", 5, [{"text": "what the page still shows"}])
        tiny.append_web_transcript("v-3", 1, [{"text": "한 줄"}])
        tiny.append_web_transcript("v-gone", 1, [{"text": "forgotten"}])
        tiny.delete_web_transcript("v-gone")
        tiny.web_secret("the secret the pages are signed with")
    finally:
        tiny.close()
    return root


def _reads(store: Storage, root: Path) -> dict[str, Any]:
    """Every contract read of the store, over every key the directory knows."""
    cases = store.list_cases()
    numbers = [row.case_number for row in cases]
    users = sorted(
        {r.user_id for r in store.iter_conversations()}
        | {row.user_id for row in cases}
        | {tg(2), tg(5), tg(99)},
        key=str,
    )
    digests = sorted(p.name for p in (root / "evidence").glob("??/*"))
    reads: dict[str, Any] = {
        "list_cases": cases,
        "list_cases_filtered": store.list_cases(CaseFilter(status=CaseStatus.APPROVED)),
        "list_unread": store.list_cases(CaseFilter(unread_messages=True)),
        "iter_cases": list(store.iter_cases()),
        "cases": {n: store.get_case(n) for n in numbers},
        "threads": {n: store.case_messages(n) for n in numbers},
        "conversations": {u: store.load_conversation(u) for u in users},
        "iter_conversations": sorted(store.iter_conversations(), key=lambda r: str(r.user_id)),
        "langs": {u: store.load_user_lang(u) for u in users},
        "evidence": {d: _read(store, d) for d in digests},
        "evidence_sizes": {d: store.evidence_size(d) for d in digests},
        "holders": {d: store.evidence_holders(d) for d in digests},
        "requests": {
            key: store.seen_request(*key)
            for key in [*REQUESTS, ("web", "900"), ("telegram", "902")]
        },
        "notices": {i: store.get_notice(i) for i in ("n1", "n2", "n3", "n4")},
        "undelivered": store.undelivered_notices(),
        "undelivered_by_user": {u: store.undelivered_notices(u) for u in users},
        "undelivered_by_case": store.undelivered_by_case(),
        "transcripts": {v: store.web_transcript(v) for v in VISITORS},
        "web_secret": store.web_secret("a secret proposed after the move"),
        "audit": list(store.iter_audit()),
        "audit_by_case": {n: list(store.iter_audit(n)) for n in numbers},
    }
    return reads


def test_every_contract_read_is_the_same_after_the_move_and_after_a_second_one(
    every_kind, pg_database
):
    """Regression: the web chat's transcripts (DATA_DIR/webchat/) and its signing secret
    were not copied, so after the move every visitor's page was empty and every link
    signed with the old secret (the lookup codes staff and people hold) stopped working."""
    tiny = TinyDBStorage(every_kind)
    try:
        before = _reads(tiny, every_kind)
    finally:
        tiny.close()
    assert before["transcripts"]["v-1"] and before["web_secret"].startswith("the secret")
    assert before["requests"][("kakao", "skill-7f3a")]  # the fixture has what it claims

    first = migrate_store(every_kind, pg_database)
    second = migrate_store(every_kind, pg_database)  # idempotent
    pg = PostgresStorage(pg_database)
    try:
        after = _reads(pg, every_kind)
    finally:
        pg.close()
    for key, value in before.items():
        assert _plain(after[key]) == _plain(value), key
    assert first.web_transcripts == second.web_transcripts == 3


def _read(store: Storage, sha256: str) -> bytes:
    with store.open_evidence(sha256) as fh:
        return fh.read()


def _plain(value: Any) -> str:
    """A read as comparable JSON (records as their dicts, sets sorted)."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "to_dict"):
            return obj.to_dict()
        if isinstance(obj, (set, frozenset)):
            return sorted(obj)
        if hasattr(obj, "__dataclass_fields__"):
            return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
        return str(obj)

    def keyed(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {str(k): keyed(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [keyed(v) for v in obj]
        if isinstance(obj, bytes):
            return obj.hex()
        return obj

    return json.dumps(keyed(value), default=default, sort_keys=True, ensure_ascii=False)


def test_a_page_written_after_the_move_is_kept_by_a_second_one(every_kind, pg_database):
    migrate_store(every_kind, pg_database)
    pg = PostgresStorage(pg_database)
    try:
        pg.append_web_transcript("v-1", 3, [{"text": "after the move"}])
        migrate_store(every_kind, pg_database)
        assert [seq for seq, _ in pg.web_transcript("v-1")] == [1, 2, 3]
    finally:
        pg.close()


def test_a_database_with_a_web_secret_of_its_own_is_named_not_overwritten(every_kind, pg_database):
    pg = PostgresStorage(pg_database)
    try:
        assert pg.web_secret("made by a bot started on the database first").startswith("made")
    finally:
        pg.close()
    with pytest.raises(MigrationMismatch, match="web chat secret of its own"):
        migrate_store(every_kind, pg_database)
