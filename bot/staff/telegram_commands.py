"""Staff commands in Telegram: ``/export`` sends a file, ``/stats`` the breakdown. Staff only.

To anyone not in STAFF_IDS these commands do not exist: the conversation answers
them like any unknown command, and they are never in the command menu.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from telegram import Bot
from telegram.constants import ParseMode

from bot.settings import Settings
from bot.staff.exports import (
    FilterError,
    check_filter,
    export_cases,
    kst_days,
    select_cases,
)
from bot.staff.flags import flags_of
from bot.staff.stats import compute_stats, render_text
from bot.staff.templates import environment
from bot.telegram_send import Sender, chunks
from flows.identity import UserKey
from flows.messages import CommandInput
from flows.policy import KST, Policy
from flows.texts import t
from storage import CaseFilter, CaseStatus, Storage

log = logging.getLogger(__name__)

STAFF_COMMANDS = ("export", "stats")
FORMATS = {"csv": "csv", "xlsx": "xlsx", "json": "jsonl"}
# Bots may upload documents of up to 50 MB.
UPLOAD_LIMIT = 50 * 1024 * 1024
USAGE = (
    "/export [csv|xlsx|json] [from=YYYY-MM-DD] [to=YYYY-MM-DD] [status=…] [tier=…] "
    "[type=general|small_business|company] [service=…] [flagged] [en]"
)


@dataclass(frozen=True)
class ExportRequest:
    format: str
    filter: CaseFilter
    flagged: bool | None  # True: only cases with a flag
    lang: str


def request_lang(arg: str, default_lang: str) -> str:
    """The language of a staff command's answer and file: the word ``en`` or ``ko`` in
    its arguments, else the bot's default (as /stats)."""
    words = [w.lower() for w in arg.split()]
    return next((w for w in reversed(words) if w in ("ko", "en")), default_lang)


def _refused(lang: str, key: str, **values: object) -> FilterError:
    """A FilterError saying what is wrong and the usage, in the staff's language."""
    return FilterError(f"{t(lang, key, **values)} {t(lang, 'telegram.staff.usage', usage=USAGE)}")


def parse_export(arg: str, policy: Policy, default_lang: str) -> ExportRequest:
    """Read ``/export`` arguments; raise FilterError naming the word it cannot use
    (in the staff's language, :func:`request_lang`), with the usage."""
    fmt, lang = "csv", request_lang(arg, default_lang)
    fields: dict[str, str] = {}
    flagged = None
    for word in arg.split():
        key, sep, value = word.partition("=")
        key = key.lower()
        if not sep and key in FORMATS:
            fmt = key
        elif not sep and key in ("ko", "en"):
            pass  # read by request_lang
        elif not sep and key == "flagged":
            flagged = True
        elif sep and key in ("from", "to", "status", "tier", "type", "service"):
            fields[key] = value
        else:
            raise _refused(lang, "telegram.staff.bad_word", word=word)
    days: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = dt.date.fromisoformat(fields[name]) if name in fields else None
        except ValueError:
            raise _refused(lang, "telegram.staff.bad_date", value=fields[name]) from None
    first, last = days["from"], days["to"]
    try:
        status = CaseStatus(fields["status"]) if "status" in fields else None
    except ValueError:
        choices = ", ".join(str(s) for s in CaseStatus)
        raise _refused(
            lang, "telegram.staff.bad_status", value=fields["status"], choices=choices
        ) from None
    start, end = kst_days(first, last)
    filter = CaseFilter(
        submitted_from=start,
        submitted_to=end,
        status=status,
        tier=fields.get("tier"),
        reporter_type=fields.get("type"),
        service=fields.get("service"),
    )
    try:
        check_filter(filter, policy)
    except FilterError as exc:
        raise _refused(lang, "telegram.staff.bad_filter", error=exc) from None
    return ExportRequest(format=fmt, filter=filter, flagged=flagged, lang=lang)


def write_export(
    request: ExportRequest, storage: Storage, policy: Policy, folder: Path
) -> tuple[Path, int]:
    """Write the export into ``folder`` (blocking; run it in a thread); return the file and count."""
    stamp = dt.datetime.now(KST).strftime("%Y%m%d-%H%M")
    path = folder / f"cases-{stamp}.{FORMATS[request.format]}"
    flags = flags_of(storage)
    cases = select_cases(storage, request.filter, flags, flagged=request.flagged)
    with path.open("wb") as out:
        count = export_cases(request.format, cases, out, policy, lang=request.lang, flags=flags)
    return path, count


def stats_text(storage: Storage, policy: Policy, lang: str) -> str:
    """The statistics as preformatted HTML (escaped by its template), for a monospace Telegram message."""
    text = render_text(compute_stats(storage.list_cases()), policy, lang)
    return environment().get_template("telegram_stats.html").render(text=text)


SendText = Callable[[str, bool], Awaitable[None]]  # (text, is_html)
SendFile = Callable[[Path, str], Awaitable[None]]  # (path, caption)

_P = ParamSpec("_P")
_T = TypeVar("_T")


class RunBlocking(Protocol):
    """Runs a blocking function in a worker thread and gives its result, as ``asyncio.to_thread``."""

    def __call__(
        self, func: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> Awaitable[_T]: ...


async def run_staff_command(
    name: str,
    arg: str,
    *,
    storage: Storage,
    policy: Policy,
    default_lang: str,
    send_text: SendText,
    send_file: SendFile,
    run_blocking: RunBlocking,
) -> None:
    """Answer a staff command; ``run_blocking`` runs a function in a worker thread."""
    if name == "stats":
        lang = request_lang(arg, default_lang)
        await send_text(await run_blocking(stats_text, storage, policy, lang), True)
        return
    try:
        request = parse_export(arg, policy, default_lang)
    except FilterError as exc:
        await send_text(str(exc), False)
        return
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        path, count = await run_blocking(write_export, request, storage, policy, Path(folder))
        if path.stat().st_size > UPLOAD_LIMIT:
            await send_text(t(request.lang, "telegram.staff.too_big", count=count), False)
            return
        await send_file(path, t(request.lang, "telegram.staff.cases", count=count))


class TelegramStaffCommands:
    """The staff commands as the Telegram channel sees them: which inputs they take, and
    their answers sent as messages and documents through the channel's :class:`Sender`."""

    def __init__(
        self,
        storage: Storage,
        policy: Policy,
        settings: Settings,
        sender: Sender,
        bot: Callable[[], Bot],
    ) -> None:
        self.storage = storage
        self.policy = policy
        self.settings = settings
        self.sender = sender
        self._bot = bot

    def handles(self, user_id: UserKey, message: object) -> bool:
        """Whether ``message`` is a staff command from a member of staff."""
        return (
            isinstance(message, CommandInput)
            and message.name in STAFF_COMMANDS
            and user_id.telegram_id in self.settings.staff_ids
        )

    async def answer(self, chat_id: int, message: CommandInput) -> None:
        """Answer /export or /stats for a staff member; errors become a message, not silence."""
        bot = self._bot()

        async def send_text(text: str, is_html: bool) -> None:
            mode = ParseMode.HTML if is_html else None
            for piece in chunks(text):
                await self.sender.call(
                    functools.partial(bot.send_message, chat_id, piece, parse_mode=mode)
                )

        async def send_file(path: Path, caption: str) -> None:
            with path.open("rb") as fh:
                await self.sender.call(
                    lambda: bot.send_document(chat_id, fh, filename=path.name, caption=caption),
                    attempts=1,
                )

        try:
            await run_staff_command(
                message.name,
                message.arg,
                storage=self.storage,
                policy=self.policy,
                default_lang=self.settings.default_lang,
                send_text=send_text,
                send_file=send_file,
                run_blocking=asyncio.to_thread,
            )
        except Exception:
            log.exception("staff command /%s failed", message.name)
            lang = request_lang(message.arg, self.settings.default_lang)
            await send_text(t(lang, "telegram.staff.failed"), False)
