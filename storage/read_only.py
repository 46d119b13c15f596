"""A read-only view of a TinyDB data directory, for staff tools running beside the bot.

The bot holds the data directory's lock; exports and statistics must not wait for
it to stop. Every write in this store is atomic (temp file + rename) and every log
append is a whole line, so reading needs no lock: this store reads a snapshot of
the case index and the case files as they are, and never writes, repairs or
quarantines anything (that stays the owner's job).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.base import Storage
from storage.case_index import CaseIndex
from storage.case_numbers import normalize_case_number
from storage.data_layout import CASE_SUFFIX, CONVERSATION_SUFFIX, DataLayout, fan_out
from storage.durable_files import DurableFiles
from storage.entity_files import DamagedDocument, read_document
from storage.errors import CorruptFile, EvidenceNotFound, StorageError
from storage.evidence_files import check_sha256
from storage.evidence_holds import DraftHolds
from storage.jsonl_log import JsonLinesLog
from storage.notice_log import NoticeLog
from storage.records import (
    AuditEntry,
    Case,
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseSummary,
    Notice,
    case_holder,
)
from storage.request_ids import request_key
from storage.schema import check_schema
from storage.tinydb_store import CASE_TABLE, CONVERSATION_TABLE, USER_TABLE
from storage.webchat_files import WebChatFiles


class ReadOnly(StorageError):
    """A write was attempted on a read-only store."""


class ReadOnlyStorage(Storage):
    """Cases, evidence, conversations, notices and the audit log as they are on disk; no writes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._layout = DataLayout(self.data_dir)
        if not self._layout.index_file.exists() and not self._layout.cases_dir.exists():
            raise StorageError(f"{self.data_dir} holds no cases (is DATA_DIR right?)")
        check_schema(self._layout)  # NeedsMigration for an older layout
        # DurableFiles is only needed by the log's repair path, which is never taken here.
        files = DurableFiles(self._layout.tmp_dir, self._layout.quarantine_dir)
        self._files = files
        self._holds: DraftHolds | None = None
        self._index = CaseIndex(JsonLinesLog(self._layout.index_file, files))
        self._index.load_snapshot()
        self._audit = JsonLinesLog(self._layout.audit_file, files)
        self._cases_dir = str(self._layout.cases_dir)
        self._web = WebChatFiles(self.data_dir, writable=False)

    def _read(self, path: Path | str, table: str) -> dict[str, Any] | None:
        """The one document of an entity file; a damaged file is reported, left where it is."""
        try:
            return read_document(path, table)
        except DamagedDocument as exc:
            raise CorruptFile(Path(path), None, exc.reason) from exc

    # -- reading ------------------------------------------------------------------------
    def get_case(self, case_number: str) -> Case | None:
        number = normalize_case_number(case_number)  # it becomes a file name: canonical only
        if number is None:
            return None
        # A string path: building three pathlib objects per case is a tenth of an export.
        path = os.path.join(self._cases_dir, fan_out(number), number + CASE_SUFFIX)
        doc = self._read(path, CASE_TABLE)
        return Case.from_dict(doc, copy_data=False) if doc else None  # freshly parsed

    def list_cases(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        return self._index.list(filter)

    def load_conversation(self, user_id: UserKey) -> ConversationRecord | None:
        doc = self._read(self._layout.conversation_file(user_id), CONVERSATION_TABLE)
        return ConversationRecord.from_dict(doc) if doc else None

    def iter_conversations(self) -> Iterator[ConversationRecord]:
        for path in sorted(self._layout.conversations_dir.glob(f"*/*{CONVERSATION_SUFFIX}")):
            doc = self._read(path, CONVERSATION_TABLE)
            if doc:
                yield ConversationRecord.from_dict(doc)

    def open_evidence(self, sha256: str) -> BinaryIO:
        try:
            return open(self._layout.evidence_file(check_sha256(sha256)), "rb")
        except FileNotFoundError:
            raise EvidenceNotFound(sha256) from None

    def evidence_size(self, sha256: str) -> int:
        try:
            return self._layout.evidence_file(check_sha256(sha256)).stat().st_size
        except FileNotFoundError:
            raise EvidenceNotFound(sha256) from None

    def evidence_holders(self, sha256: str) -> frozenset[str]:
        check_sha256(sha256)
        if self._holds is None:  # read on first use: exports never ask
            holds = DraftHolds(JsonLinesLog(self._layout.evidence_holds_file, self._files))
            holds.load_snapshot()
            self._holds = holds
        cases = {case_holder(n) for n in self._index.cases_holding(sha256)}
        return self._holds.holders(sha256) | cases

    def iter_audit(self, case_number: str | None = None) -> Iterator[AuditEntry]:
        for value in self._audit.scan(repair=False, strict=False):
            entry = AuditEntry.from_dict(value)
            if case_number is None or entry.case_number == case_number:
                yield entry

    def seen_request(self, channel: str, request_id: str) -> bool:
        request_key(channel, request_id)  # malformed is refused as by the owner
        return False  # processed requests are the bot's business

    def _notice_log(self) -> NoticeLog:
        """The notices as they are now (read again on each use: the bot keeps writing)."""
        notices = NoticeLog(JsonLinesLog(self._layout.notices_file, self._files), read_only=True)
        notices.load()
        return notices

    def get_notice(self, notice_id: str) -> Notice | None:
        return self._notice_log().get(notice_id)

    def undelivered_notices(self, user_id: UserKey | None = None) -> list[Notice]:
        return self._notice_log().undelivered(user_id)

    def load_user_lang(self, user_id: UserKey) -> str | None:
        path = self._layout.user_file(user_id)
        doc = self._read(path, USER_TABLE)
        lang = (doc or {}).get("lang")
        return lang if isinstance(lang, str) else None

    # -- writing: refused -----------------------------------------------------------------
    def web_transcript(self, visitor: str) -> list[tuple[int, list[dict[str, Any]]]]:
        return self._web.load(visitor)

    def web_secret(self, proposed: str) -> str:
        kept = self._web.stored_secret()
        if kept is None:
            self._refuse()
        return kept

    def _refuse(self) -> NoReturn:
        raise ReadOnly(f"{self.data_dir} is open read-only")

    def save_conversation(self, record: ConversationRecord) -> None:
        self._refuse()

    def delete_conversation(self, user_id: UserKey) -> None:
        self._refuse()

    def save_user_lang(self, user_id: UserKey, lang: str | None) -> None:
        self._refuse()

    def create_case(self, draft: CaseDraft, now: float) -> Case:
        self._refuse()

    def update_case(self, case_number: str, change: CaseChange) -> Case:
        self._refuse()

    def put_evidence(self, data: bytes, *, holder: str | None = None) -> str:
        self._refuse()

    def release_evidence(self, holder: str, *, keep: Collection[str] = ()) -> list[str]:
        self._refuse()

    def put_evidence_file(
        self, path: Path, sha256: str | None = None, *, holder: str | None = None
    ) -> str:
        self._refuse()

    def mark_request(self, channel: str, request_id: str) -> None:
        self._refuse()

    def append_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        self._refuse()

    def replace_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        self._refuse()

    def delete_web_transcript(self, visitor: str) -> None:
        self._refuse()

    def append_audit(self, entry: AuditEntry) -> None:
        self._refuse()

    def add_notice(self, notice: Notice) -> None:
        self._refuse()

    def mark_notice_delivered(self, notice_id: str, at: float) -> Notice:
        self._refuse()

    def mark_notice_failed(self, notice_id: str, at: float, error: str) -> Notice:
        self._refuse()

    def drop_caseless_notices(self, user_id: UserKey) -> list[str]:
        self._refuse()
