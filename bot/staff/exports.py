"""Case exports for staff (CSV for Excel, XLSX, JSON lines, an evidence zip), shared by every door.

The CLI, the Telegram ``/export`` command and the staff web all call these
functions; none of them knows where its output goes.

Choosing and reading cases: :func:`select_rows` filters the case index (no
case file is opened) and :func:`select_cases` then reads one full case at a
time with ``storage.get_case``, so an export of 105,000 cases never holds more
than one full case in memory; the writers stream their output.

How a CSV cell is made safe for Excel (see :func:`spreadsheet_text`):

- The file is UTF-8 with a BOM: without it Korean Excel reads it as CP949.
- *Formula injection*: a text cell that starts with ``= + - @``, a tab or a
  carriage return (or their full-width forms ``＝ ＋ － ＠``, which a Korean
  keyboard produces) is prefixed with a single quote, as OWASP's CSV-injection
  guidance says. Excel then shows text instead of evaluating it.
- *Type guessing*: Excel ignores CSV quoting when it guesses types, so opened
  by double-click a ``220-81-62517`` or ``0101234`` may become a date or a
  number. The CSV does not fight this with a leading quote in the data (that
  quote stays in the values for every other tool): its values are exactly
  what is stored, and the README lists the columns to import as text
  (:data:`CSV_TEXT_COLUMNS`: case number, business registration number, user
  ID). For Excel the XLSX is the format: IDs are text cells with the ``@``
  format, amounts are numbers with a 원 format, no prefix needed; JSON lines
  are the lossless format for programs.
- Control characters other than tab and line breaks become U+FFFD in both
  spreadsheet formats (XML cannot hold them). Submission times are ISO 8601
  with ``+09:00`` in CSV (sortable as text) and KST date-time cells in XLSX.

In XLSX a cell is text or a formula by its type, not by its first character,
so text cells are written as strings whatever they start with (openpyxl would
otherwise make ``=...`` a formula and ``#N/A`` an error). Cells that start
with a formula character also get Excel's *quote prefix* style, the hidden
quote a person types, so that editing such a cell in Excel keeps it text.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.staff import StaffError
from bot.staff.flags import Flag, flag_name, flags_of
from flows.amount import format_amount
from flows.conversation import IntakeFlow
from flows.evidence import download_name, normalize_file_name
from flows.policy import KST, Policy
from flows.texts import LANGS, t
from storage.base import Storage
from storage.documents import case_view
from storage.errors import CorruptFile, EvidenceNotFound
from storage.records import Case, CaseFilter, CaseStatus, CaseSummary

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "json")
FILE_SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "json": ".jsonl"}

FlagMap = Mapping[str, frozenset[Flag]]


class FilterError(StaffError):
    """An export or statistics filter names something the policy does not know."""


# -- choosing cases --------------------------------------------------------------------


def kst_days(first: dt.date | None, last: dt.date | None) -> tuple[float | None, float | None]:
    """Return ``(submitted_from, submitted_to)`` covering Korean dates ``first`` to ``last``, both whole."""
    start = None if first is None else dt.datetime.combine(first, dt.time(), KST).timestamp()
    end = None
    if last is not None:
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), KST).timestamp()
    return start, end


def check_filter(filter: CaseFilter, policy: Policy) -> None:
    """Raise :class:`FilterError` when the filter names a tier, type or service the policy lacks."""
    known = {
        "tier": list(policy.tiers),
        "reporter_type": [r.id for r in policy.reporter_types],
        "service": [s.id for s in policy.services],
    }
    for name, ids in known.items():
        value = getattr(filter, name)
        if value is not None and value not in ids:
            raise FilterError(
                f"unknown {name.replace('_', ' ')} {value!r}; use one of: {', '.join(ids)}"
            )
    if filter.status is not None and not isinstance(filter.status, CaseStatus):
        raise FilterError(f"status must be a CaseStatus, got {filter.status!r}")
    if (
        filter.submitted_from is not None
        and filter.submitted_to is not None
        and filter.submitted_from >= filter.submitted_to
    ):
        raise FilterError("the date range is empty: the first day is after the last")


def select_rows(
    storage: Storage,
    filter: CaseFilter | None = None,
    flags: FlagMap | None = None,
    *,
    flagged: bool | None = None,
) -> list[CaseSummary]:
    """Return the index rows of the matching cases, oldest submission first.

    ``flagged`` True keeps only cases with a flag, False only cases without
    one, None both. ``flags`` are the flags of every case (see
    :func:`compute_flags`); they are computed here when ``flagged`` needs them
    and none are given.
    """
    rows = storage.list_cases(filter)
    if flagged is None:
        return rows
    if flags is None:
        flags = flags_of(storage)
    return [row for row in rows if (row.case_number in flags) == flagged]


def select_cases(
    storage: Storage,
    filter: CaseFilter | None = None,
    flags: FlagMap | None = None,
    *,
    flagged: bool | None = None,
) -> Iterator[Case]:
    """Yield the full matching cases one at a time, oldest submission first."""
    return read_cases(storage, select_rows(storage, filter, flags, flagged=flagged))


def stream_cases(
    storage: Storage, filter: CaseFilter | None = None
) -> tuple[int, Callable[[], Iterator[Case]]]:
    """How many cases match ``filter``, and a maker of their stream, oldest first.

    For exports without a flag filter: the store streams whole cases itself
    (:meth:`Storage.iter_cases`; PostgreSQL from a server-side cursor), so memory
    stays flat whatever the number of cases. Call the maker once per pass.
    """
    total, _ = storage.list_cases_page(filter, limit=0)
    return total, lambda: storage.iter_cases(filter)


def read_cases(storage: Storage, rows: Iterable[CaseSummary]) -> Iterator[Case]:
    """Yield the full case of each index row, one at a time.

    A case whose file is missing or unreadable (storage quarantines it) is
    logged and skipped, so one damaged file does not stop an export; the
    writers return how many cases they wrote, for the caller to compare.
    """
    for row in rows:
        try:
            case = storage.get_case(row.case_number)
        except CorruptFile as exc:
            log.warning("export: skipped case %s: %s", row.case_number, exc)
            continue
        if case is None:
            log.warning("export: skipped case %s: in the index but not stored", row.case_number)
            continue
        yield case


# -- names staff read ------------------------------------------------------------------


class Labels:
    """Names, in one language, of what cases store as ids: types, services, tiers, statuses."""

    def __init__(self, policy: Policy, lang: str = "ko") -> None:
        if lang not in LANGS:
            raise FilterError(f"unknown language {lang!r}; use one of: {', '.join(LANGS)}")
        self.policy = policy
        self.lang = lang
        flow = IntakeFlow(policy)
        # Reporters see one name for both package tiers ("이용자 지원 패키지"); staff
        # counting and filtering must tell them apart, so the policy's staff name wins.
        tiers = {
            tier_id: tier.name(lang) if tier.name else flow.tier_name(tier_id, lang)
            for tier_id, tier in policy.tiers.items()
        }
        names = list(tiers.values())
        self._tiers = {
            tier_id: f"{name} {names[: i + 1].count(name)}" if names.count(name) > 1 else name
            for i, (tier_id, name) in enumerate(tiers.items())
        }
        self._types = {r.id: r.name(lang) for r in policy.reporter_types}
        self._services = {s.id: s.name(lang) for s in policy.services}
        self._other_services = {s.id for s in policy.services if s.other}
        self._statuses: dict[str, str] = {s: t(lang, f"status.{s}") for s in CaseStatus}
        self._yes, self._no = t(lang, "export.yes"), t(lang, "export.no")
        self._paid, self._free = t(lang, "export.paid"), t(lang, "export.free")
        self._languages = {code: t(lang, f"export.lang.{code}") for code in LANGS}

    def reporter_type(self, type_id: str) -> str:
        return self._types.get(type_id, type_id)

    def service(self, service_id: str, typed: str | None = None) -> str:
        """The service's name; for the policy's "other" service, what the user typed."""
        if service_id in self._other_services and typed:
            return typed
        return self._services.get(service_id, service_id)

    def tier(self, tier_id: str, *, channel_cash: int | None = None) -> str:
        """The tier's name for staff (distinct per tier), with Channel message cash when given."""
        name = self._tiers.get(tier_id, tier_id)
        if channel_cash:
            cash = format_amount(channel_cash, self.lang)
            name += " + " + t(self.lang, "export.channel_cash", cash=cash)
        return name

    def status(self, status: str) -> str:
        return self._statuses.get(status, str(status))

    def paid(self, paid: bool) -> str:
        return self._paid if paid else self._free

    def yes_no(self, value: bool) -> str:
        return self._yes if value else self._no

    def language(self, code: str) -> str:
        """A user's language by name ("한국어", "English"), not its code."""
        return self._languages.get(code, code)

    def flags(self, flags: Iterable[Flag]) -> str:
        return ", ".join(flag_name(f, self.lang) for f in sorted(flags))


# -- columns ---------------------------------------------------------------------------

# What a column holds decides how each format writes it. A LABEL is a name from
# the policy or of a status or flag: few distinct values, repeated on every row.
ID, TEXT, LABEL, WHEN, AMOUNT, COUNT = "id", "text", "label", "when", "amount", "count"


@dataclass(frozen=True)
class Column:
    """A column of the exports; its title is the catalog's ``export.col.<key>``."""

    key: str
    kind: str
    width: int  # XLSX column width, in characters

    def title(self, lang: str) -> str:
        return t(lang, f"export.col.{self.key}")

    @property
    def ko(self) -> str:
        return self.title("ko")

    @property
    def en(self) -> str:
        return self.title("en")


COLUMNS: tuple[Column, ...] = (
    Column("case_number", ID, 14),
    Column("submitted_at", WHEN, 20),
    Column("status", LABEL, 14),
    Column("reporter_type", LABEL, 16),
    Column("service", TEXT, 22),
    Column("paid", LABEL, 9),
    Column("monetary", LABEL, 9),
    Column("amount", AMOUNT, 15),
    Column("tier", LABEL, 24),
    Column("tentative_support", AMOUNT, 15),
    Column("channel_cash", LABEL, 9),
    Column("final_amount", AMOUNT, 15),
    Column("business_number", ID, 16),
    Column("description", TEXT, 60),
    Column("evidence_count", COUNT, 8),
    Column("channel", TEXT, 10),  # the channel the case came by (telegram, console, ...)
    Column("user_id", ID, 14),
    Column("lang", TEXT, 6),
    Column("flags", LABEL, 28),
    # The thread with staff: JSON lines hold every message (Case.messages).
    Column("message_count", COUNT, 8),
    Column("last_message_at", WHEN, 20),
)


# Identifiers: CSV readers should import these as text (Excel would drop leading
# zeros or read 220-81-62517 as a date); the README names them.
CSV_TEXT_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.kind == ID)


def headers(lang: str = "ko") -> list[str]:
    """The column titles of the CSV and XLSX exports."""
    return [c.title(lang) for c in COLUMNS]


def case_values(case: Case, labels: Labels, flags: FlagMap | None) -> list[Any]:
    """One export row, typed by column kind (str, int or None; an aware datetime for WHEN)."""
    return [
        case.case_number,
        submitted_kst(case),
        labels.status(case.status),
        labels.reporter_type(case.reporter_type),
        labels.service(case.service, case.service_other),
        labels.paid(case.paid),
        labels.yes_no(case.monetary),
        case.amount,
        labels.tier(case.tier),
        case.tentative_support,
        labels.yes_no(case.channel_cash),
        case.final_amount,
        case.business_number,
        case.description,
        len(case.evidence),
        case.user_id.channel,
        str(case.user_id),
        case.lang,
        labels.flags(flags.get(case.case_number, ())) if flags else "",
        len(case.messages),
        kst_time(case.messages[-1].at) if case.messages else None,
    ]


def submitted_kst(case: Case) -> dt.datetime:
    """When the case was submitted, in Korean time, to the second."""
    return kst_time(case.submitted_at)


def kst_time(at: float) -> dt.datetime:
    """A stored time in Korean time, to the second."""
    return dt.datetime.fromtimestamp(int(at), KST)


# -- making text safe for spreadsheets -------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Control characters other than tab, line feed and carriage return: XML (so
# XLSX) cannot hold them and Excel shows garbage for them in a CSV.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def spreadsheet_text(value: str) -> str:
    """Return ``value`` as a CSV cell that Excel shows as text, never runs as a formula.

    Only a cell starting with a formula character gets a single quote in front
    (OWASP's CSV-injection guidance); every other value is returned unchanged.
    """
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def without_controls(value: str) -> str:
    """``value`` with control characters other than tab and line breaks shown as U+FFFD."""
    return _CONTROLS.sub("\ufffd", value)


# -- CSV -------------------------------------------------------------------------------


def write_csv(
    cases: Iterable[Case],
    out: BinaryIO,
    policy: Policy,
    *,
    lang: str = "ko",
    flags: FlagMap | None = None,
) -> int:
    """Write the cases as CSV for Excel (UTF-8 with BOM, CRLF); return how many were written."""
    labels = Labels(policy, lang)
    cells = [_CSV_CELLS[c.kind] for c in COLUMNS]
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    count = 0
    try:
        writer = csv.writer(text)
        writer.writerow(headers(lang))
        for case in cases:
            values = case_values(case, labels, flags)
            writer.writerow([cell(v) for cell, v in zip(cells, values, strict=True)])
            count += 1
    finally:
        text.flush()
        text.detach()  # the caller owns ``out``: do not close it with the wrapper
    return count


def _csv_text(value: str | None) -> str:
    return "" if value is None else spreadsheet_text(without_controls(value))


@functools.lru_cache(maxsize=1024)
def _csv_label(value: str) -> str:
    return _csv_text(value)  # the same rule, worked out once per distinct name


def _csv_number(value: int | None) -> int | str:
    return "" if value is None else value


def _csv_when(value: dt.datetime | None) -> str:
    return "" if value is None else value.isoformat()


_CSV_CELLS: dict[str, Callable[[Any], str | int]] = {
    ID: _csv_text,
    TEXT: _csv_text,
    LABEL: _csv_label,
    WHEN: _csv_when,
    AMOUNT: _csv_number,
    COUNT: _csv_number,
}


# -- XLSX ------------------------------------------------------------------------------

AMOUNT_FORMATS = {lang: t(lang, "export.amount_format") for lang in LANGS}
WHEN_FORMAT = "yyyy-mm-dd hh:mm:ss"
TEXT_FORMAT = "@"
SHEET_TITLES = {lang: t(lang, "export.sheet") for lang in LANGS}
XLSX_MAX_CHARS = 32_767  # Excel's limit per cell


def write_xlsx(
    cases: Iterable[Case],
    out: BinaryIO,
    policy: Policy,
    *,
    lang: str = "ko",
    flags: FlagMap | None = None,
) -> int:
    """Write the cases as one XLSX sheet; return how many were written.

    openpyxl's write-only mode streams rows to a temporary file, so memory
    stays flat. The header row is bold and frozen and carries an autofilter.
    """
    labels = Labels(policy, lang)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLES[lang])
    # Column widths and the frozen pane come before the first row in write-only mode.
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([_header_cell(sheet, title) for title in headers(lang)])

    amount_format = AMOUNT_FORMATS[lang]
    kinds = [c.kind for c in COLUMNS]
    count = 0
    for case in cases:
        values = case_values(case, labels, flags)
        row: list[Any] = []
        for kind, value in zip(kinds, values, strict=True):
            if value is None or value == "":
                row.append(None)
            elif kind == AMOUNT:
                row.append(_styled(sheet, value, amount_format))
            elif kind == WHEN:
                # Excel has no time zones: the KST wall clock, the header says KST.
                row.append(_styled(sheet, value.replace(tzinfo=None), WHEN_FORMAT))
            elif kind == ID:
                row.append(_text_cell(sheet, value, TEXT_FORMAT))
            elif kind in (TEXT, LABEL):
                row.append(_text_cell(sheet, value, None))
            else:
                row.append(value)
        sheet.append(row)
        count += 1
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"  # written after the rows
    workbook.save(out)
    return count


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _header_cell(sheet: Any, title: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=title)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    return cell


def _styled(sheet: Any, value: Any, number_format: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _text_cell(sheet: Any, value: str, number_format: str | None) -> Any:
    """A cell that holds ``value`` as text, whatever it looks like."""
    risky = value.startswith(FORMULA_STARTS) or value in ERROR_CODES
    value = xlsx_text(value)
    if number_format is None and not risky:
        return value  # a plain str: openpyxl writes it as an inline string
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever the text says
    if number_format is not None:
        cell.number_format = number_format
    if risky:
        cell.quotePrefix = True
    return cell


def xlsx_text(value: str) -> str:
    """``value`` as XLSX can hold it: control characters replaced, cut to Excel's limit.

    Line breaks become LF, Excel's line break within a cell: XML readers turn a
    bare CR into LF anyway, so writing CR would not survive a round trip.
    """
    value = without_controls(value.replace("\r\n", "\n").replace("\r", "\n"))
    if len(value) > XLSX_MAX_CHARS:
        value = value[: XLSX_MAX_CHARS - 1] + "…"
    return value


# -- JSON lines ------------------------------------------------------------------------


def write_jsonl(
    cases: Iterable[Case],
    out: BinaryIO,
    policy: Policy | None = None,
    *,
    lang: str = "ko",
    flags: FlagMap | None = None,
) -> int:
    """Write one JSON object per line (UTF-8, no BOM): the full case plus its flags.

    Each line is ``Case.to_dict()`` (so ``Case.from_dict`` reads it back) with
    ``messages`` is the case's whole thread with staff (who, when, what, files), and
    three more keys: ``channel`` (the channel the case came by, also the start of
    ``user_id``), ``submitted_at_kst`` (ISO 8601) and ``flags`` (flag ids).
    ``policy`` and ``lang`` are accepted for a uniform call; ids need no names here.
    """
    count = 0
    for case in cases:
        record = case_view(case)
        record["channel"] = case.user_id.channel
        record["submitted_at_kst"] = submitted_kst(case).isoformat()
        record["flags"] = sorted(flags.get(case.case_number, ())) if flags else []
        out.write(json.dumps(record, ensure_ascii=False).encode())
        out.write(b"\n")
        count += 1
    return count


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_jsonl}


# -- evidence zip ----------------------------------------------------------------------

MANIFEST_NAME = "manifest.json"
_CHUNK = 1024 * 1024
_SPOOL_BYTES = 4 * 1024 * 1024  # a manifest beyond this (about 10,000 files) goes to disk
_MAX_NAME_BYTES = 200  # under the 255 of common file systems, with room for " (12)"
# Already compressed: storing them is as small and much faster than deflating.
_STORED_PREFIXES = ("image/", "video/", "audio/", "application/pdf", "application/zip")


def safe_file_name(name: str, fallback: str = "file") -> str:
    """Return a name that is safe as one file in a folder on Windows, macOS and Linux.

    Keeps only the last path component (``a/b\\c.jpg`` gives ``c.jpg``), then
    the normal form every evidence name has (:func:`flows.evidence.normalize_file_name`:
    no controls or bidi characters, no look-alikes of ASCII, no characters Windows
    forbids, no dots or spaces at the ends, ``_`` before reserved Windows names)
    and at most 200 bytes, keeping the extension.
    """
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    # Shortening may leave a reserved stem ("con   …x.pdf"): normalise once more.
    return normalize_file_name(_shorten(normalize_file_name(name, fallback)), fallback)


def _shorten(name: str) -> str:
    if len(name.encode()) <= _MAX_NAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 16:
        stem, dot, suffix = name, "", ""
    budget = _MAX_NAME_BYTES - len((dot + suffix).encode())
    stem = stem.encode()[:budget].decode(errors="ignore").rstrip(" .")
    return stem + dot + suffix


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… when the folder has it (ignoring case, as Windows does)."""
    candidate = name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    n = 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{suffix}"
    taken.add(candidate.casefold())
    return candidate


def write_evidence_zip(cases: Iterable[Case], storage: Storage, out: BinaryIO) -> int:
    """Write the cases' evidence as a zip with a folder per case; return the number of files.

    Files keep safe versions of their original names (:func:`safe_file_name` of
    :func:`flows.evidence.download_name`: always an allowed evidence extension,
    made unique within the folder). ``manifest.json`` at the root lists every
    evidence reference, one per line: case, original and stored name, mime,
    size and the sha256 of the bytes in the zip, with ``status`` "ok",
    "missing" (not in storage; no file) or "sha256_mismatch" (the stored bytes
    differ from the hash the case records; included so staff can look).
    ``out`` may be unseekable (a pipe). File contents are streamed and the
    manifest is spooled to a temporary file, so memory stays flat.
    """
    written = 0
    with (
        tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as manifest,
        zipfile.ZipFile(out, "w", allowZip64=True) as archive,
    ):
        for case in cases:
            folder = safe_file_name(case.case_number, fallback="case")
            taken: set[str] = set()
            for ref in case.evidence:
                entry: dict[str, Any] = {
                    "case_number": case.case_number,
                    "original_name": ref.name,
                    "stored_name": None,
                    "mime": ref.mime,
                    "size": None,
                    "sha256": None,
                    "status": "missing",
                }
                try:
                    source = storage.open_evidence(ref.sha256)
                except EvidenceNotFound:
                    log.warning("evidence zip: %s of case %s missing", ref.sha256, case.case_number)
                else:
                    # The last path component first, then an allowed extension.
                    name = safe_file_name(download_name(safe_file_name(ref.name), ref.mime))
                    stored = f"{folder}/{_unique(name, taken)}"
                    with source:
                        size, sha256 = _add_file(archive, stored, source, ref.mime, case)
                    status = "ok" if sha256 == ref.sha256 else "sha256_mismatch"
                    entry.update(stored_name=stored, size=size, sha256=sha256, status=status)
                    written += 1
                manifest.write(b",\n" if manifest.tell() else b"\n")
                manifest.write(json.dumps(entry, ensure_ascii=False).encode())
        manifest.seek(0)
        with archive.open(MANIFEST_NAME, "w", force_zip64=True) as target:
            target.write(f'{{"count": {written}, "files": ['.encode())
            shutil.copyfileobj(manifest, target)
            target.write(b"\n]}\n")
    return written


def _add_file(
    archive: zipfile.ZipFile, name: str, source: BinaryIO, mime: str, case: Case
) -> tuple[int, str]:
    """Copy ``source`` into the archive as ``name``; return its size and sha256."""
    when = max(submitted_kst(case).timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # zip's epoch
    info = zipfile.ZipInfo(name, date_time=when)
    stored = (mime or "").startswith(_STORED_PREFIXES)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    digest = hashlib.sha256()
    size = 0
    with archive.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return size, digest.hexdigest()


def export_cases(
    format: str,
    cases: Iterable[Case],
    out: BinaryIO,
    policy: Policy,
    *,
    lang: str = "ko",
    flags: FlagMap | None = None,
) -> int:
    """Write ``cases`` in ``format`` ("csv", "xlsx" or "json"); return how many were written."""
    try:
        writer = WRITERS[format]
    except KeyError:
        raise FilterError(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}") from None
    return writer(cases, out, policy, lang=lang, flags=flags)
