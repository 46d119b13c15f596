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
    """Processed update ids kept in memory and in a JSON-lines file of integers.

    Appends are written but not fsync'd (a killed process keeps them; a power cut
    may drop the newest, see :meth:`storage.base.Storage.mark_update`).
    The file only grows by appends; when it holds twice ``keep`` lines it is
    rewritten atomically with the ``keep`` newest, so it stays bounded too.
    """

    def __init__(self, log: JsonLinesLog, keep: int = DEFAULT_KEEP) -> None:
        self._log = log
        self._recent = RecentUpdateIds(keep)
        self._lines = 0
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the file (cutting a torn tail) and open it for appending."""
        for value in self._log.scan(repair=True, strict=False):
            if isinstance(value, int) and not isinstance(value, bool):
                self._recent.add(value)
                self._lines += 1
        self._log.open()

    def __contains__(self, update_id: int) -> bool:
        with self._lock:
            return update_id in self._recent

    def mark(self, update_id: int) -> None:
        with self._lock:
            if not self._recent.add(int(update_id)):
                return
            # Appending under the lock keeps file order equal to memory order,
            # which compaction relies on. Marks are one per update: cheap enough.
            self._log.append(int(update_id))
            self._lines += 1
            if self._lines >= 2 * self._recent.keep:
                self._log.rewrite(self._recent.ids())
                self._lines = len(self._recent)

    def close(self) -> None:
        self._log.close()
