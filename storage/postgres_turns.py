"""One person's turn on PostgreSQL: the same transaction for every instance of the bot.

Several bot processes share one database and one webhook; the in-memory
:class:`bot.sequencer.UserSequencer` orders a person's requests only inside one
process. :meth:`storage.postgres.PostgresStorage.user_turn` makes processing one
request one transaction, whichever instance took it:

1. ``pg_advisory_xact_lock`` on the person (:data:`USER_LOCK_SPACE`, the hash of their
   key): a second instance processing the same person waits here until the first one
   commits. A row lock alone would not do: a person's first request has no row yet.
2. the request's id inserted into ``processed_requests`` with ``ON CONFLICT DO
   NOTHING``: when it was there already the turn says so (``claimed`` False) and the
   caller does nothing; a duplicate delivered to two instances at once is processed once.
   Steps 1 and 2 are one statement (:func:`_claim`: the lock is the CTE the insert
   reads from, so it is taken first), one round trip instead of two.
3. the state change: every store method called in this thread meanwhile runs on the
   turn's connection, inside its transaction (:class:`TurnPool`);
4. commit when the body returns (then the caller replies); a body that raises rolls
   everything back, the request's id too, so a redelivery processes it again.
5. once the replies were sent the door marks the request (``mark_request``; the
   Telegram door several at once, ``mark_requests``), which sets its ``replied``. An instance killed between the commit and that mark leaves a claim
   never answered: a duplicate that finds the claim waits outside the turn (no lock held)
   for ``replied`` (:func:`take_unreplied`), and when it does not come takes the request
   over (``claimed_at`` moved on, so of several duplicates one does) and asks the
   person's current question again, as a redelivery does on one process.

A person's requests taken by two instances at the same moment are applied one after
the other; one older than the last applied (a Telegram update id at or below the
conversation's ``last_input_id``) re-asks the current question, as in one process.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from storage.errors import StoreUnavailable
from storage.request_ids import request_key

log = logging.getLogger(__name__)

# How long a call waits for a working connection before DatabaseUnavailable, and the
# slices it waits in: each slice asks the pool again, which lets it try to connect anew.
WAIT_S = 5.0
WAIT_SLICE_S = 0.25


class DatabaseUnavailable(StoreUnavailable):
    """The database at DATABASE_URL cannot be reached or refused the connection."""


def check_lent(conn: psycopg.Connection[Any]) -> None:
    """Check a pooled connection before it is lent: a round trip only when it may be dead.

    An idle connection has nothing to read. One the server ended (a restart or crash,
    ``pg_terminate_backend``, a failover) has its last message or the end of the stream
    waiting on its socket: then the empty query runs, and fails. A healthy one is lent
    without that query, which cost a round trip before every store call (three per
    Telegram update; bench/e2e.py --store postgres).
    """
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the pooled connection is closed")
    waiting = select.poll()
    waiting.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    if waiting.poll(0):
        conn.execute("")


# pg_advisory_xact_lock(USER_LOCK_SPACE, hashtext(user key)): one person's turn. Two
# people whose keys hash alike only wait for each other; nothing is mixed up.
USER_LOCK_SPACE = 2


class TurnPool:
    """The store's connection pool, lending the turn's connection inside a turn.

    ``connection()`` is what the store's methods use; in a thread that is inside
    :meth:`turn` it hands out the turn's connection (already in its transaction, so a
    method's own ``transaction()`` becomes a savepoint), elsewhere a pooled one.

    A pooled connection is checked (:func:`check_lent`) before it is lent. One the server
    dropped (a restart, a crash, a failover) is given back, which makes the pool close
    it and connect anew at once, and the next one is tried with no pause: after
    ``pg_ctl restart -m immediate`` every idle connection is dead, and psycopg_pool's
    own ``check`` slept 1, 2, 4, 8 ... s between them, so a pool of ten took longer
    than its 30 s to lend a working one. The pool is built with ``reconnect_timeout=0``
    (see :class:`storage.postgres.PostgresStorage`): a failed connect is not retried
    with a growing back-off; instead a caller still waiting asks again every
    :data:`WAIT_SLICE_S`, and its request makes the pool connect again, so the first
    call once the server accepts is served. A call that gets no working connection
    within ``wait_s`` raises :class:`DatabaseUnavailable`, as does one whose connection
    broke under it (its transaction is rolled back or unknown: it is not retried here).
    """

    def __init__(self, pool: ConnectionPool, *, wait_s: float = WAIT_S) -> None:
        self.pool = pool
        self.wait_s = wait_s
        self._local = threading.local()

    def connection(self, timeout: float | None = None) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return nullcontext(conn)
        return self._pooled(self.wait_s if timeout is None else timeout)

    @contextmanager
    def _pooled(self, timeout: float) -> Iterator[psycopg.Connection[Any]]:
        conn = self._working(timeout)
        try:
            with conn:
                yield conn
        except psycopg.OperationalError as exc:
            if conn.broken:
                raise DatabaseUnavailable(f"the database connection was lost: {exc}") from exc
            raise
        finally:
            self.pool.putconn(conn)

    def _working(self, timeout: float) -> psycopg.Connection[Any]:
        """A pooled connection that answered an empty query, or DatabaseUnavailable."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnavailable(f"no working database connection within {timeout:g} s")
            try:
                conn = self.pool.getconn(min(WAIT_SLICE_S, left))
            except PoolTimeout:
                continue
            try:
                check_lent(conn)
            except psycopg.Error:
                self.pool.putconn(conn)  # dropped by the server: closed, another opened
                continue
            return conn

    def in_turn(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def wait(self, timeout: float = 30.0) -> None:
        self.pool.wait(timeout)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def turn(self, user: str, request: tuple[str, str] | None, keep: int) -> Iterator[bool]:
        """Lock ``user``'s turn, claim ``request``; yield whether it was claimed; commit."""
        if request is not None:
            request_key(*request)  # ValueError for a malformed one, before any lock
        if self.in_turn():
            raise RuntimeError("a turn inside a turn of the same thread")
        with self._pooled(self.wait_s) as conn:
            seq = None
            with conn.transaction():
                claimed = True
                if request is None:
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (USER_LOCK_SPACE, user)
                    )
                else:
                    seq = _claim(conn, user, request)
                    claimed = seq is not None
                self._local.conn = conn
                try:
                    yield claimed
                finally:
                    self._local.conn = None
            if seq is not None and seq % TRIM_EVERY == 0:
                _trim(conn, seq - keep)


# The newest ``keep`` ids are kept, as mark_request keeps them; trimmed after the commit
# (every TRIM_EVERY-th claim), so no turn holds row locks of other people's ids.
TRIM_EVERY = 64


def _claim(conn: psycopg.Connection[Any], user: str, request: tuple[str, str]) -> int | None:
    """Take ``user``'s lock, then claim ``request``: one statement, one round trip.

    The lock is the CTE the insert reads its row from, so it is taken (waiting for
    another instance's turn to commit) before the row is inserted; ``ON CONFLICT`` sees
    a claim committed meanwhile even though the statement's snapshot is older.
    """
    row = conn.execute(
        "WITH locked AS (SELECT pg_advisory_xact_lock(%s, hashtext(%s)))"
        " INSERT INTO processed_requests (channel, request_id)"
        " SELECT %s, %s FROM locked"
        " ON CONFLICT DO NOTHING RETURNING seq",
        (USER_LOCK_SPACE, user, *request),
    ).fetchone()
    return None if row is None else int(row[0])


def _trim(conn: psycopg.Connection[Any], below: int) -> None:
    """Housekeeping after the commit: a failure (another instance trimming the same rows,
    the server gone) must not fail a request whose work is committed; a later claim trims."""
    try:
        conn.execute("DELETE FROM processed_requests WHERE seq <= %s", (below,))
    except psycopg.Error as exc:
        log.warning("processed request ids not trimmed: %s", type(exc).__name__)


def take_unreplied(pool: TurnPool, request: tuple[str, str], wait: float) -> bool:
    """Wait up to ``wait`` seconds for the claimed ``request``'s reply to be marked sent;
    True when it never was and this caller took it over (it replies, then marks it).

    A request no longer stored (trimmed: an old one) or marked counts as answered. The
    take-over moves ``claimed_at`` on only when it is still the value seen when waiting
    began: of several duplicates waiting together one takes it, and one arriving after
    a take-over waits for that instance's reply in turn.
    """
    deadline = time.monotonic() + wait
    first = None
    while True:
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT replied, claimed_at FROM processed_requests"
                " WHERE channel = %s AND request_id = %s",
                request,
            ).fetchone()
        if row is None or row[0]:
            log.debug("request %s: %s", request, "gone" if row is None else "replied")
            return False
        if first is None:
            first = row[1]
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(0.1, left))
    with pool.connection() as conn:
        taken = conn.execute(
            "UPDATE processed_requests SET claimed_at = clock_timestamp()"
            " WHERE channel = %s AND request_id = %s AND NOT replied AND claimed_at = %s",
            (*request, first),
        ).rowcount
    log.debug("request %s: not replied in %.1f s, taken over: %s", request, wait, bool(taken))
    return bool(taken)
