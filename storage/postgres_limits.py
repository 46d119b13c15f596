"""The per-client limits' counters on PostgreSQL (migration 0010): one row per counter.

Each method is one statement on a pooled connection in autocommit, so two instances
counting the same client at the same moment are serialised by the row's lock and
neither count is lost. A bucket is taken by one upsert that refills it by the time
passed and spends a unit only when one is there (``WHERE`` on the update: a refused
request changes nothing, so its wait is read back from the row). Times are the bot's
clock; a row written by an instance whose clock is ahead is never refilled backwards
(``greatest``). Every :data:`PRUNE_EVERY`-th write deletes the rows past their
``stale_at`` (a bucket full again, a backoff forgotten): old windows do not pile up.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any

import psycopg

log = logging.getLogger(__name__)

PRUNE_EVERY = 256

_REFILLED = "least(%(cap)s, r.n + greatest(0.0, %(now)s - r.at) / %(refill)s)"


class PostgresLimits:
    """:class:`storage.limit_counters.LimitCounters` in the ``rate_limits`` table."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._writes = itertools.count(1)
        self._lock = threading.Lock()

    def _write(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        with self._pool.connection() as conn:
            row: tuple[Any, ...] | None = conn.execute(sql, params).fetchone()
        with self._lock:
            due = next(self._writes) % PRUNE_EVERY == 0
        if due:
            self.prune(float(params["now"]))
        return row

    def _read(self, scope: str, key: str) -> tuple[float, float] | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT n, at FROM rate_limits WHERE scope = %s AND key = %s", (scope, key)
            ).fetchone()
        return None if row is None else (float(row[0]), float(row[1]))

    @staticmethod
    def _params(
        scope: str, key: str, capacity: float, refill_s: float, now: float
    ) -> dict[str, Any]:
        # Full again (nothing to remember) at the latest this long after now.
        return {
            "scope": scope,
            "key": key,
            "cap": float(capacity),
            "refill": float(refill_s),
            "now": float(now),
            "stale": float(now) + float(capacity) * float(refill_s),
        }

    def take(self, scope: str, key: str, *, capacity: float, refill_s: float, now: float) -> float:
        params = self._params(scope, key, capacity, refill_s, now)
        row = self._write(
            "INSERT INTO rate_limits AS r (scope, key, n, at, stale_at)"
            " VALUES (%(scope)s, %(key)s, %(cap)s - 1.0, %(now)s, %(stale)s)"
            f" ON CONFLICT (scope, key) DO UPDATE SET n = {_REFILLED} - 1.0,"
            " at = greatest(r.at, %(now)s), stale_at = %(stale)s"
            f" WHERE {_REFILLED} >= 1.0 RETURNING n",
            params,
        )
        if row is not None:
            return 0.0
        level = self.level(scope, key, capacity=capacity, refill_s=refill_s, now=now)
        return max(0.0, (1.0 - level) * refill_s)

    def level(self, scope: str, key: str, *, capacity: float, refill_s: float, now: float) -> float:
        row = self._read(scope, key)
        if row is None:
            return float(capacity)
        n, at = row
        return min(float(capacity), n + max(0.0, now - at) / refill_s)

    def spend(self, scope: str, key: str, *, capacity: float, refill_s: float, now: float) -> None:
        self._write(
            "INSERT INTO rate_limits AS r (scope, key, n, at, stale_at)"
            " VALUES (%(scope)s, %(key)s, %(cap)s - 1.0, %(now)s, %(stale)s)"
            f" ON CONFLICT (scope, key) DO UPDATE SET n = {_REFILLED} - 1.0,"
            " at = greatest(r.at, %(now)s),"
            f" stale_at = %(now)s + (%(cap)s - {_REFILLED} + 1.0) * %(refill)s RETURNING n",
            self._params(scope, key, capacity, refill_s, now),
        )

    def failures(self, scope: str, key: str) -> tuple[int, float]:
        row = self._read(scope, key)
        return (0, 0.0) if row is None else (int(row[0]), row[1])

    def fail(self, scope: str, key: str, *, now: float, keep_s: float) -> int:
        row = self._write(
            "INSERT INTO rate_limits AS r (scope, key, n, at, stale_at)"
            " VALUES (%(scope)s, %(key)s, 1, %(now)s, %(stale)s)"
            " ON CONFLICT (scope, key) DO UPDATE SET n = r.n + 1,"
            " at = greatest(r.at, %(now)s), stale_at = %(stale)s RETURNING n",
            {"scope": scope, "key": key, "now": float(now), "stale": float(now) + keep_s},
        )
        assert row is not None
        return int(row[0])

    def clear(self, scope: str, key: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM rate_limits WHERE scope = %s AND key = %s", (scope, key))

    # -- housekeeping ------------------------------------------------------------------
    def prune(self, now: float) -> None:
        """Delete the counters no different from none at ``now``; a failure (another
        instance pruning the same rows) is only logged: a later write prunes again."""
        try:
            with self._pool.connection() as conn:
                conn.execute("DELETE FROM rate_limits WHERE stale_at < %s", (float(now),))
        except psycopg.Error as exc:
            log.warning("rate limit counters not pruned: %s", type(exc).__name__)

    def count(self, scope: str) -> int:
        """How many counters ``scope`` holds (for tests and the curious)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM rate_limits WHERE scope = %s", (scope,)
            ).fetchone()
        return 0 if row is None else int(row[0])
