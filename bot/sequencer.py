"""Strict per-user ordering with concurrency across users.

A ticket is taken synchronously when an update arrives, so tickets follow arrival
order; the slow part (downloading evidence) can then run before the update's turn,
and processing waits until every earlier ticket of the same user is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from flows.identity import UserKey


@dataclass
class _Line:
    issued: int = 0  # tickets handed out
    serving: int = 0  # the ticket whose turn it is
    waiting: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    abandoned: set[int] = field(default_factory=set)  # cancelled before their turn


class UserSequencer:
    """Hands out per-user tickets and runs their turns in ticket order."""

    def __init__(self) -> None:
        self._lines: dict[UserKey, _Line] = {}

    def take(self, user_id: UserKey) -> int:
        """Take the next ticket of ``user_id``; call it before the first ``await``."""
        line = self._lines.setdefault(user_id, _Line())
        line.issued += 1
        return line.issued - 1

    @asynccontextmanager
    async def turn(self, user_id: UserKey, ticket: int) -> AsyncIterator[None]:
        """Wait until ``ticket`` is served, run the body, then serve the next one.

        The turn passes on even when the body fails or the task is cancelled, so
        one bad update never blocks the user's later ones.
        """
        line = self._lines[user_id]
        if line.serving != ticket:
            future = asyncio.get_running_loop().create_future()
            line.waiting[ticket] = future
            try:
                await future
            except asyncio.CancelledError:
                line.waiting.pop(ticket, None)
                if line.serving == ticket:  # our turn came as we were cancelled
                    self._pass_on(user_id, line)
                else:
                    line.abandoned.add(ticket)
                raise
        try:
            yield
        finally:
            self._pass_on(user_id, line)

    def pending(self, user_id: UserKey) -> int:
        """How many tickets of this user are not done yet."""
        line = self._lines.get(user_id)
        return line.issued - line.serving if line else 0

    def _pass_on(self, user_id: UserKey, line: _Line) -> None:
        line.serving += 1
        while line.serving in line.abandoned:
            line.abandoned.discard(line.serving)
            line.serving += 1
        future = line.waiting.pop(line.serving, None)
        if future is not None and not future.done():
            future.set_result(None)
        if line.serving >= line.issued:  # nobody holds or awaits a ticket: forget the user
            self._lines.pop(user_id, None)
