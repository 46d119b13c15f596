"""An append-only file of JSON lines that survives crashes: fsync'd appends, torn tails cut off."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from storage.durable_files import FILE_MODE, DurableFiles, fsync_dir
from storage.errors import StorageError

log = logging.getLogger(__name__)


class DamagedLog(StorageError):
    """A line other than the last one cannot be read: not a crash artefact but damage."""

    def __init__(self, path: Path, lineno: int, reason: str) -> None:
        super().__init__(f"{path} line {lineno}: {reason}")
        self.path = path
        self.lineno = lineno


def encode_line(value: Any) -> bytes:
    """Return one JSON line (UTF-8, no spaces, newline-terminated)."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class JsonLinesLog:
    """One append-only JSON-lines file.

    Each :meth:`append` is a single ``write()`` on an ``O_APPEND`` descriptor,
    fsync'd before it returns, so a killed process leaves whole lines only and
    a power cut can at worst leave the last line torn. :meth:`scan` with
    ``repair=True`` (at start-up, before any append) cuts such a torn tail off
    and keeps its bytes in the quarantine folder, so later appends start on a
    clean line.
    """

    def __init__(self, path: Path, files: DurableFiles, *, fsync: bool = True) -> None:
        self.path = path
        self._files = files
        self._fsync = fsync
        self._fd: int | None = None
        # Where the next append starts, kept by the appends themselves (one process holds
        # the data directory): no lseek per line. None after a failed write: ask the file.
        self._end: int | None = None
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def scan(self, *, repair: bool, strict: bool, end: int | None = None) -> Iterator[Any]:
        """Yield the parsed lines in order.

        The last line is torn when it lacks its newline or is not JSON; it is
        skipped, and with ``repair`` cut off the file (its bytes are kept in
        quarantine). An unreadable earlier line raises :class:`DamagedLog`
        when ``strict``, else it is skipped and logged. ``end`` limits reading
        to a prefix, e.g. a size taken while no append was in flight.
        """
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed below, generator body
        except FileNotFoundError:
            return
        with handle:
            offset = 0
            held: tuple[int, int, bytes] | None = (
                None  # the previous line, not yet known to be last
            )
            for lineno, raw in enumerate(handle, start=1):
                if end is not None and offset >= end:
                    break
                if held is not None:
                    yield from self._parse_inner(*held, strict=strict)
                held = (offset, lineno, raw)
                offset += len(raw)
            if held is None:
                return
            start, lineno, raw = held
            value, ok = _parse(raw) if raw.endswith(b"\n") else (None, False)
            if ok:
                if value is not None:
                    yield value
                return
        log.warning("%s: torn last line %d (%d bytes)", self.path, lineno, len(raw))
        if repair:
            self._cut_tail(start, raw)

    def scan_with_offsets(self, *, end: int) -> Iterator[tuple[int, Any]]:
        """Yield (byte offset, parsed line) for each complete, readable line before ``end``."""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed below, generator body
        except FileNotFoundError:
            return
        with handle:
            offset = 0
            for raw in handle:
                if offset >= end or not raw.endswith(b"\n"):
                    break
                value, ok = _parse(raw)
                if ok and value is not None:
                    yield offset, value
                offset += len(raw)

    def read_at(self, offsets: Iterable[int]) -> Iterator[Any]:
        """Yield the parsed lines starting at these byte offsets (unreadable ones skipped)."""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed below, generator body
        except FileNotFoundError:
            return
        with handle:
            for offset in offsets:
                handle.seek(offset)
                value, ok = _parse(handle.readline())
                if ok and value is not None:
                    yield value

    def repair_tail(self) -> None:
        """Cut a torn last line off without reading the whole file (logs that are never scanned at start-up)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0:
            return
        window = 4096
        with open(self.path, "rb") as handle:
            while True:
                start = max(0, size - window)
                handle.seek(start)
                chunk = handle.read(size - start)
                # The last line starts after the last newline that is not the final byte.
                cut = chunk.rfind(b"\n", 0, len(chunk) - 1)
                if cut >= 0 or start == 0:
                    break
                window *= 4
        line_start = start + cut + 1
        raw = chunk[cut + 1 :]
        if raw.endswith(b"\n") and _parse(raw)[1]:
            return
        log.warning("%s: torn last line (%d bytes)", self.path, len(raw))
        self._cut_tail(line_start, raw)

    def _parse_inner(self, offset: int, lineno: int, raw: bytes, *, strict: bool) -> Iterator[Any]:
        value, ok = _parse(raw)
        if ok:
            if value is not None:
                yield value
            return
        if strict:
            raise DamagedLog(self.path, lineno, "not a JSON line")
        log.warning("%s: skipped unreadable line %d at byte %d", self.path, lineno, offset)

    def _cut_tail(self, start: int, raw: bytes) -> None:
        kept = self._files.keep_bytes(self.path.name + ".torn", raw)
        with open(self.path, "r+b") as handle:
            handle.truncate(start)
            handle.flush()
            os.fsync(handle.fileno())
        with self._lock:
            self._end = None  # (open for appending, which it is not at start-up) ask the file
        log.warning("%s: cut torn tail at byte %d, bytes kept in %s", self.path, start, kept)

    # -- writing ---------------------------------------------------------------------
    def open(self) -> None:
        """Open for appending, creating the file (owner-only) when missing."""
        if self._fd is not None:
            return
        created = not self.path.exists()
        self._opened(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE))
        if created and self._fsync:
            fsync_dir(self.path.parent)

    def append(self, value: Any) -> int:
        """Append one line; return its byte offset.

        Durable when this returns if the log fsyncs; else written, which a killed
        process keeps but a power cut may not.
        """
        return self.append_encoded(encode_line(value))

    def append_encoded(self, line: bytes) -> int:
        """Append bytes that already end with a newline (durable as :meth:`append` is).

        Return the byte offset where the line starts.
        """
        fd = self._fd
        if fd is None:
            raise StorageError(f"{self.path} is not open for appending")
        with self._lock:
            # One write() per line keeps lines whole: O_APPEND writes to a
            # regular file are not interleaved with other appends.
            start = self._end
            self._end = None  # unknown until the line is whole
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            if start is None:  # after a write that failed: the file knows
                start = os.lseek(fd, 0, os.SEEK_CUR) - len(line)
            self._end = start + len(line)
        # fsync outside the lock: it flushes this line and every line written
        # before it, so threads that append together share one flush.
        if self._fsync:
            os.fsync(fd)
        return start

    def size(self) -> int:
        """Return the length of the file up to the last complete append."""
        with self._lock:
            if self._fd is not None:
                return os.fstat(self._fd).st_size
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def rewrite(self, values: Iterable[Any]) -> None:
        """Atomically replace the whole file with these lines (compaction, rebuild).

        ``values`` may be a generator: lines are streamed to disk in batches,
        so rewriting 105,000 index rows never holds them all in memory.
        """
        with self._lock:
            reopen = self._fd is not None
            self._close_fd()
            self._files.replace(self.path, _batched_lines(values))
            if reopen:
                self._opened(os.open(self.path, os.O_WRONLY | os.O_APPEND, FILE_MODE))

    def roll_over(self, to: Path) -> None:
        """Rename this file to ``to`` (replacing what was there) and start an empty one.

        Cheap at any size: a rename and an open, no copying.
        """
        with self._lock:
            reopen = self._fd is not None
            self._close_fd()
            os.replace(self.path, to)
            if self._fsync:
                fsync_dir(self.path.parent)
            if reopen:
                self._opened(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE))

    def close(self) -> None:
        with self._lock:
            self._close_fd()

    def _opened(self, fd: int) -> None:
        self._fd = fd
        self._end = os.fstat(fd).st_size  # appends land here: nobody else writes the file

    def _close_fd(self) -> None:
        self._end = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _batched_lines(values: Iterable[Any], batch_bytes: int = 1 << 20) -> Iterator[bytes]:
    batch: list[bytes] = []
    size = 0
    for value in values:
        line = encode_line(value)
        batch.append(line)
        size += len(line)
        if size >= batch_bytes:
            yield b"".join(batch)
            batch, size = [], 0
    if batch:
        yield b"".join(batch)


def _parse(raw: bytes) -> tuple[Any, bool]:
    """Return (value, True) for a JSON line, (None, True) for a blank one, (None, False) else."""
    text = raw.strip()
    if not text:
        return None, True
    try:
        return json.loads(text), True
    except ValueError:
        return None, False
