"""Evidence bytes stored content-addressed by sha256, owner-only, written once."""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path
from typing import BinaryIO

from storage.data_layout import DataLayout
from storage.durable_files import DurableFiles, fsync_dir
from storage.errors import EvidenceNotFound

_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lower-case hex digits, else raise EvidenceNotFound.

    The id becomes a file name, so anything else (``../``, upper case, a
    truncated hash) is refused before it gets near the file system.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise EvidenceNotFound(f"not a sha256 hex digest: {sha256!r}")
    return sha256


class EvidenceFiles:
    """Evidence under ``evidence/ab/<sha256>``; the same bytes are stored once."""

    def __init__(self, layout: DataLayout, files: DurableFiles) -> None:
        self._layout = layout
        self._files = files

    def put(self, data: bytes, digest: str | None = None) -> str:
        """Store ``data`` under its sha256 (``digest``, when the caller computed it already)."""
        digest = digest or hashlib.sha256(data).hexdigest()
        path = self._layout.evidence_file(digest)
        if path.exists():
            return digest
        # FileExistsError: another thread stored the same bytes first; same content, same name.
        with contextlib.suppress(FileExistsError):
            self._files.create(path, bytes(data))
        return digest

    def put_file(self, source: Path, digest: str | None = None) -> str:
        """Take over the file at ``source`` (see :meth:`storage.base.Storage.put_evidence_file`)."""
        digest = check_sha256(digest) if digest is not None else file_sha256(source)
        path = self._layout.evidence_file(digest)
        try:
            if not path.exists():
                # FileExistsError: the same bytes were stored meanwhile; same content, same name.
                with contextlib.suppress(FileExistsError):
                    self._files.adopt(source, path)
        finally:
            source.unlink(missing_ok=True)
        return digest

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self._layout.evidence_file(check_sha256(sha256)), "rb")
        except FileNotFoundError:
            raise EvidenceNotFound(sha256) from None

    def delete(self, sha256: str) -> bool:
        """Delete the file durably; return False when it was not there."""
        path = self._layout.evidence_file(check_sha256(sha256))
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)  # the deletion itself survives a crash
        return True

    def size(self, sha256: str) -> int:
        try:
            return self._layout.evidence_file(check_sha256(sha256)).stat().st_size
        except FileNotFoundError:
            raise EvidenceNotFound(sha256) from None


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file, read in pieces."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
