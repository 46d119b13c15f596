"""Which evidence files a report accepts: types, sizes and how many."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

# Telegram bots may download files of up to 20 MB; one limit for every channel keeps
# the promise the same everywhere.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 10

# Receipts, sales records and screenshots: images, PDF, spreadsheets, documents.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/heic": (".heic",),
    "image/heif": (".heif",),
    "application/pdf": (".pdf",),
    "text/csv": (".csv",),
    "text/plain": (".txt",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/msword": (".doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/x-hwp": (".hwp",),
    "application/haansofthwp": (".hwp",),
    "application/vnd.hancom.hwp": (".hwp",),
    "application/vnd.hancom.hwpx": (".hwpx",),
}


@dataclass(frozen=True)
class EvidenceRules:
    """Limits on evidence; the defaults suit Telegram's 20 MB download limit."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_files: int = MAX_FILES
    allowed_types: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(ALLOWED_TYPES))

    def type_allowed(self, name: str, mime: str) -> bool:
        """Accept a file whose MIME type or, when the type is generic, extension is allowed.

        Phones often send documents as ``application/octet-stream``; then the
        extension decides. A declared type that contradicts the list is refused,
        and so is a name with an extension not on the list, whatever its type.
        """
        mime = (mime or "").split(";")[0].strip().lower()
        suffix = PurePath(name or "").suffix.lower()
        known_suffix = any(suffix in suffixes for suffixes in self.allowed_types.values())
        if suffix and not known_suffix:
            # Staff open the file under its name: "invoice.html" declared as image/jpeg
            # would open as a web page. A name's extension must be an allowed one too.
            return False
        if mime in self.allowed_types:
            return True
        if mime in ("", "application/octet-stream"):
            return known_suffix
        return False


def format_size(size: int) -> str:
    """Render a byte count for people: ``20MB``, ``350KB``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}MB".replace(".0MB", "MB")
    if size >= 1024:
        return f"{size // 1024}KB"
    return f"{size}B"
