"""The in-memory storage: the contract without a disk, for tests and the console chat."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.base import Storage
from storage.case_changes import apply_update, case_from_draft, created_entry
from storage.case_numbers import new_case_number, normalize_case_number
from storage.errors import CaseNotFound, EvidenceNotFound, NoticeNotFound
from storage.evidence_files import check_sha256
from storage.records import (
    AuditEntry,
    Case,
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseSummary,
    Notice,
    case_holder,
    notice_delivered,
    notice_failed,
)
from storage.request_ids import DEFAULT_KEEP, RecentRequests, request_key


class MemoryStorage(Storage):
    """Everything in dictionaries behind one lock; nothing survives the process.

    Records are stored as JSON text and rebuilt on the way out, so callers get
    copies and the same values (tuples come back as lists, non-JSON values are
    refused with TypeError) as from a storage on disk.
    """

    def __init__(self, *, keep_request_ids: int = DEFAULT_KEEP) -> None:
        self._lock = threading.RLock()
        self._conversations: dict[UserKey, str] = {}
        self._user_langs: dict[UserKey, str] = {}
        self._cases: dict[str, str] = {}
        self._rows: dict[str, CaseSummary] = {}
        self._drafts: dict[str, str] = {}
        self._evidence: dict[str, bytes] = {}
        self._holds: dict[str, set[str]] = {}  # draft holder -> the files it holds
        self._case_holders: dict[str, set[str]] = {}  # sha256 -> numbers of cases holding it
        self._requests = RecentRequests(keep_request_ids)
        self._audit: list[str] = []
        self._notices: dict[str, str] = {}  # notice id -> notice as JSON, in order added
        # ids not yet delivered, in order added -> (their person, their case)
        self._undelivered: dict[str, tuple[UserKey, str | None]] = {}
        # the same ids per person, in order added: a mailbox check reads only theirs
        self._undelivered_by_user: dict[UserKey, dict[str, None]] = {}
        self._web_transcripts: dict[str, list[str]] = {}  # visitor -> entries as JSON
        self._web_secret: str | None = None

    # -- conversations -----------------------------------------------------------------
    def load_conversation(self, user_id: UserKey) -> ConversationRecord | None:
        with self._lock:
            data = self._conversations.get(user_id)
        return None if data is None else ConversationRecord.from_dict(json.loads(data))

    def save_conversation(self, record: ConversationRecord) -> None:
        data = _dump(record.to_dict())
        with self._lock:
            self._conversations[record.user_id] = data

    def delete_conversation(self, user_id: UserKey) -> None:
        with self._lock:
            self._conversations.pop(user_id, None)

    def iter_conversations(self) -> Iterator[ConversationRecord]:
        with self._lock:
            snapshot = list(self._conversations.values())
        for data in snapshot:
            yield ConversationRecord.from_dict(json.loads(data))

    # -- per-user preferences ---------------------------------------------------------
    def load_user_lang(self, user_id: UserKey) -> str | None:
        with self._lock:
            return self._user_langs.get(user_id)

    def save_user_lang(self, user_id: UserKey, lang: str | None) -> None:
        with self._lock:
            if lang is None:
                self._user_langs.pop(user_id, None)
            else:
                self._user_langs[user_id] = str(lang)

    # -- cases -------------------------------------------------------------------------
    def create_case(self, draft: CaseDraft, now: float) -> Case:
        if not draft.draft_id:
            raise ValueError("create_case needs a draft_id: it is what makes submitting idempotent")
        with self._lock:
            existing = self._drafts.get(draft.draft_id)
            if existing is not None:
                case = _case(self._cases[existing])
                if case.user_id != draft.user_id:
                    raise ValueError(f"draft {draft.draft_id!r} belongs to another user")
                return case
            number = new_case_number()
            while number in self._cases:
                number = new_case_number()
            case = case_from_draft(draft, number, now)
            data = _dump(case.to_dict())
            self._cases[number] = data
            self._rows[number] = case.summary()
            self._hold_for_case(case)
            self._drafts[draft.draft_id] = number
            self._audit.append(_dump(created_entry(case).to_dict()))
        return _case(data)

    def get_case(self, case_number: str) -> Case | None:
        number = normalize_case_number(case_number)
        with self._lock:
            data = self._cases.get(number) if number else None
        return None if data is None else _case(data)

    def update_case(self, case_number: str, change: CaseChange) -> Case:
        number = normalize_case_number(case_number)
        with self._lock:
            data = self._cases.get(number) if number else None
            if data is None:
                raise CaseNotFound(case_number)
            updated = apply_update(_case(data), change)
            if updated is None:
                return _case(data)
            new, entry = updated
            line = _dump(entry.to_dict())
            self._cases[new.case_number] = _dump(new.to_dict())
            self._rows[new.case_number] = new.summary()
            self._hold_for_case(new)
            self._audit.append(line)
        return new

    def list_cases(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        with self._lock:
            rows = list(self._rows.values())
        if filter is not None:
            rows = [r for r in rows if filter.matches(r)]
        rows.sort(key=lambda r: (r.submitted_at, r.case_number))
        return rows

    # -- evidence ----------------------------------------------------------------------
    def put_evidence(self, data: bytes, *, holder: str | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            if holder is not None:
                self._holds.setdefault(holder, set()).add(digest)
            self._evidence.setdefault(digest, bytes(data))
        return digest

    def release_evidence(self, holder: str, *, keep: Collection[str] = ()) -> list[str]:
        deleted = []
        with self._lock:
            held = self._holds.get(holder, set())
            released = held - set(keep)
            held -= released
            if not held:
                self._holds.pop(holder, None)
            for digest in sorted(released):
                if not self._holders(digest) and self._evidence.pop(digest, None) is not None:
                    deleted.append(digest)
        return deleted

    def evidence_holders(self, sha256: str) -> frozenset[str]:
        check_sha256(sha256)
        with self._lock:
            return self._holders(sha256)

    def _holders(self, digest: str) -> frozenset[str]:
        drafts = {h for h, held in self._holds.items() if digest in held}
        cases = {case_holder(n) for n in self._case_holders.get(digest, ())}
        return frozenset(drafts | cases)

    def _hold_for_case(self, case: Case) -> None:
        for ref in case.evidence:
            self._case_holders.setdefault(ref.sha256, set()).add(case.case_number)

    def put_evidence_file(
        self, path: Path, sha256: str | None = None, *, holder: str | None = None
    ) -> str:
        # In memory by design: the bytes end up in a dictionary, read once, in pieces.
        path = Path(path)
        digest = hashlib.sha256()
        data = bytearray()
        with open(path, "rb") as fh:
            for piece in iter(lambda: fh.read(1 << 20), b""):
                digest.update(piece)
                data += piece
        path.unlink()
        if sha256 is not None and check_sha256(sha256) != digest.hexdigest():
            raise ValueError(f"{path} does not hold the bytes of {sha256}")
        with self._lock:
            if holder is not None:
                self._holds.setdefault(holder, set()).add(digest.hexdigest())
            self._evidence.setdefault(digest.hexdigest(), bytes(data))
        return digest.hexdigest()

    def open_evidence(self, sha256: str) -> BinaryIO:
        with self._lock:
            data = self._evidence.get(check_sha256(sha256))
        if data is None:
            raise EvidenceNotFound(sha256)
        return io.BytesIO(data)

    def evidence_size(self, sha256: str) -> int:
        with self._lock:
            data = self._evidence.get(check_sha256(sha256))
        if data is None:
            raise EvidenceNotFound(sha256)
        return len(data)

    # -- processed requests ----------------------------------------------------------
    def seen_request(self, channel: str, request_id: str) -> bool:
        key = request_key(channel, request_id)
        with self._lock:
            return key in self._requests

    def mark_request(self, channel: str, request_id: str) -> None:
        key = request_key(channel, request_id)
        with self._lock:
            self._requests.add(key)

    # -- the web chat's pages ------------------------------------------------------------
    def web_transcript(self, visitor: str) -> list[tuple[int, list[dict[str, Any]]]]:
        with self._lock:
            entries = list(self._web_transcripts.get(visitor, ()))
        return [(int(seq), bubbles) for seq, bubbles in map(json.loads, entries)]

    def append_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        data = json.dumps([int(seq), bubbles], ensure_ascii=False)
        with self._lock:
            self._web_transcripts.setdefault(visitor, []).append(data)

    def replace_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        data = json.dumps([int(seq), bubbles], ensure_ascii=False)
        with self._lock:
            self._web_transcripts[visitor] = [data]

    def delete_web_transcript(self, visitor: str) -> None:
        with self._lock:
            self._web_transcripts.pop(visitor, None)

    def web_secret(self, proposed: str) -> str:
        with self._lock:
            if self._web_secret is None:
                self._web_secret = str(proposed)
            return self._web_secret

    # -- notices -----------------------------------------------------------------------
    def add_notice(self, notice: Notice) -> None:
        data = _dump(notice.to_dict())
        with self._lock:
            if notice.notice_id in self._notices:
                return
            self._notices[notice.notice_id] = data
            if notice.delivered_at is None:
                self._undelivered[notice.notice_id] = (notice.user_id, notice.case_number)
                self._undelivered_by_user.setdefault(notice.user_id, {})[notice.notice_id] = None

    def get_notice(self, notice_id: str) -> Notice | None:
        with self._lock:
            data = self._notices.get(notice_id)
        return None if data is None else Notice.from_dict(json.loads(data))

    def undelivered_notices(self, user_id: UserKey | None = None) -> list[Notice]:
        with self._lock:
            ids = (
                self._undelivered if user_id is None else self._undelivered_by_user.get(user_id, {})
            )
            snapshot = [self._notices[i] for i in ids]
        notices = [Notice.from_dict(json.loads(data)) for data in snapshot]
        return sorted(notices, key=lambda n: n.created_at)  # stable: ties stay in order added

    def undelivered_by_case(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for _, number in self._undelivered.values():
                if number:
                    counts[number] = counts.get(number, 0) + 1
        return counts

    def mark_notice_delivered(self, notice_id: str, at: float) -> Notice:
        return self._change_notice(notice_id, lambda n: notice_delivered(n, at))

    def mark_notice_failed(self, notice_id: str, at: float, error: str) -> Notice:
        return self._change_notice(notice_id, lambda n: notice_failed(n, at, error))

    def drop_caseless_notices(self, user_id: UserKey) -> list[str]:
        with self._lock:
            mine = self._undelivered_by_user.get(user_id, {})
            dropped = [i for i in mine if not self._undelivered[i][1]]
            for notice_id in dropped:
                self._forget_undelivered(notice_id)
                del self._notices[notice_id]
        return dropped

    def _forget_undelivered(self, notice_id: str) -> None:
        """Take the id out of the undelivered list and its person's index (lock held)."""
        found = self._undelivered.pop(notice_id, None)
        if found is None:
            return
        mine = self._undelivered_by_user.get(found[0])
        if mine is not None:
            mine.pop(notice_id, None)
            if not mine:
                del self._undelivered_by_user[found[0]]

    def _change_notice(self, notice_id: str, how: Callable[[Notice], Notice]) -> Notice:
        with self._lock:
            data = self._notices.get(notice_id)
            if data is None:
                raise NoticeNotFound(notice_id)
            notice = how(Notice.from_dict(json.loads(data)))
            self._notices[notice_id] = _dump(notice.to_dict())
            if notice.delivered_at is not None:
                self._forget_undelivered(notice_id)
        return notice

    # -- audit -------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        line = _dump(entry.to_dict())
        with self._lock:
            self._audit.append(line)

    def iter_audit(self, case_number: str | None = None) -> Iterator[AuditEntry]:
        wanted = None
        if case_number is not None:
            wanted = normalize_case_number(case_number) or case_number
        with self._lock:
            snapshot = list(self._audit)
        for line in snapshot:
            entry = AuditEntry.from_dict(json.loads(line))
            if wanted is None or entry.case_number == wanted:
                yield entry


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def _case(data: str) -> Case:
    return Case.from_dict(json.loads(data))
