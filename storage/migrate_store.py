"""``python -m bot migrate-store --to postgres``: copy a TinyDB data directory into PostgreSQL.

What is copied: conversations, chosen languages, cases (with their numbers, index
columns, evidence holds and message threads), evidence files (the bytes, into the
blob table), the drafts' holds on evidence, the audit log, notices (delivered or
not, with their attempts), processed request ids of every channel, the web chat's
pages (``DATA_DIR/webchat/``) and its signing secret (``DATA_DIR/web_secret``, which
signed the visitors' cookies and lookup codes). Staff web sessions are in memory on
TinyDB: nothing to copy (staff sign in again).

1. The data directory is opened as the bot opens it (:class:`TinyDBStorage`), so
   its lock is taken: while the bot holds the directory this refuses
   (:class:`storage.DataDirInUse`), and the bot cannot start on it during the copy.
   A directory of an older layout is refused too (``python -m bot migrate`` first).
2. The database is opened as the bot opens it (its migrations applied).
3. Each kind is copied so that running the command again changes nothing:
   cases, notices and request ids are inserted unless there; a conversation
   replaces the database's only when newer (``updated_at``), a web chat page only
   when its last request number is higher; evidence bytes are inserted unless
   there; audit entries continue after the ones a previous run copied (the count is
   kept in ``store_meta``; the audit log is append-only); the web secret is kept
   unless the database has one.
4. Verified: every conversation, case, language, evidence file, notice and web chat
   page of the directory is in the database, the audit entries copied number as
   many as the directory has, the database's web secret is the directory's, and
   the sha256 of every evidence file, computed from the directory's bytes and by
   the database from its own, is the file's name. Any difference raises
   :class:`MigrationMismatch` naming it.

Stop the bot before and point it at ``DATABASE_URL`` after: the copy is a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.identity import UserKey
from storage.data_layout import USER_SUFFIX, DataLayout
from storage.durable_files import DurableFiles
from storage.errors import StorageError
from storage.jsonl_log import JsonLinesLog
from storage.postgres import PostgresStorage
from storage.records import DRAFT_HOLDER_PREFIX, Case, Notice
from storage.tinydb_store import TinyDBStorage
from storage.webchat_files import WebChatFiles

log = logging.getLogger(__name__)

AUDIT_COPIED = "migrated_audit_entries"  # store_meta: audit entries copied so far
BATCH = 500


class MigrationMismatch(StorageError):
    """What the database holds after the copy differs from the data directory."""


@dataclass(frozen=True)
class Copied:
    """What the directory holds (all of it is in the database after the copy)."""

    conversations: int
    users: int
    cases: int
    evidence_files: int
    evidence_bytes: int
    audit_entries: int
    audit_copied_now: int
    notices: int
    request_ids: int
    web_transcripts: int  # visitors whose page the directory keeps
    web_secret: bool  # whether the directory keeps a web chat secret


def migrate_store(data_dir: Path, database_url: str) -> Copied:
    """Copy ``data_dir`` into the database at ``database_url`` and verify it (see module)."""
    tiny = TinyDBStorage(data_dir)  # takes the directory's lock: DataDirInUse while the bot runs
    try:
        pg = PostgresStorage(database_url, pool_size=2)
        try:
            return _copy(tiny, DataLayout(Path(data_dir)), pg)
        finally:
            pg.close()
    finally:
        tiny.close()


def _copy(tiny: TinyDBStorage, layout: DataLayout, pg: PostgresStorage) -> Copied:
    # Evidence first, so a case or draft never holds a file the database lacks.
    files, size = _copy_evidence(layout, pg)
    numbers = [row.case_number for row in tiny.list_cases()]
    for start in range(0, len(numbers), BATCH):
        cases = [tiny.get_case(n) for n in numbers[start : start + BATCH]]
        pg.copy_cases([c for c in cases if c is not None])
    conversations = list(tiny.iter_conversations())
    for start in range(0, len(conversations), BATCH):
        pg.copy_conversations(conversations[start : start + BATCH])
    holds = [
        (holder, path.name)
        for path in _evidence_paths(layout)
        for holder in sorted(tiny.evidence_holders(path.name))
        if holder.startswith(DRAFT_HOLDER_PREFIX)
    ]
    pg.copy_holds(holds)
    users = _copy_languages(tiny, layout, pg)
    audit_total, audit_now = _copy_audit(tiny, pg)
    notices = _notices(layout)
    pg.copy_notices(list(notices.values()))
    requests = _request_keys(layout)
    pg.copy_requests(requests)
    pages = _copy_web_pages(tiny, layout, pg)
    secret = WebChatFiles(layout.root, writable=False).stored_secret()
    if secret is not None:
        pg.web_secret(secret)
    _verify(tiny, layout, pg, numbers, conversations, users, notices, audit_total)
    _verify_web(pg, pages, secret)
    return Copied(
        conversations=len(conversations),
        users=len(users),
        cases=len(numbers),
        evidence_files=files,
        evidence_bytes=size,
        audit_entries=audit_total,
        audit_copied_now=audit_now,
        notices=len(notices),
        request_ids=len(requests),
        web_transcripts=len(pages),
        web_secret=secret is not None,
    )


def _evidence_paths(layout: DataLayout) -> list[Path]:
    return sorted(p for p in layout.evidence_dir.glob("??/*") if p.is_file() and len(p.name) == 64)


def _copy_evidence(layout: DataLayout, pg: PostgresStorage) -> tuple[int, int]:
    count = size = 0
    for path in _evidence_paths(layout):
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != path.name:
            raise MigrationMismatch(f"evidence file {path} does not hold the bytes of its name")
        if not pg.blobs.exists(path.name):
            pg.blobs.put(path.name, data)
        count += 1
        size += len(data)
    return count, size


def _copy_web_pages(
    tiny: TinyDBStorage, layout: DataLayout, pg: PostgresStorage
) -> dict[str, list[tuple[int, list[dict[str, Any]]]]]:
    """Every visitor's page kept under ``webchat/chats/`` (read through the store)."""
    pages = {}
    for path in sorted(WebChatFiles(layout.root, writable=False).chats.glob("??/*.jsonl")):
        visitor = path.name[: -len(".jsonl")]
        entries = tiny.web_transcript(visitor)
        if entries:
            pg.copy_web_transcript(visitor, entries)
            pages[visitor] = entries
    return pages


def _verify_web(
    pg: PostgresStorage,
    pages: dict[str, list[tuple[int, list[dict[str, Any]]]]],
    secret: str | None,
) -> None:
    problems = []
    # A page the bot wrote after a first copy may be newer; never older or absent.
    behind = [v for v, entries in pages.items() if _last_seq(pg.web_transcript(v)) < entries[-1][0]]
    if behind:
        problems.append(f"{len(behind)} web chat pages missing or older, e.g. {behind[0]}")
    if secret is not None and pg.web_secret(secret) != secret:
        problems.append(
            "the database has a web chat secret of its own (the bot ran on it before the"
            " copy), but the directory's signed the visitors' cookies and lookup codes:"
            " give the bot WEB_SECRET set to DATA_DIR/web_secret's, or delete the database's"
            " (store_meta key 'web_secret') and run this again"
        )
    if problems:
        raise MigrationMismatch(
            "the copy does not match the data directory: " + "; ".join(problems)
        )


def _last_seq(entries: list[tuple[int, list[dict[str, Any]]]]) -> int:
    return entries[-1][0] if entries else -1


def _copy_languages(
    tiny: TinyDBStorage, layout: DataLayout, pg: PostgresStorage
) -> dict[UserKey, str]:
    found: dict[UserKey, str] = {}
    for path in layout.iter_user_files():
        try:
            user = UserKey.parse(path.name[: -len(USER_SUFFIX)])
        except ValueError:
            log.warning("migrate-store: skipped %s (not a user key)", path)
            continue
        lang = tiny.load_user_lang(user)
        if lang is not None:
            found[user] = lang
    for user, lang in found.items():
        pg.save_user_lang(user, lang)
    return found


def _copy_audit(tiny: TinyDBStorage, pg: PostgresStorage) -> tuple[int, int]:
    done = pg.meta_int(AUDIT_COPIED)
    total = copied = 0
    batch = []
    for entry in tiny.iter_audit():
        total += 1
        if total <= done:
            continue
        batch.append(entry)
        if len(batch) >= BATCH:
            pg.copy_audit(batch, AUDIT_COPIED, done + copied + len(batch))
            copied += len(batch)
            batch = []
    if batch:
        pg.copy_audit(batch, AUDIT_COPIED, done + copied + len(batch))
        copied += len(batch)
    return total, copied


def _notices(layout: DataLayout) -> dict[str, Notice]:
    """Every notice as its last line in notices.jsonl leaves it (a dropped one left out)."""
    found: dict[str, Notice] = {}
    for value in _log(layout, layout.notices_file).scan(repair=False, strict=False):
        if isinstance(value, dict) and value.get("dropped") is True:
            found.pop(str(value.get("notice_id")), None)
            continue
        try:
            notice = Notice.from_dict(value)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        found[notice.notice_id] = notice
    return found


def _request_keys(layout: DataLayout) -> list[tuple[str, str]]:
    """Processed requests, oldest first, as (channel, request id)."""
    keys: dict[str, None] = {}
    for path in (layout.previous_request_ids_file, layout.request_ids_file):
        for value in _log(layout, path).scan(repair=False, strict=False):
            if isinstance(value, str) and ":" in value:
                keys[value] = None
    return [(k.split(":", 1)[0], k.split(":", 1)[1]) for k in keys]


def _log(layout: DataLayout, path: Path) -> JsonLinesLog:
    """A log read here, never written (nothing is repaired: the store did that on opening)."""
    return JsonLinesLog(path, DurableFiles(layout.tmp_dir, layout.quarantine_dir), fsync=False)


def _verify(
    tiny: TinyDBStorage,
    layout: DataLayout,
    pg: PostgresStorage,
    numbers: list[str],
    conversations: list[Any],
    users: dict[UserKey, str],
    notices: dict[str, Notice],
    audit_total: int,
) -> None:
    problems = []
    missing_cases = pg.missing("cases", "case_number", numbers)
    if missing_cases:
        problems.append(f"{len(missing_cases)} cases missing, e.g. {missing_cases[0]}")
    users_of = [str(r.user_id) for r in conversations]
    missing_conversations = pg.missing("conversations", "user_id", users_of)
    if missing_conversations:
        problems.append(f"{len(missing_conversations)} conversations missing")
    for user, lang in users.items():
        if pg.load_user_lang(user) != lang:
            problems.append(f"language of {user} differs")
            break
    missing_notices = pg.missing("notices", "notice_id", list(notices))
    if missing_notices:
        problems.append(f"{len(missing_notices)} notices missing")
    if pg.meta_int(AUDIT_COPIED) != audit_total:
        problems.append(f"audit: {pg.meta_int(AUDIT_COPIED)} copied of {audit_total}")
    names = [p.name for p in _evidence_paths(layout)]
    missing_files = pg.missing("evidence_blobs", "sha256", names)
    if missing_files:
        problems.append(f"{len(missing_files)} evidence files missing")
    bad = pg.evidence_digest_mismatches(names)
    if bad:
        problems.append(f"{len(bad)} evidence files differ from their sha256, e.g. {bad[0]}")
    for number in numbers[:: max(1, len(numbers) // 100)]:  # a sample compared whole
        if json.dumps(_plain(tiny.get_case(number)), sort_keys=True) != json.dumps(
            _plain(pg.get_case(number)), sort_keys=True
        ):
            problems.append(f"case {number} differs")
            break
    if problems:
        raise MigrationMismatch(
            "the copy does not match the data directory: " + "; ".join(problems)
        )


def _plain(case: Case | None) -> dict[str, Any] | None:
    return None if case is None else case.to_dict()
