"""The bounded memory of processed Telegram update ids, in memory and in an append-only file."""

from __future__ import annotations

import threading
from collections import deque

from storage.jsonl_log import JsonLinesLog

# The last 100,000 ids are kept. Telegram redelivers an update only while it is
# unacknowledged, and gives up after about a day; at the 1015 outage's peak
# (some 45,000 reports in five days, about 15 updates each) a day is roughly
# 135,000 / 5 = 27,000 updates, so 100,000 ids cover three to four busy days
# in about 10 MB of memory.
DEFAULT_KEEP = 100_000


class RecentUpdateIds:
    """A set of the ``keep`` most recently marked ids; older ones are forgotten."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.keep = keep
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    def __contains__(self, update_id: int) -> bool:
        return update_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, update_id: int) -> bool:
        """Remember an id; return False when it was already remembered."""
        if update_id in self._ids:
            return False
        self._ids.add(update_id)
        self._order.append(update_id)
        while len(self._order) > self.keep:
            self._ids.discard(self._order.popleft())
        return True

    def ids(self) -> list[int]:
        """Return the remembered ids, oldest first."""
        return list(self._order)


class UpdateIdFile:
    """Processed update ids kept in memory and in two JSON-lines files of integers.

    Appends are written but not fsync'd (a killed process keeps them; a power cut
    may drop the newest, see :meth:`storage.base.Storage.mark_update`). Marks run
    on the event loop, so nothing here may take long: when the current file holds
    ``keep`` ids it is renamed over the previous one and a new one is started (two
    cheap system calls, never a rewrite). The two files hold the ``keep`` to
    ``2 * keep`` newest ids; loading reads both, oldest first.
    """

    def __init__(self, log: JsonLinesLog, previous: JsonLinesLog, keep: int = DEFAULT_KEEP) -> None:
        self._log = log
        self._previous = previous
        self._recent = RecentUpdateIds(keep)
        self._lines = 0
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read both files (cutting torn tails) and open the current one for appending."""
        for value in self._previous.scan(repair=True, strict=False):
            self._remember(value)
        for value in self._log.scan(repair=True, strict=False):
            if self._remember(value):
                self._lines += 1
        self._log.open()

    def _remember(self, value: object) -> bool:
        if isinstance(value, int) and not isinstance(value, bool):
            self._recent.add(value)
            return True
        return False

    def __contains__(self, update_id: int) -> bool:
        with self._lock:
            return update_id in self._recent

    def mark(self, update_id: int) -> None:
        with self._lock:
            if not self._recent.add(int(update_id)):
                return
            self._log.append(int(update_id))
            self._lines += 1
            if self._lines >= self._recent.keep:
                self._log.roll_over(self._previous.path)
                self._lines = 0

    def close(self) -> None:
        self._log.close()
