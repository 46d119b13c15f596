"""Which evidence files each draft holds: in memory, behind an append-only log on disk."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from storage.jsonl_log import DamagedLog, JsonLinesLog


class DraftHolds:
    """Holder name -> the sha256 of the files it holds, for holders other than cases.

    Cases hold their evidence through their own records (the case index knows
    them); this keeps the rest, the drafts. Each log line states one holder's whole
    set after a change, so the last line of a holder wins and replaying a line
    twice changes nothing::

        {"holder": "draft:42", "sha256": ["3a7b...", "9f00..."]}
        {"holder": "draft:42", "sha256": []}

    A hold is written before the file it names is stored and a release before the
    file is deleted, so after a crash the log may name a file that is gone or
    leave a file nobody holds; it never forgets a file somebody holds. The log is
    rebuilt from the conversation files by ``python -m bot reindex`` and compacted
    at opening once it is mostly superseded lines.
    """

    def __init__(self, log_file: JsonLinesLog) -> None:
        self._log = log_file
        self._lock = threading.Lock()
        self._held: dict[str, frozenset[str]] = {}
        self._count: Counter[str] = Counter()  # sha256 -> how many holders here hold it
        self._lines = 0

    # -- loading -----------------------------------------------------------------------
    def load(self) -> None:
        """Read the log (cutting a torn tail) and open it for appending.

        Raises :class:`storage.jsonl_log.DamagedLog` when an earlier line cannot
        be read; the caller then rebuilds from the conversations.
        """
        self._clear()
        for value in self._log.scan(repair=True, strict=True):
            self._apply(value)
        self._log.open()
        if self._lines > 2 * len(self._held) + 1000:
            self._log.rewrite(self._lines_of_now())

    def load_snapshot(self) -> None:
        """Read the log as it is, for a reader beside the writing process (no repair)."""
        self._clear()
        for value in self._log.scan(repair=False, strict=False):
            self._apply(value)

    def rebuild(self, holdings: Iterable[tuple[str, Collection[str]]]) -> int:
        """Replace the log with one line per holder that holds anything; return how many."""
        self._clear()
        for holder, hashes in holdings:
            self._set(holder, frozenset(hashes))
        self._log.rewrite(self._lines_of_now())
        self._log.open()
        return len(self._held)

    def _clear(self) -> None:
        self._held.clear()
        self._count.clear()
        self._lines = 0

    def _apply(self, value: Any) -> None:
        try:
            holder = value["holder"]
            hashes = value["sha256"]
            if not isinstance(holder, str) or not isinstance(hashes, list):
                raise TypeError("holder must be a string and sha256 a list")
            self._set(holder, frozenset(str(h) for h in hashes))
        except (KeyError, TypeError) as exc:
            raise DamagedLog(self._log.path, 0, f"bad holds entry: {exc}") from exc
        self._lines += 1

    def _set(self, holder: str, hashes: frozenset[str]) -> None:
        old = self._held.pop(holder, frozenset())
        self._count.subtract(old)
        self._count.update(hashes)
        for digest in old - hashes:
            if self._count[digest] <= 0:
                del self._count[digest]
        if hashes:
            self._held[holder] = hashes

    def _lines_of_now(self) -> Iterator[dict[str, Any]]:
        for holder, hashes in sorted(self._held.items()):
            yield {"holder": holder, "sha256": sorted(hashes)}

    # -- lookups -----------------------------------------------------------------------
    def holders(self, sha256: str) -> frozenset[str]:
        """Who holds the file here (drafts scale with people typing now: a short scan)."""
        with self._lock:
            if not self._count.get(sha256):
                return frozenset()
            return frozenset(h for h, held in self._held.items() if sha256 in held)

    def is_held(self, sha256: str) -> bool:
        with self._lock:
            return self._count.get(sha256, 0) > 0

    # -- changes -----------------------------------------------------------------------
    def hold(self, holder: str, sha256: str) -> None:
        """Add a file to what ``holder`` holds, durably before returning."""
        self._change(holder, lambda held: held | {sha256})

    def release(self, holder: str, keep: Collection[str]) -> frozenset[str]:
        """Keep only ``keep`` of what ``holder`` holds, durably; return what it let go."""
        keep = frozenset(keep)
        return self._change(holder, lambda held: held & keep)

    def _change(
        self, holder: str, how: Callable[[frozenset[str]], frozenset[str]]
    ) -> frozenset[str]:
        # The line is appended under the lock, so the lines of one holder reach the
        # file in the order its sets were computed (the last line must be the truth).
        with self._lock:
            old = self._held.get(holder, frozenset())
            new = frozenset(how(old))
            if new == old:
                return frozenset()
            self._log.append({"holder": holder, "sha256": sorted(new)})
            self._set(holder, new)
            self._lines += 1
            return old - new

    def close(self) -> None:
        self._log.close()
