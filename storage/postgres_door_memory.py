"""A door's memory of each person on PostgreSQL (migration 0011): one row per person.

``load`` and ``save`` run on the person's turn connection (the store's pool lends it in
the turn's thread), inside its transaction. Every :data:`PRUNE_EVERY`-th save deletes
the rows not written for :data:`KEEP_S` (a person forgotten is answered from the
conversation, as after a restart on one process).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from typing import Any

import psycopg

log = logging.getLogger(__name__)

KEEP_S = 24 * 3600.0
PRUNE_EVERY = 256


class PostgresDoorMemory:
    """:class:`storage.door_memory.DoorMemory` in the ``door_memory`` table."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._saves = itertools.count(1)
        self._lock = threading.Lock()

    def load(self, door: str, person: str) -> tuple[dict[str, Any] | None, str | None]:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT data, late FROM door_memory WHERE door = %s AND person = %s",
                (door, person),
            ).fetchone()
        if row is None:
            return None, None
        data = json.loads(row[0])
        return (data if isinstance(data, dict) and data else None), row[1]

    def save(
        self, door: str, person: str, data: dict[str, Any], *, now: float, seen: str | None
    ) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO door_memory AS m (door, person, data, updated_at)"
                " VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (door, person) DO UPDATE SET data = excluded.data,"
                " updated_at = excluded.updated_at,"
                " late = CASE WHEN m.late = %s THEN NULL ELSE m.late END",
                (door, person, json.dumps(data, ensure_ascii=False), float(now), seen),
            )
        with self._lock:
            due = next(self._saves) % PRUNE_EVERY == 0
        if due:
            self.prune(now - KEEP_S)

    def mark_late(self, door: str, person: str, late: str, *, now: float) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO door_memory AS m (door, person, late, updated_at)"
                " VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (door, person) DO UPDATE SET late = excluded.late",
                (door, person, late, float(now)),
            )

    def prune(self, before: float) -> None:
        """Forget the people not heard from since ``before``; a failure is only logged."""
        try:
            with self._pool.connection() as conn:
                conn.execute("DELETE FROM door_memory WHERE updated_at < %s", (float(before),))
        except psycopg.Error as exc:
            log.warning("door memory not pruned: %s", type(exc).__name__)
