"""Notices on disk: an append-only log of whole notices, the last line of each id winning."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flows.identity import UserKey
from storage.errors import NoticeNotFound
from storage.jsonl_log import JsonLinesLog
from storage.records import Notice


class NoticeLog:
    """Every notice in ``notices.jsonl``, one line per change of one notice::

        {"notice_id": "n1", "user_id": "console:1", ..., "delivered_at": null, "attempts": 0}
        {"notice_id": "n1", "user_id": "console:1", ..., "delivered_at": 1700000000.0, ...}

    Each line is the notice as it is after the change, so replaying a line twice
    changes nothing and a torn last line (a crash while appending) only loses the
    change being made then: a notice added is never lost once :meth:`add`
    returned (fsync'd). An absent file is an empty log (no layout change).

    A notice dropped (:meth:`drop_caseless`, for /delete_my_data) gets a tombstone line
    ``{"notice_id": "n1", "dropped": true}``: from then on it is as if never added (its
    earlier lines stay in the file until the log is rewritten; they hold the bot's own
    words, a draft's reminder, not what the person wrote).

    In memory: the undelivered notices whole (a mailbox check on every request and
    the staff count read only these), and of the delivered ones only where their
    last line is, for :meth:`get`.
    """

    def __init__(self, log_file: JsonLinesLog, *, read_only: bool = False) -> None:
        self._log = log_file
        self._read_only = read_only
        self._lock = threading.Lock()
        self._undelivered: dict[str, Notice] = {}  # in order added
        self._by_user: dict[UserKey, dict[str, None]] = {}  # undelivered ids per person
        self._delivered: dict[str, int] = {}  # notice id -> byte offset of its last line

    def load(self) -> None:
        """Read the log (cutting a torn tail unless read-only) and open it for appending."""
        self._undelivered.clear()
        self._by_user.clear()
        self._delivered.clear()
        if not self._read_only:
            self._log.repair_tail()
        for offset, value in self._log.scan_with_offsets(end=self._log.size()):
            if isinstance(value, dict) and value.get("dropped") is True:
                self._forget(str(value.get("notice_id")))
                continue
            try:
                notice = Notice.from_dict(value)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # not a notice: skipped (scan_with_offsets already skips non-JSON)
            self._place(notice, offset)
        if not self._read_only:
            self._log.open()

    def _place(self, notice: Notice, offset: int) -> None:
        if notice.delivered_at is None:
            self._delivered.pop(notice.notice_id, None)
            self._undelivered[notice.notice_id] = notice
            self._by_user.setdefault(notice.user_id, {})[notice.notice_id] = None
        else:
            old = self._undelivered.pop(notice.notice_id, None)
            if old is not None:
                ids = self._by_user.get(old.user_id, {})
                ids.pop(notice.notice_id, None)
                if not ids:
                    self._by_user.pop(old.user_id, None)
            self._delivered[notice.notice_id] = offset

    def _forget(self, notice_id: str) -> None:
        self._delivered.pop(notice_id, None)
        old = self._undelivered.pop(notice_id, None)
        if old is not None:
            ids = self._by_user.get(old.user_id, {})
            ids.pop(notice_id, None)
            if not ids:
                self._by_user.pop(old.user_id, None)

    # -- lookups -----------------------------------------------------------------------
    def get(self, notice_id: str) -> Notice | None:
        with self._lock:
            notice = self._undelivered.get(notice_id)
            offset = self._delivered.get(notice_id)
        if notice is not None:
            return _copy(notice)
        if offset is None:
            return None
        for value in self._log.read_at([offset]):
            return Notice.from_dict(value)
        return None

    def undelivered(self, user_id: UserKey | None = None) -> list[Notice]:
        with self._lock:
            if user_id is None:
                notices = list(self._undelivered.values())
            else:
                notices = [self._undelivered[i] for i in self._by_user.get(user_id, ())]
        notices.sort(key=lambda n: n.created_at)  # stable: ties stay in order added
        return [_copy(n) for n in notices]

    def undelivered_by_case(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for notice in self._undelivered.values():
                if notice.case_number:
                    counts[notice.case_number] = counts.get(notice.case_number, 0) + 1
        return counts

    # -- changes -----------------------------------------------------------------------
    def add(self, notice: Notice) -> None:
        with self._lock:
            if notice.notice_id in self._undelivered or notice.notice_id in self._delivered:
                return
            offset = self._log.append(notice.to_dict())
            self._place(_copy(notice), offset)

    def change(self, notice_id: str, how: Callable[[Notice], Notice]) -> Notice:
        """Apply ``how`` to the notice and append the result (nothing when it is unchanged)."""
        current = self.get(notice_id)
        if current is None:
            raise NoticeNotFound(notice_id)
        with self._lock:
            # The line is appended under the lock, so one notice's lines reach the
            # file in the order they were computed (the last line must be the truth).
            latest = self._undelivered.get(notice_id, current)
            new = how(latest)
            if new == latest:
                return _copy(latest)
            offset = self._log.append(new.to_dict())
            self._place(new, offset)
            return _copy(new)

    def drop_caseless(self, user_id: UserKey) -> list[str]:
        """Drop the person's undelivered notices of no case (a tombstone line each)."""
        with self._lock:
            dropped = [
                i for i in self._by_user.get(user_id, ()) if not self._undelivered[i].case_number
            ]
            for notice_id in dropped:
                self._log.append({"notice_id": notice_id, "dropped": True})
                self._forget(notice_id)
        return dropped

    def close(self) -> None:
        self._log.close()


def _copy(notice: Notice) -> Notice:
    """A notice nobody else holds (its replies are dicts: storage hands out copies only)."""
    return notice.copy()
