"""The TinyDB storage: one small, atomically replaced TinyDB file per entity, plus append-only logs."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.base import Storage
from storage.case_changes import apply_update, case_from_draft, created_entry
from storage.case_index import CaseIndex, Intent
from storage.case_numbers import new_case_number, normalize_case_number
from storage.data_layout import CASE_SUFFIX, DataLayout, fan_out
from storage.documents import audit_view, case_view
from storage.durable_files import FILE_MODE, DurableFiles
from storage.entity_files import EntityFiles
from storage.errors import CaseNotFound, CorruptFile, DataDirInUse, EvidenceNotFound
from storage.evidence_files import EvidenceFiles, check_sha256, file_sha256
from storage.evidence_holds import DraftHolds
from storage.jsonl_log import DamagedLog, JsonLinesLog
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
    draft_holder,
    notice_delivered,
    notice_failed,
)
from storage.request_ids import DEFAULT_KEEP, RequestIdFile, request_key
from storage.schema import check_schema
from storage.webchat_files import WebChatFiles

log = logging.getLogger(__name__)

CASE_TABLE = "case"
CONVERSATION_TABLE = "conversation"
USER_TABLE = "user"


class _LockStripes:
    """A fixed set of locks picked by key: per-key locking without a lock per key."""

    def __init__(self, count: int = 64) -> None:
        self._locks = [threading.Lock() for _ in range(count)]

    def __call__(self, key: str) -> threading.Lock:
        return self._locks[hash(key) % len(self._locks)]


class TinyDBStorage(Storage):
    """Storage in a data directory of small TinyDB files and append-only JSON-lines logs.

    A directory of an older layout is refused (:class:`storage.NeedsMigration`,
    see :mod:`storage.migrate`); a new one is marked with the current layout.

    One process at a time owns the directory (an ``flock`` on ``.lock``; a
    second opener gets :class:`storage.DataDirInUse`). Opening it finishes or
    rolls back whatever a crash interrupted: temporary files are removed, torn
    log tails are cut off (and kept in quarantine), the case index is rebuilt
    from the case files when missing or damaged, and changes announced in the
    index but not finished are settled by re-reading those case files.

    ``create_case`` writes, in this order and each fsync'd: a ``begin`` line in
    the index (reserving the number for the draft), the case file (created
    exclusively, so a number is never given twice), the audit entry, and the
    index row. A crash at any point leaves either no case and a reservation
    (submitting again creates the case under the reserved number) or the case,
    which opening completes; never two cases for one draft. A crash between the
    audit entry and the row can leave the creation audited twice, the second
    entry marked ``"recovered": true``; an entry is never lost.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        keep_request_ids: int = DEFAULT_KEEP,
        rebuild_index: bool = False,
    ) -> None:
        """Open (creating if needed) the data directory.

        ``rebuild_index`` rebuilds the case index from the case files (and the
        evidence holds from the conversation files) instead of reading them, as
        ``python -m bot reindex`` does through :func:`rebuild_index`.
        """
        self.data_dir = Path(data_dir)
        self._layout = DataLayout(self.data_dir)
        self._layout.create_dirs()
        self._lock_fd: int | None = lock_data_dir(self._layout)
        try:
            self._files = DurableFiles(self._layout.tmp_dir, self._layout.quarantine_dir)
            check_schema(self._layout, self._files)  # NeedsMigration for an older layout
            leftovers = self._files.clear_tmp()
            if leftovers:
                log.warning("%s: removed %d unfinished temporary files", self.data_dir, leftovers)
            self._entities = EntityFiles(self.data_dir, self._files)
            self._evidence = EvidenceFiles(self._layout, self._files)
            self._draft_locks = _LockStripes()
            self._case_locks = _LockStripes()
            self._audit = JsonLinesLog(self._layout.audit_file, self._files)
            # case number -> byte offsets of its audit lines; built on first use.
            self._audit_offsets: dict[str, list[int]] | None = None
            self._audit_offsets_end = 0
            self._cases_dir = str(self._layout.cases_dir)
            self._audit_offsets_lock = threading.Lock()
            self._audit.repair_tail()
            self._audit.open()
            # Request ids are written, not fsync'd (see Storage.mark_request).
            self._requests = RequestIdFile(
                JsonLinesLog(self._layout.request_ids_file, self._files, fsync=False),
                JsonLinesLog(self._layout.previous_request_ids_file, self._files, fsync=False),
                keep_request_ids,
            )
            self._requests.load()
            self._index = CaseIndex(JsonLinesLog(self._layout.index_file, self._files))
            self._open_index(force_rebuild=rebuild_index)
            self._evidence_locks = _LockStripes()
            self._holds = DraftHolds(JsonLinesLog(self._layout.evidence_holds_file, self._files))
            self._open_holds(force_rebuild=rebuild_index)
            self._notices = NoticeLog(JsonLinesLog(self._layout.notices_file, self._files))
            self._notices.load()
            self._web = WebChatFiles(self.data_dir)
        except BaseException:
            self.close()
            raise

    # -- opening -----------------------------------------------------------------------
    def _open_index(self, *, force_rebuild: bool) -> None:
        pending: list[Intent] = []
        rebuild = force_rebuild
        missing = not self._layout.index_file.exists()
        rebuild = rebuild or missing
        if not rebuild:
            try:
                pending = self._index.load()
            except DamagedLog as exc:
                moved = self._files.quarantine(self._layout.index_file, self.data_dir, str(exc))
                log.error("case index damaged (%s), moved to %s; rebuilding", exc, moved)
                rebuild = True
        if rebuild:
            count = self._index.rebuild(self._scan_cases())
            if missing and count and not force_rebuild:
                log.warning("%s: case index was missing; rebuilt from case files", self.data_dir)
            log.info("%s: case index rebuilt with %d cases", self.data_dir, count)
        else:
            for intent in pending:
                self._settle(intent)
        # A quarantined case file no longer holds its number on disk, and a
        # rebuilt index does not know it: keep it out of the draw all the same.
        for number in self._quarantined_case_numbers():
            self._index.mark_taken(number)

    def _open_holds(self, *, force_rebuild: bool) -> None:
        """Load what drafts hold; rebuild it from the conversations when asked, missing or damaged.

        What cases hold needs nothing more: the case index knows every case's files.
        """
        rebuild = force_rebuild or not self._layout.evidence_holds_file.exists()
        if not rebuild:
            try:
                self._holds.load()
            except DamagedLog as exc:
                moved = self._files.quarantine(
                    self._layout.evidence_holds_file, self.data_dir, str(exc)
                )
                log.error("evidence holds damaged (%s), moved to %s; rebuilding", exc, moved)
                rebuild = True
        if rebuild:
            count = self._holds.rebuild(
                (draft_holder(record.user_id), record.evidence_sha256())
                for record in self.iter_conversations()
            )
            log.info("%s: evidence holds rebuilt: %d drafts hold files", self.data_dir, count)

    def _quarantined_case_numbers(self) -> Iterator[str]:
        prefix = self._layout.cases_dir.name + "__"
        for name in os.listdir(self._layout.quarantine_dir):
            if name.startswith(prefix):
                # cases__<fan-out>__<number>.json.<time>.<n>, see DurableFiles.quarantine
                number = normalize_case_number(name.split("__")[-1].split(".")[0])
                if number is not None:
                    yield number

    def _scan_cases(self) -> Iterator[tuple[CaseSummary, str]]:
        for path in self._layout.iter_case_files():
            number = path.name.removesuffix(".json")
            try:
                case = self._read_case(number)
            except CorruptFile:
                continue  # quarantined and logged; the rebuilt index leaves it out
            if case is not None:
                yield case.summary(), case.draft_id

    def _settle(self, intent: Intent) -> None:
        """Finish an intent a crash interrupted, from what its case file says now."""
        try:
            case = self._read_case(intent.case_number)
        except CorruptFile:
            case = None
        if intent.draft_id is not None:
            applied = case is not None and case.draft_id == intent.draft_id
        else:
            applied = case is not None and self._index.row(case.case_number) != case.summary()
        if not applied:
            # A creation that never wrote its file leaves the number reserved
            # for the draft (the begin line stays); an update left no trace.
            self._index.abandon(intent.seq)
            return
        assert case is not None
        if intent.audit is not None:
            self._append_audit(_recovered(intent.audit))
        self._index.commit(intent.seq, case.summary(), case.draft_id)

    # -- conversations -----------------------------------------------------------------
    def load_conversation(self, user_id: UserKey) -> ConversationRecord | None:
        path = self._layout.conversation_file(user_id)
        doc = self._entities.load(path, CONVERSATION_TABLE)
        if doc is None:
            return None
        try:
            record = ConversationRecord.from_dict(doc, copy_data=False)  # just parsed
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise self._entities.corrupt(path, f"not a conversation: {exc}") from exc
        if record.user_id != user_id:
            raise self._entities.corrupt(path, f"holds user {record.user_id}, not {user_id}")
        return record

    def save_conversation(self, record: ConversationRecord) -> None:
        path = self._layout.conversation_file(record.user_id)
        # Serialised in this call: the record's own values, not a copy of them.
        self._entities.save(path, CONVERSATION_TABLE, record.to_dict(copy_data=False))

    def delete_conversation(self, user_id: UserKey) -> None:
        self._entities.delete(self._layout.conversation_file(user_id))

    def iter_conversations(self) -> Iterator[ConversationRecord]:
        """Yield every readable conversation; unreadable ones are quarantined, logged and skipped.

        One damaged file must not stop reminders and expiry for everybody else.
        """
        for path in self._layout.iter_conversation_files():
            try:
                user_id = UserKey.parse(path.name.removesuffix(".json"))
            except ValueError:
                continue
            try:
                record = self.load_conversation(user_id)
            except CorruptFile:
                continue
            if record is not None:
                yield record

    # -- per-user preferences ---------------------------------------------------------
    def load_user_lang(self, user_id: UserKey) -> str | None:
        """The user's chosen language; a damaged file is quarantined and reads as none."""
        path = self._layout.user_file(user_id)
        try:
            doc = self._entities.load(path, USER_TABLE)
        except CorruptFile as exc:
            log.warning("language preference of user %s unreadable: %s", user_id, exc)
            return None
        lang = (doc or {}).get("lang")
        return lang if isinstance(lang, str) else None

    def save_user_lang(self, user_id: UserKey, lang: str | None) -> None:
        path = self._layout.user_file(user_id)
        if lang is None:
            self._entities.delete(path)
        else:
            self._entities.save(path, USER_TABLE, {"user_id": str(user_id), "lang": str(lang)})

    # -- cases -------------------------------------------------------------------------
    def _read_case(self, number: str) -> Case | None:
        # A string path (the same file as layout.case_file): building pathlib objects
        # for every case is a tenth of an export's time.
        path = os.path.join(self._cases_dir, fan_out(number), number + CASE_SUFFIX)
        doc = self._entities.peek(path, CASE_TABLE)
        if doc is None:
            return None
        try:
            case = Case.from_dict(doc, copy_data=False)  # freshly parsed: nobody else holds it
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise self._entities.corrupt(Path(path), f"not a case: {exc}") from exc
        if case.case_number != number:
            raise self._entities.corrupt(Path(path), f"holds case {case.case_number!r}")
        return case

    def create_case(self, draft: CaseDraft, now: float) -> Case:
        if not draft.draft_id:
            raise ValueError("create_case needs a draft_id: it is what makes submitting idempotent")
        with self._draft_locks(draft.draft_id):
            number = self._index.case_number_for_draft(draft.draft_id)
            if number is not None:
                case = self._resume_draft(number, draft, now)
                if case is not None:
                    return case
            while True:
                number = new_case_number()
                case = case_from_draft(draft, number, now)
                audit = created_entry(case)
                seq = self._index.begin(
                    number, draft_id=draft.draft_id, audit=audit, new_number=True
                )
                if seq is None:
                    continue  # drawn before: draw again
                if self._write_new_case(seq, case, audit):
                    return case  # built here from copies of the draft: nobody else holds it

    def _resume_draft(self, number: str, draft: CaseDraft, now: float) -> Case | None:
        """Return the case an earlier submit of this draft created or reserved, or None."""
        with self._case_locks(number):
            existing = self._read_case(number)
            if existing is not None:
                if existing.draft_id != draft.draft_id:
                    return None  # the reserved number went to another case: draw a new one
                if existing.user_id != draft.user_id:
                    raise ValueError(f"draft {draft.draft_id!r} belongs to another user")
                if not self._index.has_row(number):
                    # Created, but an error (not a crash: opening settles those)
                    # cut the call short before the row; the audit entry may be
                    # missing too, so write it again, marked as recovered.
                    entry = _recovered(created_entry(existing))
                    seq = self._index.begin(number, draft_id=None, audit=entry, new_number=False)
                    self._append_audit(entry)
                    self._index.commit(seq, existing.summary(), existing.draft_id)
                return existing
        # Reserved by a submit that crashed before writing the case file.
        case = case_from_draft(draft, number, now)
        audit = created_entry(case)
        seq = self._index.begin(number, draft_id=draft.draft_id, audit=audit, new_number=False)
        if self._write_new_case(seq, case, audit):
            return case
        return None

    def _write_new_case(self, seq: int, case: Case, audit: AuditEntry) -> bool:
        """Create the case file, audit and index it; False when the number is taken on disk."""
        with self._case_locks(case.case_number):
            try:
                self._entities.create(
                    self._layout.case_file(case.case_number), CASE_TABLE, case_view(case)
                )
            except FileExistsError:
                self._index.abandon(seq)
                return False
            self._append_audit(audit)
            self._index.commit(seq, case.summary(), case.draft_id)
        return True

    def get_case(self, case_number: str) -> Case | None:
        number = normalize_case_number(case_number)
        if number is None:
            return None
        return self._read_case(number)

    def update_case(self, case_number: str, change: CaseChange) -> Case:
        number = normalize_case_number(case_number)
        if number is None:
            raise CaseNotFound(case_number)
        with self._case_locks(number):
            case = self._read_case(number)
            if case is None:
                raise CaseNotFound(case_number)
            updated = apply_update(case, change)
            if updated is None:
                return case
            new, entry = updated
            seq = self._index.begin(number, draft_id=None, audit=entry, new_number=False)
            self._entities.save(self._layout.case_file(number), CASE_TABLE, case_view(new))
            self._append_audit(entry)
            self._index.commit(seq, new.summary(), new.draft_id)
            return new

    def list_cases(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        return self._index.list(filter)

    # -- evidence ----------------------------------------------------------------------
    def put_evidence(self, data: bytes, *, holder: str | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        # Holding and storing are one step for this file: a release deciding to
        # delete it waits, then sees the new holder (or deletes first, and the
        # file is stored again here).
        with self._evidence_locks(digest):
            if holder is not None:
                self._holds.hold(holder, digest)  # durable before the file exists
            self._evidence.put(data, digest)
        return digest

    def release_evidence(self, holder: str, *, keep: Collection[str] = ()) -> list[str]:
        deleted = []
        for digest in sorted(self._holds.release(holder, keep)):
            with self._evidence_locks(digest):
                if self._holds.is_held(digest) or self._index.cases_holding(digest):
                    continue
                try:
                    if self._evidence.delete(digest):
                        deleted.append(digest)
                except EvidenceNotFound:
                    continue  # not a hash (a damaged conversation): nothing on disk
        return deleted

    def evidence_holders(self, sha256: str) -> frozenset[str]:
        check_sha256(sha256)
        cases = {case_holder(n) for n in self._index.cases_holding(sha256)}
        return self._holds.holders(sha256) | cases

    def put_evidence_file(
        self, path: Path, sha256: str | None = None, *, holder: str | None = None
    ) -> str:
        path = Path(path)
        digest = check_sha256(sha256) if sha256 is not None else file_sha256(path)
        with self._evidence_locks(digest):  # as in put_evidence
            if holder is not None:
                self._holds.hold(holder, digest)
            self._evidence.put_file(path, digest)
        return digest

    def spool_dir(self) -> Path:
        """The data directory's ``tmp/``, emptied when the store opens."""
        return self._layout.tmp_dir

    def open_evidence(self, sha256: str) -> BinaryIO:
        return self._evidence.open(sha256)

    def evidence_size(self, sha256: str) -> int:
        return self._evidence.size(sha256)

    # -- processed requests ------------------------------------------------------------
    def seen_request(self, channel: str, request_id: str) -> bool:
        return request_key(channel, request_id) in self._requests

    def mark_request(self, channel: str, request_id: str) -> None:
        self._requests.mark(request_key(channel, request_id))

    # -- the web chat's pages (storage/webchat_files.py) ------------------------------------
    def web_transcript(self, visitor: str) -> list[tuple[int, list[dict[str, Any]]]]:
        return self._web.load(visitor)

    def web_transcript_tail(
        self, visitor: str
    ) -> tuple[int, list[tuple[int, list[dict[str, Any]]]]]:
        return self._web.tail(visitor)  # the file's lines counted, only the last ones parsed

    def append_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        self._web.append(visitor, seq, bubbles)

    def replace_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        self._web.replace(visitor, seq, bubbles)

    def delete_web_transcript(self, visitor: str) -> None:
        self._web.delete(visitor)

    def web_secret(self, proposed: str) -> str:
        return self._web.secret(proposed)

    # -- notices -----------------------------------------------------------------------
    def add_notice(self, notice: Notice) -> None:
        self._notices.add(notice)

    def get_notice(self, notice_id: str) -> Notice | None:
        return self._notices.get(notice_id)

    def undelivered_notices(self, user_id: UserKey | None = None) -> list[Notice]:
        return self._notices.undelivered(user_id)

    def undelivered_by_case(self) -> dict[str, int]:
        return self._notices.undelivered_by_case()

    def mark_notice_delivered(self, notice_id: str, at: float) -> Notice:
        return self._notices.change(notice_id, lambda n: notice_delivered(n, at))

    def mark_notice_failed(self, notice_id: str, at: float, error: str) -> Notice:
        return self._notices.change(notice_id, lambda n: notice_failed(n, at, error))

    def drop_caseless_notices(self, user_id: UserKey) -> list[str]:
        return self._notices.drop_caseless(user_id)

    # -- audit -------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        self._append_audit(entry)

    def _append_audit(self, entry: AuditEntry) -> None:
        offset = self._audit.append(audit_view(entry))
        if entry.case_number is not None:
            with self._audit_offsets_lock:
                # A line below the built map's end was already found by its scan.
                if self._audit_offsets is not None and offset >= self._audit_offsets_end:
                    self._audit_offsets.setdefault(entry.case_number, []).append(offset)

    def _case_audit_offsets(self, case_number: str) -> list[int]:
        """Byte offsets of one case's audit lines (the map is built by one scan, then kept)."""
        with self._audit_offsets_lock:
            if self._audit_offsets is None:
                offsets: dict[str, list[int]] = {}
                end = self._audit.size()
                for offset, value in self._audit.scan_with_offsets(end=end):
                    number = value.get("case_number") if isinstance(value, dict) else None
                    if number:
                        offsets.setdefault(number, []).append(offset)
                self._audit_offsets = offsets
                self._audit_offsets_end = end
            return list(self._audit_offsets.get(case_number, ()))

    def iter_audit(self, case_number: str | None = None) -> Iterator[AuditEntry]:
        wanted = None
        if case_number is not None:
            wanted = normalize_case_number(case_number) or case_number
            # One case's trail is read line by line from its offsets: a case page
            # must not cost a scan of everybody's audit log.
            for value in self._audit.read_at(self._case_audit_offsets(wanted)):
                entry = _audit_entry(value)
                if entry is not None and entry.case_number == wanted:
                    yield entry
            return
        # Read only what was complete when asked: a line being appended meanwhile
        # is not half-read, and the generator never sees its own later appends.
        end = self._audit.size()
        for value in self._audit.scan(repair=False, strict=False, end=end):
            entry = _audit_entry(value)
            if entry is None:
                log.warning("%s: skipped an audit line that is not an entry", self._audit.path)
                continue
            if wanted is None or entry.case_number == wanted:
                yield entry

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        """Close the logs and release the data directory; calling it twice is harmless."""
        for name in ("_audit", "_requests", "_index", "_holds", "_notices"):
            part = getattr(self, name, None)
            if part is not None:
                part.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None


def rebuild_index(data_dir: Path) -> int:
    """Rebuild the case index of ``data_dir`` from its case files, and which evidence
    files drafts hold from the conversation files; return the number of cases.

    Unreadable case and conversation files are quarantined and left out. Raises
    :class:`storage.DataDirInUse` while another process (e.g. the running bot)
    has the directory open.
    """
    store = TinyDBStorage(Path(data_dir), rebuild_index=True)
    try:
        return len(store._index)
    finally:
        store.close()


def _recovered(entry: AuditEntry) -> AuditEntry:
    """The entry again, marked as written after the fact (it may be there already)."""
    return replace(entry, detail={**entry.detail, "recovered": True})


def _audit_entry(value: Any) -> AuditEntry | None:
    try:
        return AuditEntry.from_dict(value)
    except (TypeError, ValueError):
        return None


def lock_data_dir(layout: DataLayout) -> int:
    fd = os.open(layout.lock_file, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirInUse(layout.root) from None
    except BaseException:
        os.close(fd)
        raise
    return fd
