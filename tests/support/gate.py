"""A gate that holds a store call until the test lets it go: cause, not a clock.

A test that checks "the door answered without waiting for the disk (or the database)"
closes the gate, makes the request, and asserts the answer arrived while the held call
has not left (``not gate.left.is_set()``); then it opens the gate. Nothing it asserts
depends on how fast the machine is: a held call waits for :meth:`Gate.open`, however
long the answer takes. :data:`HANG_S` only bounds a door that wrongly waits for the held
call, so such a test fails (``expired`` is set, ``left`` with it) instead of hanging.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HANG_S = 120.0


class Gate:
    """Holds the calls made while it is closed (``calls``: only that many, then it lets the
    rest through), on whatever thread makes them, until :meth:`open`.

    ``entered`` is set when a call is held; ``left`` once a held call has finished, its own
    work included when the store wraps it in ``with gate.hold(): ...``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._to_hold: int | None = 0
        self.entered = threading.Event()
        self.released = threading.Event()
        self.left = threading.Event()
        self.expired = threading.Event()

    def close(self, calls: int | None = None) -> None:
        """Hold the next ``calls`` calls (every call while closed when None)."""
        with self._lock:
            self._to_hold = calls
            self.released.clear()

    def open(self) -> None:
        with self._lock:
            self._to_hold = 0
        self.released.set()

    def _take(self) -> bool:
        with self._lock:
            if self._to_hold == 0:
                return False
            if self._to_hold is not None:
                self._to_hold -= 1
            return True

    @contextmanager
    def hold(self) -> Iterator[None]:
        held = self._take()
        if held:
            self.entered.set()
            if not self.released.wait(HANG_S):
                self.expired.set()
        try:
            yield
        finally:
            if held:
                self.left.set()

    async def until_entered(self) -> None:
        """Wait (off the event loop) until a call is held."""
        await asyncio.to_thread(self.entered.wait, HANG_S)
        assert self.entered.is_set(), "no call reached the gate"

    async def until_left(self) -> None:
        """Wait (off the event loop) until a held call has finished, its work included."""
        await asyncio.to_thread(self.left.wait, HANG_S)
        assert self.left.is_set(), "the held call never finished"
