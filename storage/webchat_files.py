"""The web chat's pages and signing secret as files of a data directory (TinyDB store).

One small file of JSON lines per visitor under ``DATA_DIR/webchat/chats/`` (fanned out by
the id's hash). Each answer appends one line (its request number and the bubbles it
added) in a single ``write`` with ``O_APPEND``: no rename, no rewrite of what was there,
which keeps the web chat's own cost per step small beside the conversation's durable
write; an answer parses only the file's last lines (:meth:`WebChatFiles.tail`), the
page all of them, and the writing process keeps each visitor's last lines as it wrote
them, so the next answer does not read the file again. A line torn by a kill is skipped when read (the lines before it stand).
:meth:`WebChatFiles.replace` rewrites a file atomically (a temporary file renamed over
it). Nothing here is fsync'd: the conversation itself is, and a transcript lost to a
power cut only shortens what the page shows. The folder is optional: absent, every
visitor's transcript is empty (no layout change).

The secret lives in ``DATA_DIR/web_secret``, made with ``O_EXCL`` and fsync'd, so two
processes on one data directory agree on one.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import secrets
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from storage.durable_files import read_file

log = logging.getLogger(__name__)

SECRET_FILE = "web_secret"
TAILS_KEPT = 4096  # visitors whose transcript tail the writing process keeps (a few KB each)
Entry = tuple[int, list[dict[str, Any]]]


def entry_line(seq: int, bubbles: list[dict[str, Any]]) -> bytes:
    data = {"seq": seq, "add": bubbles}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def read_entry(line: bytes, visitor: str) -> Entry | None:
    """One line's entry; None (and a warning) for a torn or damaged line."""
    try:
        data = json.loads(line)
        seq = int(data["seq"])
        added = data["add"]
        if not isinstance(added, list) or not all(isinstance(b, dict) for b in added):
            raise TypeError("bubbles")
    except (ValueError, KeyError, TypeError):
        log.warning("web chat transcript of %s: a torn line skipped", visitor)
        return None
    return seq, added


def read_entries(raw: bytes, visitor: str) -> list[Entry]:
    return [entry for line in raw.splitlines() if (entry := read_entry(line, visitor))]


def read_tail(raw: bytes, visitor: str) -> tuple[int, list[Entry]]:
    """The number of lines and the newest entries back to one with a bubble not ``mine``.

    Only those lines are parsed: an answer needs no more (see
    :meth:`storage.base.Storage.web_transcript_tail`).
    """
    lines = [line for line in raw.splitlines() if line.strip()]
    tail: list[Entry] = []
    for line in reversed(lines):
        entry = read_entry(line, visitor)
        if entry is None:
            continue
        tail.append(entry)
        if any(not bubble.get("mine") for bubble in entry[1]):
            break
    tail.reverse()
    return len(lines), tail


class WebChatFiles:
    """Transcripts under ``data_dir/webchat`` and the secret in ``data_dir/web_secret``."""

    def __init__(self, data_dir: Path, *, writable: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.chats = self.data_dir / "webchat" / "chats"
        self.tmp = self.data_dir / "webchat" / "tmp"
        self._prefix = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._names = itertools.count()  # next() is atomic: worker threads never share a name
        self._chats = str(self.chats)
        # The tails this process wrote (see tail()); only for the writer: a read-only store
        # reads files another process writes.
        self._tails: OrderedDict[str, tuple[int, list[Entry]]] | None = (
            OrderedDict() if writable else None
        )
        self._tails_lock = threading.Lock()
        if writable and self.tmp.is_dir():
            for entry in os.scandir(self.tmp):  # rewrites that never finished
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

    def path(self, visitor: str) -> Path:
        return Path(self._file(visitor))

    def _file(self, visitor: str) -> str:
        fan = hashlib.sha256(visitor.encode()).hexdigest()[:2]
        return f"{self._chats}/{fan}/{visitor}.jsonl"

    def load(self, visitor: str) -> list[Entry]:
        try:
            raw = read_file(self._file(visitor))
        except FileNotFoundError:
            return []
        return read_entries(raw, visitor)

    def tail(self, visitor: str) -> tuple[int, list[Entry]]:
        """The file's line count and its newest entries (:func:`read_tail`).

        The writing process keeps what it read or wrote of a visitor's tail (the
        :data:`TAILS_KEPT` most recent visitors), updated by its own appends, rewrites and
        deletions: one process holds a TinyDB data directory (its ``.lock``), so nobody
        else changes these files, and the next answer need not open, read and parse the
        file again. What is kept is the lines as a reader of the file parses them. The
        entries returned are shared with what is kept: callers read them, never change them.
        """
        if self._tails is not None:
            with self._tails_lock:
                kept = self._tails.get(visitor)
                if kept is not None:
                    self._tails.move_to_end(visitor)
                    return kept[0], list(kept[1])
        try:
            raw = read_file(self._file(visitor))
        except FileNotFoundError:
            return 0, []
        lines, entries = read_tail(raw, visitor)
        self._keep(visitor, (lines, entries))
        return lines, list(entries)

    def _keep(self, visitor: str, tail: tuple[int, list[Entry]] | None) -> None:
        """Keep (or, with None, forget) the visitor's tail as the file now holds it."""
        if self._tails is None:
            return
        with self._tails_lock:
            if tail is None:
                self._tails.pop(visitor, None)
                return
            self._tails[visitor] = tail
            self._tails.move_to_end(visitor)
            if len(self._tails) > TAILS_KEPT:
                self._tails.popitem(last=False)

    def append(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        line = entry_line(seq, bubbles)
        path = self._file(visitor)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # personal data
        except FileNotFoundError:  # the fan-out folder is new
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            written = os.write(fd, line)
        except BaseException:
            self._keep(visitor, None)  # the file may hold part of the line: read it again
            raise
        finally:
            os.close(fd)
        if self._tails is None:
            return
        with self._tails_lock:
            kept = self._tails.get(visitor)
        if kept is None:
            return
        entry = read_entry(line, visitor) if written == len(line) else None
        if entry is None:  # a short write (a full disk): the file says what it holds
            self._keep(visitor, None)
            return
        lines, entries = kept
        mine_only = all(bubble.get("mine") for bubble in entry[1])
        self._keep(visitor, (lines + 1, [*entries, entry] if mine_only else [entry]))

    def replace(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        self._keep(visitor, None)
        path = self.path(visitor)
        self.tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.tmp / f"{self._prefix}-{next(self._names)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(entry_line(seq, bubbles))
        try:
            os.replace(tmp, path)
        except FileNotFoundError:  # the fan-out folder is new
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(tmp, path)
        line = entry_line(seq, bubbles)
        entry = read_entry(line, visitor)
        self._keep(visitor, (1, [entry]) if entry is not None else None)

    def delete(self, visitor: str) -> None:
        self._keep(visitor, None)
        self.path(visitor).unlink(missing_ok=True)

    def stored_secret(self) -> str | None:
        try:
            return (self.data_dir / SECRET_FILE).read_text().strip() or None
        except FileNotFoundError:
            return None

    def secret(self, proposed: str) -> str:
        """The secret kept in the data directory, made from ``proposed`` on first use.

        Written whole to a temporary file, then linked into place (``link`` fails when
        the name exists): a reader never sees half a secret, and of two makers the
        first wins and the second takes theirs.
        """
        if (kept := self.stored_secret()) is not None:
            return kept
        path = self.data_dir / SECRET_FILE
        self.tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.tmp / f"{self._prefix}-{next(self._names)}.secret"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as file:
                file.write(proposed + "\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:  # another process or thread made it first: use theirs
                kept = self.stored_secret()
                assert kept is not None
                return kept
        finally:
            tmp.unlink(missing_ok=True)
        log.info("WEB_SECRET is not set: made one in %s", path)
        return proposed
