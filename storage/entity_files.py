"""One entity per small TinyDB file: the bytes TinyDB writes, replaced atomically, read as TinyDB reads them."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

from tinydb.storages import Storage as TinyDBStorageBase

from storage.durable_files import DurableFiles, read_file
from storage.errors import CorruptFile

# Each entity file is a TinyDB database with one table holding one document.
DOC_ID = 1


class DamagedDocument(ValueError):
    """An entity file whose bytes are not a TinyDB database holding the document asked for."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_document(path: Path | str, table: str) -> dict[str, Any] | None:
    """Return the one document of the entity file at ``path``, or None when there is no file.

    Parses the same TinyDB JSON directly, without building a TinyDB: for bulk
    reads (exports read every case) TinyDB's per-open machinery is half the
    cost of reading a one-document file. Raises :class:`DamagedDocument`; what
    to do with the file is the caller's business.
    """
    try:
        raw = read_file(path)
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(raw)[table][str(DOC_ID)]
        if not isinstance(doc, dict):
            raise TypeError("the document is not an object")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DamagedDocument(f"{type(exc).__name__}: {exc}") from exc
    return doc


def decode_database(raw: bytes) -> dict[str, dict[str, Any]]:
    """The tables of an entity file's bytes; ValueError when they are not a TinyDB database."""
    data = json.loads(raw)  # ValueError (JSON or UTF-8) for damaged bytes
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise ValueError("not a TinyDB database (an object of tables)")
    return data


def encode_database(data: dict[str, dict[str, Any]]) -> bytes:
    """The bytes of a TinyDB database (an object of tables) as entity files hold them."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def encode_document(table: str, doc: dict[str, Any]) -> bytes:
    """The bytes of an entity file holding ``doc``: what a TinyDB with nothing in it
    writes after inserting ``doc`` as document :data:`DOC_ID` of ``table``."""
    return encode_database({table: {str(DOC_ID): doc}})


class WriteMode(Enum):
    """How an :class:`EntityFileStorage` treats the file it stands for."""

    READ_MODIFY = "read_modify"  # read what is there, replace it atomically on write
    REPLACE = "replace"  # ignore what is there (read sees nothing), replace on write
    CREATE = "create"  # the file must not exist yet; write fails with FileExistsError


class EntityFileStorage(TinyDBStorageBase):
    """A TinyDB storage for one small JSON file that is never rewritten in place.

    ``write`` hands the serialised database to :class:`DurableFiles`, which
    writes a temporary file, fsyncs it, renames (or, for CREATE, links) it over
    the target and fsyncs the folder: readers and crashes see the old file or
    the new one, never a mix. ``read`` raises ValueError for a file that is not
    a TinyDB JSON document; :class:`EntityFiles` turns that into quarantine.
    After a ``read``, ``found`` says whether the file was there (no second look
    at the disk to tell a missing file from one without the document).

    :class:`EntityFiles` reads and writes the same bytes, with the same checks,
    without building a TinyDB per file (its per-open machinery was a third of a
    step's save and load outside the system calls); this is how TinyDB itself opens
    an entity file (tests/storage/test_data_layout.py does).
    """

    def __init__(self, path: Path, *, files: DurableFiles, mode: WriteMode) -> None:
        super().__init__()
        self._path = path
        self._files = files
        self._mode = mode
        self.found = False

    def read(self) -> dict[str, dict[str, Any]] | None:
        # Return None to tell TinyDB the database is empty: for REPLACE and
        # CREATE the old contents (if any) must not leak into the new file.
        if self._mode is not WriteMode.READ_MODIFY:
            return None
        try:
            raw = read_file(self._path)  # open, fstat, read, close: no buffered file
        except FileNotFoundError:
            return None
        self.found = True
        return decode_database(raw)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = encode_database(data)
        if self._mode is WriteMode.CREATE:
            self._files.create(self._path, payload)
        else:
            self._files.replace(self._path, payload)


class EntityFiles:
    """Loads and stores single-document TinyDB files under ``root``.

    A file that cannot be read is moved to quarantine and reported as
    :class:`storage.CorruptFile` with its path; it is never overwritten or deleted.
    """

    def __init__(self, root: Path, files: DurableFiles) -> None:
        self._root = root
        self._files = files

    def load(self, path: Path, table: str) -> dict[str, Any] | None:
        """Return the stored document, or None when the file does not exist.

        Read as TinyDB reads it through :class:`EntityFileStorage` (the same checks,
        the same reasons for a quarantined file: not JSON, not an object of tables, no
        document :data:`DOC_ID` in ``table``, a document that is no mapping), without
        building a TinyDB, its storage and a table for one document on every step.
        """
        try:
            raw = read_file(path)  # open, fstat, read, close: no buffered file
        except FileNotFoundError:
            return None
        try:
            doc = decode_database(raw).get(table, {}).get(str(DOC_ID))
            if doc is not None:
                return dict(doc)  # as TinyDB's Document makes it
        except (ValueError, TypeError, AttributeError) as exc:
            raise self.corrupt(path, f"{type(exc).__name__}: {exc}") from exc
        raise self.corrupt(path, f"no document {DOC_ID} in table {table!r}")

    def peek(self, path: Path | str, table: str) -> dict[str, Any] | None:
        """Like :meth:`load`, through :func:`read_document` (no TinyDB built).

        The bytes, the format and the quarantine of damaged files are the same
        as :meth:`load`'s.
        """
        try:
            return read_document(path, table)
        except DamagedDocument as exc:
            raise self.corrupt(Path(path), exc.reason) from exc

    def save(self, path: Path, table: str, doc: dict[str, Any]) -> None:
        """Create or replace the file so it holds exactly ``doc``.

        The bytes TinyDB writes for a fresh database holding ``doc`` in ``table``
        (:func:`encode_document`), written without building one: a TinyDB, its table and
        a Document were a third of a conversation's save outside the system calls.
        """
        self._files.replace(path, encode_document(table, doc))

    def create(self, path: Path, table: str, doc: dict[str, Any]) -> None:
        """Create the file holding ``doc``; raise FileExistsError when it exists."""
        self._files.create(path, encode_document(table, doc))

    def delete(self, path: Path) -> bool:
        return self._files.delete(path)

    def corrupt(self, path: Path, reason: str) -> CorruptFile:
        """Quarantine ``path`` and return the error that reports it."""
        moved = self._files.quarantine(path, self._root, reason)
        return CorruptFile(path, moved, reason)
