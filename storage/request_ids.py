"""The bounded memory of processed requests, per channel, in memory and in an append-only file.

A request is ``(channel, request_id)``: the channel's name (as in a
:class:`flows.identity.UserKey`) and the channel's own id of one request, a
string (Telegram: the update id, ``"123456789"``; a web form: its token). The
same id on two channels is two requests. Both are kept as one string,
``"<channel>:<request id>"`` (a channel name has no colon).
"""

from __future__ import annotations

import re
import threading
from collections import deque

from storage.jsonl_log import JsonLinesLog

# The last 100,000 requests are kept, all channels together. Telegram redelivers
# an update only while it is unacknowledged, and gives up after about a day; at
# the 1015 outage's peak (some 45,000 reports in five days, about 15 updates
# each) a day is roughly 135,000 / 5 = 27,000 updates, so 100,000 ids cover three
# to four busy days in about 10 MB of memory.
DEFAULT_KEEP = 100_000

# A channel name as UserKey has it; a request id is 1..256 printable characters.
_CHANNEL = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_REQUEST_ID = 256


def request_key(channel: str, request_id: str) -> str:
    """The one string a processed request is kept as; ValueError for a malformed one."""
    if not isinstance(channel, str) or not _CHANNEL.fullmatch(channel):
        raise ValueError(f"not a channel name: {channel!r}")
    if (
        not isinstance(request_id, str)
        or not 0 < len(request_id) <= MAX_REQUEST_ID
        or not request_id.isprintable()
    ):
        raise ValueError(f"not a request id: {request_id!r}")
    return f"{channel}:{request_id}"


class RecentRequests:
    """A set of the ``keep`` most recently marked request keys; older ones are forgotten."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.keep = keep
        self._order: deque[str] = deque()
        self._keys: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> bool:
        """Remember a key; return False when it was already remembered."""
        if key in self._keys:
            return False
        self._keys.add(key)
        self._order.append(key)
        while len(self._order) > self.keep:
            self._keys.discard(self._order.popleft())
        return True

    def keys(self) -> list[str]:
        """Return the remembered keys, oldest first."""
        return list(self._order)


class RequestIdFile:
    """Processed request keys kept in memory and in two JSON-lines files of strings.

    Appends are written but not fsync'd (a killed process keeps them; a power cut
    may drop the newest, see :meth:`storage.base.Storage.mark_request`). Marks run
    on the event loop, so nothing here may take long: when the current file holds
    ``keep`` keys it is renamed over the previous one and a new one is started (two
    cheap system calls, never a rewrite). The two files hold the ``keep`` to
    ``2 * keep`` newest keys; loading reads both, oldest first.
    """

    def __init__(self, log: JsonLinesLog, previous: JsonLinesLog, keep: int = DEFAULT_KEEP) -> None:
        self._log = log
        self._previous = previous
        self._recent = RecentRequests(keep)
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
        if isinstance(value, str):
            self._recent.add(value)
            return True
        return False

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._recent

    def mark(self, key: str) -> None:
        with self._lock:
            if not self._recent.add(key):
                return
            self._log.append(key)
            self._lines += 1
            if self._lines >= self._recent.keep:
                self._log.roll_over(self._previous.path)
                self._lines = 0

    def close(self) -> None:
        self._log.close()
