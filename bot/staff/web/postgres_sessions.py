"""Staff web sessions in PostgreSQL: any instance of the bot serves any signed-in browser.

The same interface as :class:`bot.staff.web.sessions.SessionStore` (``open``, ``get``,
``close``, and ``save`` of a session the request changed: its flash message, list
filter, language). A row is kept by the sha256 of the cookie's token, so the
database never holds a cookie that would sign anybody in; expired rows are deleted
when sessions are opened.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bot.staff.web.sessions import SESSION_SECONDS, SessionStore, StaffSession
from storage import Storage


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def session_store(
    storage: Storage, clock: Callable[[], float]
) -> SessionStore | PostgresSessionStore:
    """The staff web's sessions: in the database on PostgreSQL, else in this process."""
    if type(storage).__name__ == "PostgresStorage":  # no psycopg import for the others
        return PostgresSessionStore(storage._pool, clock)  # type: ignore[attr-defined]
    return SessionStore(clock)


class PostgresSessionStore:
    """Sessions in the ``staff_sessions`` table (migration 0006), shared by every instance."""

    def __init__(
        self, pool: Any, clock: Callable[[], float], *, ttl: float = SESSION_SECONDS
    ) -> None:
        self._pool = pool  # the store's pool (storage.postgres_turns.TurnPool)
        self._clock = clock
        self._ttl = ttl

    def open(self, staff: str, lang: str) -> StaffSession:
        """Start a session with fresh tokens (a sign-in never reuses an old cookie)."""
        now = self._clock()
        session = StaffSession(
            token=secrets.token_urlsafe(32),
            staff=staff,
            csrf=secrets.token_urlsafe(32),
            lang=lang,
            expires_at=now + self._ttl,
        )
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE expires_at <= %s", (now,))
            conn.execute(
                "INSERT INTO staff_sessions (token_sha256, expires_at, data) VALUES (%s, %s, %s)",
                (_key(session.token), session.expires_at, _dump(session)),
            )
        return session

    def get(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT data FROM staff_sessions WHERE token_sha256 = %s AND expires_at > %s",
                (_key(token), self._clock()),
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        flash = data.get("flash")
        return StaffSession(
            token=token,
            staff=data["staff"],
            csrf=data["csrf"],
            lang=data["lang"],
            expires_at=data["expires_at"],
            flash=(flash[0], flash[1]) if flash else None,
            list_query=data.get("list_query", ""),
        )

    def save(self, session: StaffSession) -> None:
        """Keep what a request changed in the session (any instance shows it next)."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE staff_sessions SET data = %s WHERE token_sha256 = %s",
                (_dump(session), _key(session.token)),
            )

    def close(self, token: str | None) -> None:
        if token:
            with self._pool.connection() as conn:
                conn.execute("DELETE FROM staff_sessions WHERE token_sha256 = %s", (_key(token),))


def _dump(session: StaffSession) -> str:
    data = asdict(session)
    del data["token"]  # the row's key is its hash; the token itself is never stored
    return json.dumps(data, ensure_ascii=False)
