"""Where evidence bytes live when they are not files in a data directory: a small interface.

The PostgreSQL store keeps them in a table (:class:`storage.postgres.PostgresBlobs`);
an object store can take its place by implementing these five methods. Which file is
held by whom stays in the database: a blob store only keeps bytes under their sha256.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    """Bytes under their sha256 hex digest, written once."""

    def put(self, sha256: str, data: bytes) -> None:
        """Store ``data`` (whose digest the caller checked); storing it again is harmless."""

    def exists(self, sha256: str) -> bool:
        """Tell whether the bytes are stored."""

    def size(self, sha256: str) -> int | None:
        """Return the size in bytes, or None when not stored."""

    def open(self, sha256: str) -> BinaryIO | None:
        """Open the bytes for reading, or return None when not stored."""

    def delete(self, sha256: str) -> bool:
        """Delete the bytes; return whether they were there."""
