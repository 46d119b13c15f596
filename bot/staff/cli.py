"""The staff commands of ``python -m bot``: ``export`` (CSV, XLSX, JSON lines, evidence zip) and ``stats``.

``bot/__main__.py`` adds them with :func:`register` and hands the parsed
arguments to :func:`run`. The commands read the data directory through
:class:`storage.read_only.ReadOnlyStorage`, which takes no lock, so they run
while the bot serves; the Telegram and web doors call :mod:`bot.staff.exports`
with the bot's own storage.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from bot.settings import Settings
from bot.staff import StaffError
from bot.staff.exports import (
    FILE_SUFFIXES,
    FORMATS,
    LANGS,
    FilterError,
    check_filter,
    export_cases,
    kst_days,
    read_cases,
    select_rows,
    stream_cases,
    write_evidence_zip,
)
from bot.staff.flags import flags_of
from bot.staff.limits import lift_limits
from bot.staff.stats import compute_stats, render_text
from flows.errors import FlowError
from flows.policy import KST, Policy, load_policy
from storage import CaseNotFound, DataDirInUse, Storage, StorageError
from storage.data_layout import DataLayout
from storage.records import Case, CaseFilter, CaseStatus

COMMANDS = ("export", "stats", "lift-limits")
OUTPUT_MODE = 0o600  # exports hold personal data: owner-only, like DATA_DIR's files
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def register(subparsers: Any) -> None:
    """Add ``export`` and ``stats`` to the ``python -m bot`` sub-command parsers."""
    statuses = ", ".join(CaseStatus)
    export = subparsers.add_parser(
        "export",
        help="export cases for staff (CSV for Excel, XLSX, JSON lines)",
        description="Export submitted cases. Dates are Korean dates (KST), both ends included.",
    )
    export.add_argument("--format", choices=FORMATS, default="csv", help="default: csv")
    export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day")
    export.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day")
    export.add_argument("--status", help=f"one of: {statuses}")
    export.add_argument("--tier", help="a tier id of the policy, e.g. cash_30k")
    export.add_argument("--reporter-type", help="general, small_business or company")
    export.add_argument("--service", help="a service id of the policy, e.g. talk_channel")
    export.add_argument("--flagged", action="store_true", help="only cases with a flag")
    export.add_argument("--lang", choices=LANGS, help="language of headers and names")
    export.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="where to write ('-' for standard output); default: cases-<time>.<ext> here",
    )
    export.add_argument("--evidence", metavar="ZIP", help="also write the cases' evidence files")
    export.set_defaults(staff_command="export")

    stats = subparsers.add_parser("stats", help="print statistics of the submitted cases")
    stats.add_argument("--lang", choices=LANGS, help="language of the labels")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.set_defaults(staff_command="stats")

    lift = subparsers.add_parser(
        "lift-limits",
        help="let the person of a case file more reports and files (bot stopped)",
        description="Lift the policy's per-person limits (reports, bytes of files) for the "
        "person who filed CASE; written to the audit log. Needs the bot stopped; while it "
        "runs, use the case page of the staff web.",
    )
    lift.add_argument("case", metavar="CASE", help="a case number of that person")
    lift.add_argument("--staff", required=True, help="your name, for the audit log")
    lift.add_argument("--reason", required=True, help="why, for the audit log (not empty)")
    lift.set_defaults(staff_command="lift-limits")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``export``, ``stats`` or ``lift-limits``; print a clear error and return 2 when it cannot."""
    try:
        if args.staff_command == "lift-limits":
            return _lift_limits(args, settings)
        policy = load_policy(settings.policy)
        lang = args.lang or settings.default_lang
        if args.staff_command == "export":
            filter = export_filter(args, policy)
            with _open_storage(settings) as storage:
                return _export(args, storage, policy, filter, lang)
        with _open_storage(settings) as storage:
            return _stats(args, storage, policy, lang)
    except (StaffError, StorageError, FlowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output file or folder cannot be written
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2


def export_filter(args: argparse.Namespace, policy: Policy) -> CaseFilter:
    """The filter the export options describe; raise FilterError naming a bad option."""
    start, end = kst_days(_date(args.date_from, "--from"), _date(args.date_to, "--to"))
    status = None
    if args.status:
        try:
            status = CaseStatus(args.status)
        except ValueError:
            raise FilterError(
                f"unknown status {args.status!r}; use one of: {', '.join(CaseStatus)}"
            ) from None
    filter = CaseFilter(
        submitted_from=start,
        submitted_to=end,
        status=status,
        tier=args.tier,
        reporter_type=args.reporter_type,
        service=args.service,
    )
    check_filter(filter, policy)
    return filter


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{option} {text!r} is not a date; use YYYY-MM-DD") from None


@contextlib.contextmanager
def _open_storage(settings: Settings) -> Iterator[Storage]:
    # Read-only and without the data directory's lock: staff export while the bot serves.
    # PostgreSQL (DATABASE_URL) is shared by design: the export reads beside the bot.
    storage: Storage
    if settings.database_url:
        from storage.postgres import PostgresStorage

        storage = PostgresStorage(settings.database_url, pool_size=2)
    else:
        from storage.read_only import ReadOnlyStorage

        storage = ReadOnlyStorage(settings.data_dir)
    try:
        yield storage
    finally:
        storage.close()


def _export(
    args: argparse.Namespace, storage: Storage, policy: Policy, filter: CaseFilter, lang: str
) -> int:
    flags = flags_of(storage)
    cases: Callable[[], Iterator[Case]]
    if args.flagged:
        rows = select_rows(storage, filter, flags, flagged=True)
        total = len(rows)
        cases = lambda: read_cases(storage, rows)  # noqa: E731
    else:  # every matching case, streamed by the store (constant memory on PostgreSQL)
        total, cases = stream_cases(storage, filter)
    to_stdout = args.output == "-"
    path = None if to_stdout else _output_path(args.output, FILE_SUFFIXES[args.format])
    with _output(path) as out:
        written = export_cases(args.format, cases(), out, policy, lang=lang, flags=flags)
    report = sys.stderr if to_stdout else sys.stdout
    if path is not None:
        print(path, file=report)
    print(f"exported {written:,} of {total:,} matching cases", file=sys.stderr)
    if args.evidence:
        with _output(Path(args.evidence)) as out:
            files = write_evidence_zip(cases(), storage, out)
        print(args.evidence, file=report)
        print(f"wrote {files:,} evidence files", file=sys.stderr)
    return 0 if written == total else 1


def _output_path(option: str | None, suffix: str) -> Path:
    if option:
        return Path(option)
    stamp = dt.datetime.now(KST).strftime("%Y%m%d-%H%M%S")
    path = Path.cwd() / f"cases-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = Path.cwd() / f"cases-{stamp}-{n}{suffix}"
    return path


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[BinaryIO]:
    """Standard output, or an owner-only (0600) file that appears under its name only once complete.

    Exports hold registration numbers, user ids and receipts: the file is created
    0600 whatever the umask, and replacing an existing file gives it that mode too.
    """
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    partial = path.with_name(path.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()  # left by an interrupted export; never write through it
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, OUTPUT_MODE)
        os.fchmod(fd, OUTPUT_MODE)  # the umask may have taken bits away
        with open(fd, "wb") as out:
            yield out
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise


def _lift_limits(args: argparse.Namespace, settings: Settings) -> int:
    from storage.tinydb_store import TinyDBStorage

    if not args.reason.strip():
        raise StaffError("give a --reason: it goes into the audit log, as on the staff web")
    if not DataLayout(settings.data_dir).cases_dir.is_dir():
        raise StaffError(f"{settings.data_dir} holds no cases (is DATA_DIR right?)")
    try:
        storage = TinyDBStorage(settings.data_dir)
    except DataDirInUse:
        raise StaffError(
            "the bot is running on this DATA_DIR: lift the limits on the case page of the "
            "staff web, or stop the bot first"
        ) from None
    try:
        case = lift_limits(
            storage,
            args.case,
            actor=f"staff:{args.staff}",
            now=time.time(),
            reason=args.reason.strip(),
        )
    except CaseNotFound:
        raise StaffError(f"no case {args.case}") from None
    finally:
        storage.close()
    print(f"limits lifted for the person of case {case.case_number} (user {case.user_id})")
    return 0


def _stats(args: argparse.Namespace, storage: Storage, policy: Policy, lang: str) -> int:
    stats = compute_stats(storage.list_cases())
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(render_text(stats, policy, lang))
    return 0
