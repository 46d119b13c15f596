"""Work in progress, counted: what "the channel is idle" means.

The Telegram channel counts an update from the moment it is taken until its
replies went out, every background task until it ends, and every album whose
reply is still waiting for its quiet period. :meth:`Activity.wait_idle` returns
once the count is zero: shutdown drains with it, and tests use it to show that
nothing more is coming without sleeping for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class Activity:
    """A count of work in progress, with a way to wait until there is none."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> int:
        return self._count

    def begin(self) -> None:
        self._count += 1
        self._idle.clear()

    def end(self) -> None:
        self._count -= 1
        assert self._count >= 0, "Activity.end() without begin()"
        if self._count == 0:
            self._idle.set()

    @contextmanager
    def during(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        finally:
            self.end()

    async def wait_idle(self) -> None:
        """Return once no work is in progress (work started meanwhile is waited for too)."""
        while self._count:
            await self._idle.wait()
