"""Which evidence files a report accepts: types, sizes and how many."""

from __future__ import annotations

import re
import unicodedata
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


MAX_NAME_CHARS = 120
# Windows refuses these as file names with any extension ("con.txt" too), and opens
# devices for some of them; a stored or zipped name never is one.
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$", "clock$"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)  # "COM¹" too: the superscript is folded to "COM1" first
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')  # Windows forbids these; the slashes are paths
_MAX_SUFFIX = 16


def normalize_file_name(name: str, fallback: str = "file") -> str:
    """Return the one form of a file name that is checked, stored, downloaded and zipped.

    Every change a file system or an archiver could make later is made here first,
    so the extension the type check reads is the one staff's computer will see:
    characters that are compatibility forms of ASCII become it (full-width
    ``．ｅｘｅ``, the small full stop, the one-dot leader, mathematical letters);
    controls, zero-width and bidi characters go; other spaces become plain ones;
    slashes and the characters Windows forbids become ``_``; dots and spaces at
    the ends go (Windows drops them: ``invoice.exe.`` *is* ``invoice.exe``); a
    reserved Windows name (``CON``, ``CONIN$``, ``LPT1``…, with any extension)
    gets a ``_`` in front; a long name is shortened keeping its extension.
    Korean is kept as it is (``㈜`` is not folded into ``(株)``). Applying it
    twice changes nothing.
    """
    name = "".join(_name_char(ch) for ch in unicodedata.normalize("NFC", name or ""))
    # Again: a folded letter may compose with a following accent ("ｅ" + U+0301).
    name = _FORBIDDEN.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        if not dot or len(suffix) > _MAX_SUFFIX:
            stem, dot, suffix = name, "", ""
        stem = stem[: MAX_NAME_CHARS - len(dot + suffix)].rstrip(" .")
        name = stem + dot + suffix if stem else suffix
    if name.split(".")[0].rstrip(" ").casefold() in RESERVED_NAMES:
        name = "_" + name
    return name or fallback


def _name_char(ch: str) -> str:
    if ch.isascii():
        return ch if ch.isprintable() else ""
    folded = unicodedata.normalize("NFKC", ch)
    if folded.isascii():
        # A look-alike of ASCII (full-width, small forms, dot leaders, styled letters):
        # tools that fold it would turn "invoice．exe" into "invoice.exe" later.
        return "".join(c for c in folded if c.isprintable())
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "  # e.g. the ideographic space of Korean input
    if category[0] in ("C", "Z"):
        return ""  # controls, zero-width and bidi characters, line and paragraph separators
    return ch


def download_name(name: str, mime: str) -> str:
    """The name an evidence file is handed to staff under (web download, evidence zip).

    The normalised name, ending in an extension the evidence rules allow: a name
    stored with any other extension (or none) gets the one of its declared type
    added (``invoice.exe`` as ``application/pdf`` becomes ``invoice.exe.pdf``), or
    ``.bin`` when the type is not an evidence type, so it never opens as a program.
    """
    name = normalize_file_name(name)
    suffix = PurePath(name).suffix.lower()
    if any(suffix in suffixes for suffixes in ALLOWED_TYPES.values()):
        return name
    declared = ALLOWED_TYPES.get((mime or "").split(";")[0].strip().lower(), (".bin",))
    return normalize_file_name(name + declared[0])


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
        The extension is read from the normalised name (:func:`normalize_file_name`),
        the one the file is stored and handed out under.
        """
        mime = (mime or "").split(";")[0].strip().lower()
        suffix = PurePath(normalize_file_name(name)).suffix.lower()
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
