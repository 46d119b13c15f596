"""The case index: summaries of every case in memory, behind an append-only log on disk."""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, overload

from flows.identity import UserKey
from storage.documents import audit_view, summary_view
from storage.jsonl_log import DamagedLog, JsonLinesLog
from storage.records import AuditEntry, CaseFilter, CaseSummary


@dataclass(frozen=True)
class Intent:
    """A change to a case that was announced in the index but maybe not finished.

    Every change to a case file is bracketed by two index lines: a ``begin``
    line (fsync'd before the case file is touched) and a ``row`` line with the
    case's new summary (after the file and the audit entry are written). A
    ``begin`` without its ``row`` after a crash names the one case file whose
    summary may be stale, so start-up re-reads that file instead of all of them.
    """

    seq: int
    case_number: str
    draft_id: str | None  # set when the intent creates a case
    audit: AuditEntry | None  # the entry the change writes, replayed on recovery


class CaseIndex:
    """Case summaries for listing and export, and the draft id -> case number map.

    The log holds three kinds of JSON lines::

        {"op": "begin", "seq": 7, "case_number": "...", "draft_id": "..." | null, "audit": {...}}
        {"op": "row", "seq": 7, "draft_id": "...", "row": {...CaseSummary...}}
        {"op": "abandon", "seq": 7}

    Rows for the same case supersede earlier ones (last one wins). A ``begin``
    that creates a case also reserves the number for the draft, durably, before
    the case file exists: that is what makes ``create_case`` idempotent across
    crashes. The whole log can be rebuilt from the case files.
    """

    def __init__(self, log_file: JsonLinesLog) -> None:
        self._log = log_file
        self._lock = threading.Lock()
        self._rows: dict[str, CaseSummary] = {}
        self._drafts: dict[str, str] = {}  # draft id -> case number (created or reserved)
        self._taken: set[str] = set()  # numbers of cases and reservations, never handed out again
        # sha256 -> the case (or cases) holding that evidence file. One string per
        # file, shared with the row's tuple; a tuple only for a file in several cases.
        self._evidence: dict[str, str | tuple[str, ...]] = {}
        # user id -> their case number(s): a user's cases without a pass over every row.
        self._by_user: dict[UserKey, str | tuple[str, ...]] = {}
        # Cases whose reporter wrote and staff have not answered: the case list counts
        # them on every page view, without a pass over every row.
        self._unread: set[str] = set()
        self._pending: dict[int, Intent] = {}
        self._next_seq = 0

    # -- loading -----------------------------------------------------------------------
    def load(self) -> list[Intent]:
        """Read the log and open it for appending; return the intents left unfinished.

        Raises :class:`storage.jsonl_log.DamagedLog` when a line other than the
        last cannot be read; the caller then rebuilds from the case files.
        """
        self._clear()
        for value in self._log.scan(repair=True, strict=True):
            self._apply(value)
        self._log.open()
        return sorted(self._pending.values(), key=lambda i: i.seq)

    def load_snapshot(self) -> None:
        """Read the log as it is, for a reader beside the writing process.

        Nothing is repaired or opened for appending: a torn last line (a write in
        flight) and any unreadable line are skipped, and unfinished creations are
        left to the writer.
        """
        self._clear()
        for value in self._log.scan(repair=False, strict=False):
            self._apply(value)

    def _clear(self) -> None:
        self._rows.clear()
        self._evidence.clear()
        self._by_user.clear()
        self._unread.clear()
        self._drafts.clear()
        self._taken.clear()
        self._pending.clear()
        self._next_seq = 0

    def _apply(self, value: Any) -> None:
        try:
            op = value["op"]
            seq = int(value["seq"])
            if op == "begin":
                number = value["case_number"]
                draft_id = value.get("draft_id")
                audit = value.get("audit")
                intent = Intent(
                    seq, number, draft_id, AuditEntry.from_dict(audit) if audit else None
                )
                self._pending[seq] = intent
                self._taken.add(number)
                if draft_id:
                    self._drafts[draft_id] = number
            elif op == "row":
                row = _summary_from_dict(value["row"])
                self._index_row(self._rows.get(row.case_number), row)
                self._rows[row.case_number] = row
                self._taken.add(row.case_number)
                if value.get("draft_id"):
                    self._drafts[value["draft_id"]] = row.case_number
                self._pending.pop(seq, None)
            elif op == "abandon":
                self._pending.pop(seq, None)
            else:
                raise ValueError(f"unknown op {op!r}")
        except (KeyError, TypeError, ValueError) as exc:
            raise DamagedLog(self._log.path, 0, f"bad index entry: {exc}") from exc
        self._next_seq = max(self._next_seq, seq + 1)

    def rebuild(self, cases: Iterable[tuple[CaseSummary, str]]) -> int:
        """Replace the log with one row per case (summary, draft id); return the count."""
        self._clear()

        def rows() -> Iterator[dict[str, Any]]:
            for summary, draft_id in cases:
                seq = self._next_seq
                self._next_seq += 1
                row = _interned(summary)
                self._index_row(self._rows.get(row.case_number), row)
                self._rows[row.case_number] = row
                self._taken.add(summary.case_number)
                self._drafts[draft_id] = summary.case_number
                yield {"op": "row", "seq": seq, "draft_id": draft_id, "row": summary_view(summary)}

        self._log.rewrite(rows())
        self._log.open()
        return len(self._rows)

    def mark_taken(self, case_number: str) -> None:
        """Never hand out this number (e.g. a case file that had to be quarantined)."""
        with self._lock:
            self._taken.add(case_number)

    # -- lookups -----------------------------------------------------------------------
    def case_number_for_draft(self, draft_id: str) -> str | None:
        with self._lock:
            return self._drafts.get(draft_id)

    def has_row(self, case_number: str) -> bool:
        with self._lock:
            return case_number in self._rows

    def row(self, case_number: str) -> CaseSummary | None:
        with self._lock:
            return self._rows.get(case_number)

    def list(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        """Return matching rows, oldest submission first (rows are immutable: no copy needed)."""
        with self._lock:
            if filter is not None and filter.user_id is not None:
                rows = [self._rows[n] for n in _numbers(self._by_user, filter.user_id)]
            elif filter is not None and filter.unread_messages:
                rows = [self._rows[n] for n in self._unread]
            else:
                rows = list(self._rows.values())
        if filter is not None and filter != CaseFilter():
            rows = [r for r in rows if filter.matches(r)]
        rows.sort(key=lambda r: (r.submitted_at, r.case_number))
        return rows

    def cases_holding(self, sha256: str) -> tuple[str, ...]:
        """Numbers of the cases whose evidence includes this file (a dictionary lookup)."""
        with self._lock:
            return self._holding(sha256)

    def _holding(self, sha256: str) -> tuple[str, ...]:
        return _numbers(self._evidence, sha256)

    def _index_row(self, old: CaseSummary | None, new: CaseSummary) -> None:
        """Keep the maps from files and from users to cases true for a new or changed row."""
        number = new.case_number
        if old is not None:
            if old.user_id != new.user_id:
                _remove(self._by_user, old.user_id, number)
            for digest in set(old.evidence_sha256) - set(new.evidence_sha256):
                _remove(self._evidence, digest, number)
        _add(self._by_user, new.user_id, number)
        if new.unread_messages:
            self._unread.add(number)
        else:
            self._unread.discard(number)
        for digest in new.evidence_sha256:
            _add(self._evidence, digest, number)  # the row's own string: no copy

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    # -- changes -----------------------------------------------------------------------
    @overload
    def begin(
        self,
        case_number: str,
        *,
        draft_id: str | None,
        audit: AuditEntry | None,
        new_number: Literal[False],
    ) -> int: ...

    @overload
    def begin(
        self,
        case_number: str,
        *,
        draft_id: str | None,
        audit: AuditEntry | None,
        new_number: bool,
    ) -> int | None: ...

    def begin(
        self,
        case_number: str,
        *,
        draft_id: str | None,
        audit: AuditEntry | None,
        new_number: bool,
    ) -> int | None:
        """Announce a change to a case durably; return its sequence number.

        With ``new_number`` the number is first checked against every case and
        reservation known here; None means it is taken and another must be drawn.
        """
        with self._lock:
            if new_number and case_number in self._taken:
                return None
            seq = self._next_seq
            self._next_seq += 1
            intent = Intent(seq, case_number, draft_id, audit)
            self._pending[seq] = intent
            self._taken.add(case_number)
            if draft_id:
                self._drafts[draft_id] = case_number
        # The caller holds the lock of this draft and of this case, so lines
        # about one draft or one case reach the file in the order of the calls;
        # the index lock is not held across the fsync.
        self._log.append(
            {
                "op": "begin",
                "seq": seq,
                "case_number": case_number,
                "draft_id": draft_id,
                "audit": audit_view(audit) if audit else None,
            }
        )
        return seq

    def commit(self, seq: int, summary: CaseSummary, draft_id: str) -> None:
        """Record the case's new summary durably, finishing intent ``seq``."""
        self._log.append(
            {"op": "row", "seq": seq, "draft_id": draft_id, "row": summary_view(summary)}
        )
        with self._lock:
            row = _interned(summary)
            self._index_row(self._rows.get(row.case_number), row)
            self._rows[row.case_number] = row
            self._drafts[draft_id] = summary.case_number
            self._pending.pop(seq, None)

    def abandon(self, seq: int) -> None:
        """Mark intent ``seq`` as finished without a change to its case."""
        self._log.append({"op": "abandon", "seq": seq})
        with self._lock:
            self._pending.pop(seq, None)

    def close(self) -> None:
        self._log.close()


# Maps to case numbers keep one string per key (shared with the row), and a tuple
# only for the few keys with several cases: 105,000 one-element tuples would cost MBs.
def _numbers(mapping: dict[Any, str | tuple[str, ...]], key: Any) -> tuple[str, ...]:
    held = mapping.get(key, ())
    return (held,) if isinstance(held, str) else held


def _add(mapping: dict[Any, str | tuple[str, ...]], key: Any, number: str) -> None:
    held = _numbers(mapping, key)
    if number not in held:
        mapping[key] = (*held, number) if held else number


def _remove(mapping: dict[Any, str | tuple[str, ...]], key: Any, number: str) -> None:
    rest = tuple(n for n in _numbers(mapping, key) if n != number)
    if rest:
        mapping[key] = rest[0] if len(rest) == 1 else rest
    else:
        mapping.pop(key, None)


_SHARED_STRINGS = ("tier", "service", "reporter_type")


def _summary_from_dict(data: dict[str, Any]) -> CaseSummary:
    data = dict(data)
    for name in _SHARED_STRINGS:
        if isinstance(data.get(name), str):
            data[name] = sys.intern(data[name])
    return CaseSummary.from_dict(data)


def _interned(row: CaseSummary) -> CaseSummary:
    # 105,000 rows share a handful of tier, service and reporter-type strings;
    # interning them saves several MB of duplicate strings in memory.
    shared: dict[str, Any] = {
        n: sys.intern(v) for n in _SHARED_STRINGS if isinstance(v := getattr(row, n), str)
    }
    return dataclasses.replace(row, **shared)
