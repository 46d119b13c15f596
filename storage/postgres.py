"""The PostgreSQL storage: the same contract as TinyDB, shared by any number of bot processes.

Selected by ``DATABASE_URL`` (see ``bot/__main__.py``). Built on psycopg 3 with a
*synchronous* ``psycopg_pool.ConnectionPool``: the contract (storage/base.py) is
synchronous and the bot already calls it from worker threads (``asyncio.to_thread``
and the intake's executor), so a thread-safe sync pool serves those threads without a
second event loop; an async pool would need an async contract first.

- Schema: numbered SQL files in ``storage/postgres_migrations`` applied at start-up
  under a session advisory lock, so two instances starting together apply each once
  (:func:`apply_migrations`).
- Every write is one transaction, committed with the server's ``synchronous_commit``
  (on by default): a method that returned has made its write durable.
- Case numbers come from a sequence through a keyed permutation with the check
  character (:func:`storage.case_numbers.case_number_from_sequence`); the key is drawn
  once per database and kept in ``store_meta``.
- Evidence bytes are in a blob table (``STORAGE EXTERNAL``) behind
  :class:`storage.blobs.BlobStore`; who holds which file is in ``evidence_holds`` and
  ``case_evidence``, and changes of one file's holders are serialised by a
  transaction-level advisory lock on its sha256.
- Listing, filtering, sorting and paging are SQL on indexed columns
  (:meth:`PostgresStorage.list_cases_page`); :meth:`PostgresStorage.iter_cases` streams
  whole cases from a server-side cursor.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.base import Storage
from storage.case_changes import apply_update, case_from_draft, created_entry
from storage.case_numbers import SEQUENCE_SPACE, case_number_from_sequence, normalize_case_number
from storage.errors import CaseNotFound, EvidenceNotFound, NoticeNotFound, StorageError
from storage.evidence_files import check_sha256
from storage.postgres_claims import claim_notice
from storage.postgres_door_memory import PostgresDoorMemory
from storage.postgres_limits import PostgresLimits
from storage.postgres_turns import WAIT_S, DatabaseUnavailable, TurnPool, take_unreplied
from storage.records import (
    AuditEntry,
    Case,
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseStatus,
    CaseSummary,
    Notice,
    case_holder,
    notice_delivered,
    notice_failed,
)
from storage.request_ids import DEFAULT_KEEP, request_key

log = logging.getLogger(__name__)

T = TypeVar("T")

# pg_advisory_lock keys: (namespace, key) pairs, the namespace telling them apart.
MIGRATION_LOCK = 0x4F55_5441  # "OUTA": one session lock while migrations run
EVIDENCE_LOCK_SPACE = 1
# Sequence values a process draws at once: a number costs no round trip of its own.
# Values drawn and not used (a process stopping) are gaps, which numbers may have.
NUMBER_BATCH = 20  # (1, hashtext(sha256)): one file's holders change one at a time

_SUMMARY_COLUMNS = (
    "case_number, user_id, submitted_at, updated_at, status, tier, reporter_type, service, "
    "paid, monetary, amount, final_amount, evidence_sha256, "
    "message_count, unread_messages, last_message_at, thread_done"
)
_SUMMARY_PLACEHOLDERS = ", ".join(["%s"] * len(_SUMMARY_COLUMNS.split(",")))

# The staff list's sort orders, each served by an index on (column, submitted_at, number).
SORTS = {
    "oldest": "submitted_at, case_number",
    "newest": "submitted_at DESC, case_number DESC",
    "amount_desc": "amount DESC NULLS LAST, submitted_at, case_number",
    "amount_asc": "amount ASC NULLS LAST, submitted_at, case_number",
}


# -- migrations ----------------------------------------------------------------------------


def migrations() -> list[tuple[int, str, str]]:
    """The numbered SQL files shipped with the package: (number, name, sql), in order."""
    folder = resources.files("storage").joinpath("postgres_migrations")
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def apply_migrations(conninfo: str) -> list[int]:
    """Apply the migrations this database lacks; return the numbers applied here.

    Runs under a session advisory lock: a second process starting at the same moment
    waits, then finds them applied and applies nothing. Each migration is one
    transaction with its row in ``schema_migrations``.
    """
    applied_here = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for number, name, sql in migrations():
                if number in done:
                    continue
                with conn.transaction():
                    conn.execute(sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (number, name),
                    )
                log.info("applied migration %s", name)
                applied_here.append(number)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied_here


# -- evidence bytes ------------------------------------------------------------------------


class PostgresBlobs:
    """:class:`storage.blobs.BlobStore` in the ``evidence_blobs`` table."""

    def __init__(self, pool: ConnectionPool | TurnPool) -> None:
        self._pool = pool

    def put(self, sha256: str, data: bytes) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO evidence_blobs (sha256, size, data) VALUES (%s, %s, %s)"
                " ON CONFLICT (sha256) DO NOTHING",
                (sha256, len(data), data),
            )

    def exists(self, sha256: str) -> bool:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT 1 FROM evidence_blobs WHERE sha256 = %s", (sha256,))
            return row.fetchone() is not None

    def size(self, sha256: str) -> int | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT size FROM evidence_blobs WHERE sha256 = %s", (sha256,)
            ).fetchone()
        return None if row is None else int(row[0])

    def open(self, sha256: str) -> BinaryIO | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT data FROM evidence_blobs WHERE sha256 = %s", (sha256,)
            ).fetchone()
        return None if row is None else io.BytesIO(bytes(row[0]))

    def delete(self, sha256: str) -> bool:
        with self._pool.connection() as conn:
            gone = conn.execute(
                "DELETE FROM evidence_blobs WHERE sha256 = %s RETURNING 1", (sha256,)
            ).fetchone()
        return gone is not None


# -- the store -----------------------------------------------------------------------------
class PostgresStorage(Storage):
    """Storage in a PostgreSQL database, opened from a libpq URL (``DATABASE_URL``).

    Opening applies missing migrations (:func:`apply_migrations`). Several processes
    may open the same database at once; each keeps a pool of ``pool_size``
    connections. A call that gets no working connection within ``wait_s`` (the server
    down or restarting) raises :class:`DatabaseUnavailable`; the first call once the
    server accepts again is served (:class:`storage.postgres_turns.TurnPool`).
    """

    remote = True  # each call is a round trip, a write a commit waiting for the WAL flush
    claims_in_turn = True  # user_turn's claim (storage/postgres_turns.py) finds a duplicate

    def __init__(
        self,
        conninfo: str,
        *,
        keep_request_ids: int = DEFAULT_KEEP,
        pool_size: int = 10,
        migrate: bool = True,
        wait_s: float = WAIT_S,
    ) -> None:
        if keep_request_ids < 1:
            raise ValueError("keep_request_ids must be at least 1")
        self._keep = keep_request_ids
        try:
            if migrate:
                apply_migrations(conninfo)
            else:
                psycopg.connect(conninfo).close()
        except psycopg.OperationalError as exc:
            # The URL may hold a password: say what failed, not the URL.
            raise DatabaseUnavailable(f"cannot open the PostgreSQL database: {exc}") from None
        # Inside a person's turn (user_turn) the store's methods use the turn's connection.
        self._pool = TurnPool(
            ConnectionPool(
                conninfo,
                min_size=1,
                max_size=max(1, pool_size),
                kwargs={"autocommit": True},
                # TurnPool checks each connection as it lends it and replaces a dead one
                # at once; a failed connect is tried again on the next call, not after a
                # growing back-off (storage/postgres_turns.py, TurnPool).
                reconnect_timeout=0.0,
                open=True,
                name="outage-intake",
            ),
            wait_s=wait_s,
        )
        self._pool.wait()
        self.blobs = PostgresBlobs(self._pool)
        self._limits = PostgresLimits(self._pool)
        self._door_memory = PostgresDoorMemory(self._pool)
        self._number_key = self._case_number_key()
        self._numbers: deque[int] = deque()  # sequence values drawn, not yet used
        self._numbers_lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------
    def _tx(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``work`` in one transaction, again when the server chose it as a deadlock victim."""
        for attempt in range(5):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return work(conn)
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _case_number_key(self) -> bytes:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO store_meta (key, value) VALUES ('case_number_key', %s)"
                " ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(32),),
            )
            row = conn.execute(
                "SELECT value FROM store_meta WHERE key = 'case_number_key'"
            ).fetchone()
        assert row is not None
        return bytes.fromhex(row[0])

    @staticmethod
    def _lock_evidence(conn: psycopg.Connection[Any], digests: Collection[str]) -> None:
        """Take the advisory locks of these files, in one order so two writers never deadlock."""
        for digest in sorted(set(digests)):
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (EVIDENCE_LOCK_SPACE, digest)
            )

    # -- one person's turn, across instances (storage/postgres_turns.py) ----------------
    @contextmanager
    def user_turn(self, user_id: UserKey, request: tuple[str, str] | None = None) -> Iterator[bool]:
        """One transaction: the person's advisory lock, the request's claim, the body's writes."""
        with self._pool.turn(str(user_id), request, self._keep) as claimed:
            yield claimed

    def take_unreplied(self, channel: str, request_id: str, wait: float) -> bool:
        request_key(channel, request_id)
        if self._pool.in_turn():
            raise RuntimeError("take_unreplied inside a turn would hold the person's lock")
        return take_unreplied(self._pool, (channel, request_id), wait)

    # -- the per-client limits' counters (storage/postgres_limits.py, migration 0010) ----
    def shared_limits(self) -> PostgresLimits:
        return self._limits

    # -- what a door remembers of a person (storage/postgres_door_memory.py, 0011) ------
    def door_memory(self) -> PostgresDoorMemory:
        return self._door_memory

    # -- conversations -------------------------------------------------------------------
    def load_conversation(self, user_id: UserKey) -> ConversationRecord | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT data FROM conversations WHERE user_id = %s", (str(user_id),)
            ).fetchone()
        return None if row is None else ConversationRecord.from_dict(json.loads(row[0]))

    def save_conversation(self, record: ConversationRecord) -> None:
        data = _dump(record.to_dict())
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO conversations (user_id, updated_at, data) VALUES (%s, %s, %s)"
                " ON CONFLICT (user_id) DO UPDATE"
                " SET updated_at = EXCLUDED.updated_at, data = EXCLUDED.data",
                (str(record.user_id), float(record.updated_at), data),
            )

    def delete_conversation(self, user_id: UserKey) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM conversations WHERE user_id = %s", (str(user_id),))

    def iter_conversations(self, batch: int = 1000) -> Iterator[ConversationRecord]:
        # In batches by key: no connection is held while the caller works on a record.
        after = ""
        while True:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    "SELECT user_id, data FROM conversations WHERE user_id > %s"
                    " ORDER BY user_id LIMIT %s",
                    (after, batch),
                ).fetchall()
            for _, data in rows:
                yield ConversationRecord.from_dict(json.loads(data))
            if len(rows) < batch:
                return
            after = rows[-1][0]

    # -- per-user preferences ------------------------------------------------------------
    def load_user_lang(self, user_id: UserKey) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT lang FROM user_langs WHERE user_id = %s", (str(user_id),)
            ).fetchone()
        return None if row is None else str(row[0])

    def save_user_lang(self, user_id: UserKey, lang: str | None) -> None:
        with self._pool.connection() as conn:
            if lang is None:
                conn.execute("DELETE FROM user_langs WHERE user_id = %s", (str(user_id),))
            else:
                conn.execute(
                    "INSERT INTO user_langs (user_id, lang) VALUES (%s, %s)"
                    " ON CONFLICT (user_id) DO UPDATE SET lang = EXCLUDED.lang",
                    (str(user_id), str(lang)),
                )

    # -- cases ---------------------------------------------------------------------------
    def create_case(self, draft: CaseDraft, now: float) -> Case:
        """One round trip and one commit: the statements go as a pipeline.

        The new case's row, its evidence holds and its audit entry are one
        transaction; the holds and the entry are written only when the row was
        (the same draft submitted meanwhile makes the insert do nothing, and that
        case is returned). A number a migrated case already has draws the next.
        """
        if not draft.draft_id:
            raise ValueError("create_case needs a draft_id: it is what makes submitting idempotent")
        for _attempt in range(100):
            case = case_from_draft(draft, self._next_case_number(), now)
            entry = created_entry(case)
            digests = sorted({ref.sha256 for ref in case.evidence})
            mine = "EXISTS (SELECT 1 FROM cases WHERE case_number = %s AND draft_id = %s)"
            try:
                with self._pool.connection() as conn:
                    with conn.pipeline(), conn.transaction():
                        self._lock_evidence(conn, digests)
                        inserted = conn.execute(
                            f"INSERT INTO cases ({_SUMMARY_COLUMNS}, draft_id, data)"
                            f" VALUES ({_SUMMARY_PLACEHOLDERS}, %s, %s)"
                            " ON CONFLICT DO NOTHING RETURNING 1",
                            (*_summary_values(case), case.draft_id, _dump(case.to_dict())),
                        )
                        if digests:
                            conn.execute(
                                "INSERT INTO case_evidence (case_number, sha256)"
                                f" SELECT %s, unnest(%s::text[]) WHERE {mine}"
                                " ON CONFLICT DO NOTHING",
                                (case.case_number, digests, case.case_number, case.draft_id),
                            )
                        conn.execute(
                            "INSERT INTO audit (at, actor, action, case_number, detail)"
                            f" SELECT %s, %s, %s, %s, %s WHERE {mine}",
                            (
                                entry.at,
                                entry.actor,
                                entry.action,
                                entry.case_number,
                                _dump(entry.detail),
                                case.case_number,
                                case.draft_id,
                            ),
                        )
                    if inserted.fetchone() is not None:
                        return case
                    # The same draft was submitted meanwhile (it committed: take it), or
                    # the number is one a migrated case already has (draw the next).
                    existing = self._case_of_draft(conn, draft)
                    if existing is not None:
                        return existing
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                continue
        raise StorageError("no free case number after 100 draws")

    def _next_case_number(self) -> str:
        """The number of the next value of the sequence, drawn NUMBER_BATCH at a time."""
        with self._numbers_lock:
            if not self._numbers:
                with self._pool.connection() as conn:
                    rows = conn.execute(
                        "SELECT nextval('case_number_seq') FROM generate_series(1, %s)",
                        (NUMBER_BATCH,),
                    ).fetchall()
                self._numbers.extend(int(r[0]) for r in rows)
            n = self._numbers.popleft()
        return case_number_from_sequence(n % SEQUENCE_SPACE, self._number_key)

    def _case_of_draft(self, conn: psycopg.Connection[Any], draft: CaseDraft) -> Case | None:
        row = conn.execute(
            "SELECT data FROM cases WHERE draft_id = %s", (draft.draft_id,)
        ).fetchone()
        if row is None:
            return None
        case = _case(row[0])
        if case.user_id != draft.user_id:
            raise ValueError(f"draft {draft.draft_id!r} belongs to another user")
        return case

    def _hold_for_case(self, conn: psycopg.Connection[Any], case: Case) -> None:
        digests = [ref.sha256 for ref in case.evidence]
        if not digests:
            return
        self._lock_evidence(conn, digests)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO case_evidence (case_number, sha256) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                [(case.case_number, d) for d in sorted(set(digests))],
            )

    def get_case(self, case_number: str) -> Case | None:
        number = normalize_case_number(case_number)
        if number is None:
            return None
        with self._pool.connection() as conn:
            row = conn.execute("SELECT data FROM cases WHERE case_number = %s", (number,))
            found = row.fetchone()
        return None if found is None else _case(found[0])

    def update_case(self, case_number: str, change: CaseChange) -> Case:
        number = normalize_case_number(case_number)
        if number is None:
            raise CaseNotFound(case_number)

        def work(conn: psycopg.Connection[Any]) -> Case:
            row = conn.execute(
                "SELECT data FROM cases WHERE case_number = %s FOR UPDATE", (number,)
            ).fetchone()
            if row is None:
                raise CaseNotFound(case_number)
            current = _case(row[0])
            updated = apply_update(current, change)
            if updated is None:
                return current
            new, entry = updated
            # The whole index row is written again: it follows the case (summary()).
            conn.execute(
                f"UPDATE cases SET ({_SUMMARY_COLUMNS}, data) = ({_SUMMARY_PLACEHOLDERS}, %s)"
                " WHERE case_number = %s",
                (*_summary_values(new), _dump(new.to_dict()), number),
            )
            self._hold_for_case(conn, new)
            self._insert_audit(conn, entry)
            return new

        return self._tx(work)

    def list_cases(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        where, params = _where(filter)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM cases{where} ORDER BY submitted_at, case_number",
                params,
            ).fetchall()
        return [_summary(row) for row in rows]

    def count_cases(self, filter: CaseFilter | None = None) -> int:
        """How many cases match (one indexed count, no rows built)."""
        where, params = _where(filter)
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT count(*) FROM cases{where}", params).fetchone()
        return int(row[0]) if row else 0

    def list_cases_page(
        self,
        filter: CaseFilter | None = None,
        *,
        sort: str = "oldest",
        number_contains: str = "",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[int, list[CaseSummary]]:
        """One page of the staff list in SQL: (how many match, the rows of the page).

        ``sort`` is one of :data:`SORTS`; ``number_contains`` is part of a case
        number in compact form (hyphens ignored).
        """
        where, params = _where(filter)
        if number_contains:
            where += (" AND" if where else " WHERE") + " replace(case_number, '-', '') LIKE %s"
            params.append(f"%{_like_escape(number_contains)}%")
        order = SORTS.get(sort, SORTS["oldest"])
        with self._pool.connection() as conn:
            total_row = conn.execute(f"SELECT count(*) FROM cases{where}", params).fetchone()
            rows = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM cases{where} ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, max(0, limit), max(0, offset)],
            ).fetchall()
        return (int(total_row[0]) if total_row else 0), [_summary(row) for row in rows]

    def iter_cases(self, filter: CaseFilter | None = None, batch: int = 2000) -> Iterator[Case]:
        """Yield whole matching cases, oldest first, from a server-side cursor.

        Memory stays constant whatever the number of cases: ``batch`` rows at a
        time. The cursor holds one pooled connection until the iteration ends.
        """
        where, params = _where(filter)
        with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="iter_cases") as cur,
        ):
            cur.itersize = batch
            cur.execute(f"SELECT data FROM cases{where} ORDER BY submitted_at, case_number", params)
            for (data,) in cur:
                yield _case(data)

    def flag_facts(
        self, repeat_min_cases: int, outlier_factor: float, outlier_min_cases: int
    ) -> list[tuple[str, bool, bool, bool]]:
        """The facts behind bot/staff/flags.py's rules, computed in the database.

        Returns ``(case_number, repeat_user, shared_evidence, amount_outlier)`` for
        every case with at least one of them, so the staff side gets the flags of a
        million cases without reading a million rows into Python. The same rules
        as :func:`bot.staff.flags.compute_flags` (the median is ``percentile_cont``,
        which averages the middle two as :func:`statistics.median` does).
        """
        with self._pool.connection() as conn:
            rows = conn.execute(
                """
                WITH repeat_users AS (
                    SELECT user_id FROM cases GROUP BY user_id HAVING count(*) >= %(repeat)s
                ), shared AS (
                    SELECT e.sha256 FROM case_evidence e JOIN cases c USING (case_number)
                    GROUP BY e.sha256 HAVING count(DISTINCT c.user_id) > 1
                ), limits AS (
                    SELECT reporter_type,
                           %(factor)s * percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS lim
                    FROM cases WHERE monetary AND amount > 0
                    GROUP BY reporter_type HAVING count(*) >= %(min)s
                )
                SELECT case_number, bool_or(kind = 'r'), bool_or(kind = 's'), bool_or(kind = 'o')
                FROM (
                    SELECT c.case_number, 'r' AS kind FROM cases c JOIN repeat_users USING (user_id)
                    UNION ALL
                    SELECT e.case_number, 's' FROM case_evidence e JOIN shared USING (sha256)
                    UNION ALL
                    SELECT c.case_number, 'o' FROM cases c JOIN limits l USING (reporter_type)
                    WHERE c.monetary AND c.amount IS NOT NULL AND c.amount > l.lim
                ) facts
                GROUP BY case_number
                """,
                {"repeat": repeat_min_cases, "factor": outlier_factor, "min": outlier_min_cases},
            ).fetchall()
        return [(str(n), bool(r), bool(s), bool(o)) for n, r, s, o in rows]

    # -- evidence ------------------------------------------------------------------------
    def put_evidence(self, data: bytes, *, holder: str | None = None) -> str:
        data = bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        self._store_held(digest, lambda: data, holder)
        return digest

    def _store_held(self, digest: str, read: Callable[[], bytes], holder: str | None) -> None:
        """Store the bytes unless stored, and record ``holder``'s hold, under the file's lock."""

        def work(conn: psycopg.Connection[Any]) -> None:
            self._lock_evidence(conn, [digest])
            if holder is not None:
                conn.execute(
                    "INSERT INTO evidence_holds (holder, sha256) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (holder, digest),
                )
            present = conn.execute(
                "SELECT 1 FROM evidence_blobs WHERE sha256 = %s", (digest,)
            ).fetchone()
            if present is None:
                data = read()
                conn.execute(
                    "INSERT INTO evidence_blobs (sha256, size, data) VALUES (%s, %s, %s)"
                    " ON CONFLICT (sha256) DO NOTHING",
                    (digest, len(data), data),
                )

        self._tx(work)

    def release_evidence(self, holder: str, *, keep: Collection[str] = ()) -> list[str]:
        keep_list = sorted({k for k in keep if isinstance(k, str)})

        def held_now(conn: psycopg.Connection[Any]) -> list[str]:
            return [
                row[0]
                for row in conn.execute(
                    "SELECT sha256 FROM evidence_holds WHERE holder = %s"
                    " AND NOT (sha256 = ANY(%s))",
                    (holder, keep_list),
                )
            ]

        # Nearly every call (each update of a draft) finds nothing to release: that one
        # read decides without a transaction (a savepoint inside a turn), which cost two
        # more round trips per update. It is the read the transaction would begin with.
        with self._pool.connection() as conn:
            if not held_now(conn):
                return []

        def work(conn: psycopg.Connection[Any]) -> list[str]:
            held = held_now(conn)
            if not held:
                return []
            self._lock_evidence(conn, held)
            released = [
                row[0]
                for row in conn.execute(
                    "DELETE FROM evidence_holds WHERE holder = %s AND sha256 = ANY(%s)"
                    " RETURNING sha256",
                    (holder, held),
                )
            ]
            deleted = []
            for digest in sorted(released):
                gone = conn.execute(
                    "DELETE FROM evidence_blobs WHERE sha256 = %s"
                    " AND NOT EXISTS (SELECT 1 FROM evidence_holds WHERE sha256 = %s)"
                    " AND NOT EXISTS (SELECT 1 FROM case_evidence WHERE sha256 = %s)"
                    " RETURNING 1",
                    (digest, digest, digest),
                ).fetchone()
                if gone is not None:
                    deleted.append(digest)
            return deleted

        return self._tx(work)

    def evidence_holders(self, sha256: str) -> frozenset[str]:
        digest = check_sha256(sha256)
        with self._pool.connection() as conn:
            drafts = conn.execute(
                "SELECT holder FROM evidence_holds WHERE sha256 = %s", (digest,)
            ).fetchall()
            cases = conn.execute(
                "SELECT case_number FROM case_evidence WHERE sha256 = %s", (digest,)
            ).fetchall()
        return frozenset([r[0] for r in drafts] + [case_holder(r[0]) for r in cases])

    def put_evidence_file(
        self, path: Path, sha256: str | None = None, *, holder: str | None = None
    ) -> str:
        """Store the file's bytes (read in pieces for the digest, sent as one value).

        Evidence is bounded by what a channel lets through (Telegram: 20 MB), so
        one value in memory per file being stored is the price of a bytea column.
        """
        path = Path(path)
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for piece in iter(lambda: fh.read(1 << 20), b""):
                digest.update(piece)
        found = digest.hexdigest()
        if sha256 is not None and check_sha256(sha256) != found:
            raise ValueError(f"{path} does not hold the bytes of {sha256}")
        self._store_held(found, path.read_bytes, holder)
        path.unlink()
        return found

    def open_evidence(self, sha256: str) -> BinaryIO:
        handle = self.blobs.open(check_sha256(sha256))
        if handle is None:
            raise EvidenceNotFound(sha256)
        return handle

    def evidence_size(self, sha256: str) -> int:
        size = self.blobs.size(check_sha256(sha256))
        if size is None:
            raise EvidenceNotFound(sha256)
        return size

    # -- processed requests, per channel -----------------------------------------------
    def seen_request(self, channel: str, request_id: str) -> bool:
        """True once the request is marked answered (``mark_request``). A request a turn
        claimed (``user_turn``) whose reply was never marked sent is not seen: its
        instance may have died between its commit and its reply, and the redelivery
        must reach the turn, which waits for that reply and otherwise asks the current
        question (:meth:`take_unreplied`). Seen for any claim, a person's first update
        claimed by a killed instance was answered 200 with nothing sent."""
        request_key(channel, request_id)  # ValueError for a malformed one
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT replied FROM processed_requests WHERE channel = %s AND request_id = %s",
                (channel, request_id),
            ).fetchone()
        return row is not None and bool(row[0])

    def mark_request(self, channel: str, request_id: str) -> None:
        """Remember the request as processed and answered: a door calls this once its
        replies were sent, so a request claimed by a turn (``user_turn``) is marked
        ``replied`` here (see :meth:`take_unreplied`)."""
        request_key(channel, request_id)
        with self._pool.connection() as conn:
            # The usual case, a request its turn claimed: one statement, atomic by itself
            # (a transaction around it cost two more round trips per update).
            answered = conn.execute(
                "UPDATE processed_requests SET replied = true"
                " WHERE channel = %s AND request_id = %s",
                (channel, request_id),
            ).rowcount
            if answered:
                return
            self._store_mark(conn, channel, request_id)

    def mark_requests(self, requests: Sequence[tuple[str, str]]) -> None:
        """Mark several requests answered: those turns claimed in one statement (one
        round trip and one commit for all), any other as :meth:`mark_request` does."""
        for channel, request_id in requests:
            request_key(channel, request_id)
        if not requests:
            return
        with self._pool.connection() as conn:
            answered = conn.execute(
                "UPDATE processed_requests AS p SET replied = true"
                " FROM unnest(%s::text[], %s::text[]) AS m (channel, request_id)"
                " WHERE p.channel = m.channel AND p.request_id = m.request_id"
                " RETURNING p.channel, p.request_id",
                ([c for c, _ in requests], [r for _, r in requests]),
            ).fetchall()
            found = {(str(c), str(r)) for c, r in answered}
            for channel, request_id in requests:
                if (channel, request_id) not in found:
                    self._store_mark(conn, channel, request_id)

    def _store_mark(self, conn: psycopg.Connection[Any], channel: str, request_id: str) -> None:
        """A request no turn claimed (one process's doors): stored as replied, the oldest
        beyond ``keep`` trimmed, in one transaction."""
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO processed_requests (channel, request_id, replied)"
                " VALUES (%s, %s, true)"
                " ON CONFLICT (channel, request_id) DO UPDATE SET replied = true"
                " RETURNING seq",
                (channel, request_id),
            ).fetchone()
            if row is not None:
                # Only the newest ``keep`` requests are kept: one indexed range delete.
                conn.execute(
                    "DELETE FROM processed_requests WHERE seq <= %s", (int(row[0]) - self._keep,)
                )

    # -- the web chat's pages (migration 0008) -------------------------------------------
    def web_transcript(self, visitor: str) -> list[tuple[int, list[dict[str, Any]]]]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT seq, bubbles FROM web_transcripts WHERE visitor = %s ORDER BY line",
                (visitor,),
            ).fetchall()
        return [(int(seq), json.loads(bubbles)) for seq, bubbles in rows]

    def append_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO web_transcripts (visitor, seq, bubbles) VALUES (%s, %s, %s)",
                (visitor, int(seq), json.dumps(bubbles, ensure_ascii=False)),
            )

    def replace_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        data = json.dumps(bubbles, ensure_ascii=False)

        def replace(conn: psycopg.Connection[Any]) -> None:
            conn.execute("DELETE FROM web_transcripts WHERE visitor = %s", (visitor,))
            conn.execute(
                "INSERT INTO web_transcripts (visitor, seq, bubbles) VALUES (%s, %s, %s)",
                (visitor, int(seq), data),
            )

        self._tx(replace)

    def delete_web_transcript(self, visitor: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM web_transcripts WHERE visitor = %s", (visitor,))

    def web_secret(self, proposed: str) -> str:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO store_meta (key, value) VALUES ('web_secret', %s)"
                " ON CONFLICT (key) DO NOTHING",
                (str(proposed),),
            )
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'web_secret'").fetchone()
        assert row is not None
        return str(row[0])

    # -- notices -------------------------------------------------------------------------
    def add_notice(self, notice: Notice) -> None:
        data = _dump(notice.to_dict())
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO notices"
                " (notice_id, user_id, case_number, created_at, delivered_at, data)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (notice_id) DO NOTHING",
                (
                    notice.notice_id,
                    str(notice.user_id),
                    notice.case_number,
                    notice.created_at,
                    notice.delivered_at,
                    data,
                ),
            )

    def get_notice(self, notice_id: str) -> Notice | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT data FROM notices WHERE notice_id = %s", (notice_id,)
            ).fetchone()
        return None if row is None else Notice.from_dict(json.loads(row[0]))

    def undelivered_notices(self, user_id: UserKey | None = None) -> list[Notice]:
        with self._pool.connection() as conn:
            if user_id is None:
                rows = conn.execute(
                    "SELECT data FROM notices WHERE delivered_at IS NULL ORDER BY created_at, seq"
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT data FROM notices WHERE delivered_at IS NULL AND user_id = %s"
                    " ORDER BY created_at, seq",
                    (str(user_id),),
                ).fetchall()
        return [Notice.from_dict(json.loads(data)) for (data,) in rows]

    def undelivered_by_case(self) -> dict[str, int]:
        """Counted in SQL through a partial index: no notice is read whole."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT case_number, count(*) FROM notices"
                " WHERE delivered_at IS NULL AND case_number IS NOT NULL GROUP BY case_number"
            ).fetchall()
        return {str(number): int(count) for number, count in rows}

    def claim_notice(self, notice_id: str, now: float, lease: float) -> Notice | None:
        """FOR UPDATE SKIP LOCKED and a lease (storage/postgres_claims.py)."""
        return claim_notice(self._pool, notice_id, now, lease)

    def mark_notice_delivered(self, notice_id: str, at: float) -> Notice:
        return self._change_notice(notice_id, lambda n: notice_delivered(n, at))

    def mark_notice_failed(self, notice_id: str, at: float, error: str) -> Notice:
        return self._change_notice(notice_id, lambda n: notice_failed(n, at, error))

    def drop_caseless_notices(self, user_id: UserKey) -> list[str]:
        """One indexed delete (the undelivered notices per person's partial index)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "DELETE FROM notices WHERE delivered_at IS NULL AND user_id = %s"
                " AND case_number IS NULL RETURNING notice_id",
                (str(user_id),),
            ).fetchall()
        return [str(notice_id) for (notice_id,) in rows]

    def _change_notice(self, notice_id: str, how: Callable[[Notice], Notice]) -> Notice:
        def work(conn: psycopg.Connection[Any]) -> Notice:
            row = conn.execute(
                "SELECT data FROM notices WHERE notice_id = %s FOR UPDATE", (notice_id,)
            ).fetchone()
            if row is None:
                raise NoticeNotFound(notice_id)
            notice = how(Notice.from_dict(json.loads(row[0])))
            conn.execute(
                "UPDATE notices SET delivered_at = %s, data = %s, claimed_until = NULL"
                " WHERE notice_id = %s",
                (notice.delivered_at, _dump(notice.to_dict()), notice_id),
            )
            return notice

        return self._tx(work)

    # -- audit ---------------------------------------------------------------------------
    @staticmethod
    def _insert_audit(conn: psycopg.Connection[Any], entry: AuditEntry) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, action, case_number, detail)"
            " VALUES (%s, %s, %s, %s, %s)",
            (entry.at, entry.actor, entry.action, entry.case_number, _dump(entry.detail)),
        )

    def append_audit(self, entry: AuditEntry) -> None:
        with self._pool.connection() as conn:
            self._insert_audit(conn, entry)

    def iter_audit(self, case_number: str | None = None, batch: int = 1000) -> Iterator[AuditEntry]:
        wanted = None
        if case_number is not None:
            wanted = normalize_case_number(case_number) or case_number
        after = 0
        while True:
            with self._pool.connection() as conn:
                if wanted is None:
                    rows = conn.execute(
                        "SELECT id, at, actor, action, case_number, detail FROM audit"
                        " WHERE id > %s ORDER BY id LIMIT %s",
                        (after, batch),
                    ).fetchall()
                else:
                    rows = conn.execute(
                        "SELECT id, at, actor, action, case_number, detail FROM audit"
                        " WHERE case_number = %s AND id > %s ORDER BY case_number, id LIMIT %s",
                        (wanted, after, batch),
                    ).fetchall()
            for _, at, actor, action, number, detail in rows:
                yield AuditEntry(
                    at=at, actor=actor, action=action, case_number=number, detail=json.loads(detail)
                )
            if len(rows) < batch:
                return
            after = rows[-1][0]

    # -- for python -m bot migrate-store (storage/migrate_store.py) ------------------------
    def copy_cases(self, cases: list[Case]) -> None:
        """Insert cases as they are (numbers, times, holds), each unless already there."""

        def work(conn: psycopg.Connection[Any]) -> None:
            for case in cases:
                inserted = conn.execute(
                    f"INSERT INTO cases ({_SUMMARY_COLUMNS}, draft_id, data)"
                    f" VALUES ({_SUMMARY_PLACEHOLDERS}, %s, %s) ON CONFLICT DO NOTHING"
                    " RETURNING 1",
                    (*_summary_values(case), case.draft_id, _dump(case.to_dict())),
                ).fetchone()
                if inserted is not None:
                    self._hold_for_case(conn, case)

        self._tx(work)

    def copy_conversations(self, records: list[ConversationRecord]) -> None:
        """Insert conversations; one already there is replaced only by a newer one."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO conversations (user_id, updated_at, data) VALUES (%s, %s, %s)"
                " ON CONFLICT (user_id) DO UPDATE"
                " SET updated_at = EXCLUDED.updated_at, data = EXCLUDED.data"
                " WHERE conversations.updated_at < EXCLUDED.updated_at",
                [(str(r.user_id), float(r.updated_at), _dump(r.to_dict())) for r in records],
            )

    def copy_holds(self, holds: list[tuple[str, str]]) -> None:
        """Record drafts' holds (holder, sha256), each unless already there."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO evidence_holds (holder, sha256) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                holds,
            )

    def copy_notices(self, notices: list[Notice]) -> None:
        """Insert notices; one undelivered here takes a copy's delivery."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO notices"
                " (notice_id, user_id, case_number, created_at, delivered_at, data)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (notice_id) DO UPDATE"
                " SET delivered_at = EXCLUDED.delivered_at, data = EXCLUDED.data"
                " WHERE notices.delivered_at IS NULL AND EXCLUDED.delivered_at IS NOT NULL",
                [
                    (
                        n.notice_id,
                        str(n.user_id),
                        n.case_number,
                        n.created_at,
                        n.delivered_at,
                        _dump(n.to_dict()),
                    )
                    for n in notices
                ],
            )

    def copy_requests(self, requests: list[tuple[str, str]]) -> None:
        """Mark processed requests, oldest first (the newest ``keep`` are kept)."""
        for channel, request_id in requests:
            request_key(channel, request_id)  # ValueError for a malformed one
        with self._pool.connection() as conn, conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO processed_requests (channel, request_id, replied)"
                    " VALUES (%s, %s, true) ON CONFLICT DO NOTHING",
                    requests,
                )
            conn.execute(
                "DELETE FROM processed_requests"
                " WHERE seq <= (SELECT max(seq) FROM processed_requests) - %s",
                (self._keep,),
            )

    def copy_web_transcript(
        self, visitor: str, entries: list[tuple[int, list[dict[str, Any]]]]
    ) -> bool:
        """Put a visitor's page in, in one transaction; True when copied. One already here
        is kept when its last request number is at least the copy's (the same page, or
        one the bot wrote after a first copy)."""

        def work(conn: psycopg.Connection[Any]) -> bool:
            row = conn.execute(
                "SELECT seq FROM web_transcripts WHERE visitor = %s ORDER BY line DESC LIMIT 1",
                (visitor,),
            ).fetchone()
            if not entries or (row is not None and int(row[0]) >= entries[-1][0]):
                return False
            conn.execute("DELETE FROM web_transcripts WHERE visitor = %s", (visitor,))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO web_transcripts (visitor, seq, bubbles) VALUES (%s, %s, %s)",
                    [(visitor, int(seq), json.dumps(b, ensure_ascii=False)) for seq, b in entries],
                )
            return True

        return self._tx(work)

    def copy_audit(self, entries: list[AuditEntry], counter: str, copied: int) -> None:
        """Append entries and set ``store_meta[counter]`` to ``copied``, in one transaction."""

        def work(conn: psycopg.Connection[Any]) -> None:
            for entry in entries:
                self._insert_audit(conn, entry)
            conn.execute(
                "INSERT INTO store_meta (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (counter, str(copied)),
            )

        self._tx(work)

    def meta_int(self, key: str) -> int:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT value FROM store_meta WHERE key = %s", (key,)).fetchone()
        return 0 if row is None else int(row[0])

    def missing(self, table: str, column: str, keys: list[str]) -> list[str]:
        """The ``keys`` that no row of ``table`` has in ``column`` (names are this module's)."""
        if table not in _COPY_TABLES or column not in _COPY_TABLES[table]:
            raise ValueError(f"not a key column: {table}.{column}")
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT k FROM unnest(%s::text[]) AS k"
                f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{column} = k)",
                (keys,),
            ).fetchall()
        return [r[0] for r in rows]

    def evidence_digest_mismatches(self, digests: list[str]) -> list[str]:
        """Files whose bytes, hashed by the database itself, are not their sha256."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT sha256 FROM evidence_blobs WHERE sha256 = ANY(%s)"
                " AND encode(sha256(data), 'hex') <> sha256",
                (digests,),
            ).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        self._pool.close()


_COPY_TABLES = {
    "cases": ("case_number",),
    "conversations": ("user_id",),
    "notices": ("notice_id",),
    "evidence_blobs": ("sha256",),
}


# -- helpers -------------------------------------------------------------------------------


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _case(data: str) -> Case:
    return Case.from_dict(json.loads(data), copy_data=False)


def _summary_values(case: Case) -> tuple[Any, ...]:
    return (
        case.case_number,
        str(case.user_id),
        case.submitted_at,
        case.updated_at,
        str(case.status),
        case.tier,
        case.reporter_type,
        case.service,
        case.paid,
        case.monetary,
        case.amount,
        case.final_amount,
        [e.sha256 for e in case.evidence],
        len(case.messages),
        case.unread_messages,
        case.messages[-1].at if case.messages else None,
        case.thread_done,
    )


def _summary(row: tuple[Any, ...]) -> CaseSummary:
    return CaseSummary(
        case_number=row[0],
        user_id=UserKey.parse(row[1]),
        submitted_at=row[2],
        updated_at=row[3],
        status=CaseStatus(row[4]),
        tier=row[5],
        reporter_type=row[6],
        service=row[7],
        paid=row[8],
        monetary=row[9],
        amount=row[10],
        final_amount=row[11],
        evidence_sha256=tuple(row[12]),
        message_count=row[13],
        unread_messages=row[14],
        last_message_at=row[15],
        thread_done=row[16],
    )


def _where(filter: CaseFilter | None) -> tuple[str, list[Any]]:
    """The WHERE clause of a CaseFilter, each condition on an indexed column."""
    if filter is None:
        return "", []
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("status", None if filter.status is None else str(filter.status)),
        ("tier", filter.tier),
        ("reporter_type", filter.reporter_type),
        ("service", filter.service),
        ("user_id", None if filter.user_id is None else str(filter.user_id)),
    ):
        if value is not None:
            conditions.append(f"{column} = %s")
            params.append(value)
    if filter.submitted_from is not None:
        conditions.append("submitted_at >= %s")
        params.append(filter.submitted_from)
    if filter.submitted_to is not None:
        conditions.append("submitted_at < %s")
        params.append(filter.submitted_to)
    if filter.unread_messages is not None:
        conditions.append(
            "unread_messages > 0" if filter.unread_messages else "unread_messages = 0"
        )
    return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
