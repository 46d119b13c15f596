"""Crash-safe file operations under one data directory: atomic writes, exclusive creation,
owner-only permissions and a quarantine for files that cannot be read."""

from __future__ import annotations

import errno
import itertools
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def read_file(path: Path | str) -> bytes:
    """Return the whole file's bytes; FileNotFoundError when there is none.

    Four system calls (open, fstat, read, close) where a buffered ``open`` makes nine
    (it adds an ``isatty`` ioctl, two ``lseek``, a second ``fstat`` and a last ``read``
    to find the end): these files are read on every step. One ``read`` of the size
    plus a byte gets it all unless the file changed meanwhile (or the read came back
    short), and then it reads on to the end.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) != size:
            parts = [data]
            while part := os.read(fd, max(size + 1, 1 << 16)):
                parts.append(part)
            data = b"".join(parts)
    finally:
        os.close(fd)
    return data


def fsync_dir(path: Path) -> None:
    """Make the directory's entries (created, renamed, removed names) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as owner-only folders, durably.

    A new folder's own name lives in its parent, so the parent is fsync'd too:
    otherwise a crash could lose the folder together with every file in it.
    """
    if path.is_dir():
        return
    make_dir(path.parent)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)  # the umask may have taken bits away; never adds any
    fsync_dir(path.parent)


class DurableFiles:
    """Writes whole files so that after a crash each holds either its old or its new bytes.

    Every write goes to a private temporary file in ``tmp_dir`` (same file
    system as the targets), is fsync'd, then renamed or linked into place, and
    the target folder is fsync'd before the call returns. Whoever owns the
    data directory empties ``tmp_dir`` at start-up (:meth:`clear_tmp`): what is
    left there belongs to writes that never returned.
    """

    def __init__(self, tmp_dir: Path, quarantine_dir: Path, *, fsync: bool = True) -> None:
        # fsync=False exists for bulk loading test and benchmark fixtures only;
        # TinyDBStorage never turns it off.
        self._tmp_dir = tmp_dir
        self._quarantine_dir = quarantine_dir
        self._fsync = fsync
        # Unique per instance, so two instances in one process never pick the
        # same temporary name (O_EXCL would fail, and create() would take that
        # FileExistsError for a taken target).
        self._prefix = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._names = itertools.count()
        self._quarantine_lock = threading.Lock()  # two moves must not pick one name

    def clear_tmp(self) -> int:
        """Remove leftovers of interrupted writes; return how many there were."""
        removed = 0
        for entry in os.scandir(self._tmp_dir):
            os.unlink(entry.path)
            removed += 1
        return removed

    def _write_tmp(self, chunks: Iterable[bytes]) -> str:
        name = os.path.join(self._tmp_dir, f"{self._prefix}-{next(self._names)}.tmp")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
            if self._fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(name)
            raise
        os.close(fd)
        return name

    def replace(self, path: Path, data: bytes | Iterable[bytes]) -> None:
        """Atomically make ``path`` hold ``data`` (bytes, or chunks of bytes streamed to disk)."""
        tmp = self._write_tmp((data,) if isinstance(data, bytes | bytearray) else data)
        try:
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        if self._fsync:
            fsync_dir(path.parent)

    def create(self, path: Path, data: bytes) -> None:
        """Atomically create ``path`` holding ``data``; raise FileExistsError if it exists.

        ``os.link`` fails when the name is taken, like ``O_EXCL``, and unlike
        ``O_EXCL`` it never exposes a half-written file under the final name.
        """
        tmp = self._write_tmp((data,))
        try:
            os.link(tmp, path)
        finally:
            os.unlink(tmp)
        if self._fsync:
            fsync_dir(path.parent)

    def adopt(self, source: Path, path: Path) -> None:
        """Durably create ``path`` holding the bytes of the file ``source``; FileExistsError if taken.

        ``source`` is linked in when it is on the same file system (no copy), else
        copied in 1 MiB pieces; the caller removes ``source`` afterwards.
        """
        with open(source, "rb") as fh:
            if self._fsync:
                os.fsync(fh.fileno())  # its bytes are on disk before its new name is
            try:
                os.link(source, path)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                tmp = self._write_tmp(iter(lambda: fh.read(1 << 20), b""))
                try:
                    os.link(tmp, path)
                finally:
                    os.unlink(tmp)
        os.chmod(path, FILE_MODE)
        if self._fsync:
            fsync_dir(path.parent)

    def delete(self, path: Path) -> bool:
        """Remove ``path`` durably; return False when it did not exist."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        if self._fsync:
            fsync_dir(path.parent)
        return True

    def quarantine(self, path: Path, root: Path, reason: str) -> Path | None:
        """Move an unreadable file aside, keeping its bytes; return where it went.

        The new name keeps the path relative to ``root`` (slashes become ``__``)
        and the time, so several generations of the same file can sit side by
        side. Returns None when the file is already gone.
        """
        try:
            relative = path.relative_to(root)
        except ValueError:
            relative = Path(path.name)
        with self._quarantine_lock:
            target = self._free_name("__".join(relative.parts))
            try:
                os.rename(path, target)
            except FileNotFoundError:
                return None
        fsync_dir(self._quarantine_dir)
        fsync_dir(path.parent)
        log.error("quarantined unreadable file %s to %s: %s", path, target, reason)
        return target

    def keep_bytes(self, name: str, data: bytes) -> Path:
        """Store bytes cut from a file (e.g. a torn log line) in the quarantine folder."""
        with self._quarantine_lock:
            target = self._free_name(name)
            self.create(target, data)
        return target

    def _free_name(self, base: str) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for n in itertools.count():
            target = self._quarantine_dir / f"{base}.{stamp}.{n}"
            if not target.exists():
                return target
        raise AssertionError("unreachable")
