"""The Telegram channel: python-telegram-bot's Application in front of the intake service.

Each update becomes one channel-neutral input. Per user, updates are processed
strictly in arrival order (:class:`~bot.sequencer.UserSequencer`); evidence is
downloaded before the user's turn so a slow download does not hold it longer
than needed, and only when the stored conversation is at a step that takes files
(:meth:`~bot.intake.IntakeService.takes_files`; were it not yet there because an
earlier update was still in line, the file is fetched in its turn). A download
streams to a file in the store's spool folder, hashed on the way, and at most
``DOWNLOADS_PER_USER`` of one user and ``DOWNLOADS_MAX`` in all run at once. The intake service saves before it returns replies, and update ids
are remembered after the replies went out, so a redelivered update never acts
twice. Replies are plain text (no parse mode), so nothing a user typed can be
read as markup when it is echoed back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.intake import Handled, IncomingFile, IncomingFiles, IntakeService
from bot.sequencer import UserSequencer
from bot.settings import Settings
from bot.staff.telegram_commands import STAFF_COMMANDS, run_staff_command
from bot.telegram_http import AiohttpRequest, DownloadTooBig
from flows.conversation import ALBUM_KEY
from flows.machine import STATES
from flows.messages import (
    AlbumDeliveredInput,
    AlbumEndInput,
    ChoiceInput,
    CommandInput,
    EditedInput,
    Input,
    Reply,
    TextInput,
    UnsupportedInput,
    parse_callback,
)
from flows.texts import pick_lang, t

log = logging.getLogger(__name__)

# Telegram lets bots download files of up to 20 MB.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SEND_ATTEMPTS = 4
# The commands a user sees in the menu, per language; staff commands are never listed.
MENU = {
    "ko": [
        ("start", "피해 접수 시작"),
        ("status", "내 접수 현황"),
        ("back", "이전 질문으로"),
        ("cancel", "접수 취소"),
        ("lang", "언어 바꾸기"),
        ("privacy", "개인정보 처리 안내"),
        ("delete_my_data", "내 정보 삭제 요청"),
        ("help", "도움말"),
    ],
    "en": [
        ("start", "Start a damage report"),
        ("status", "Your reports"),
        ("back", "Previous question"),
        ("cancel", "Cancel the report"),
        ("lang", "Change language"),
        ("privacy", "How your data is handled"),
        ("delete_my_data", "Ask to delete your data"),
        ("help", "Help"),
    ],
}
UNSUPPORTED_KINDS = (
    "sticker",
    "voice",
    "audio",
    "video_note",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
)


# A Bot API call returned as the webhook's response: {"method": ..., parameters...}.
WebhookReply = dict[str, Any]


@dataclass(frozen=True)
class _FileMessage:
    """A photo or document not fetched yet: what :meth:`TelegramChannel._fetch` needs."""

    file_id: str
    name: str
    mime: str
    size: int | None
    wanted: bool  # an allowed type within the download limit: worth fetching
    group: str | None


@dataclass
class _Album:
    """Items of one album still arriving; its reply is sent once they stop."""

    group: str
    chat_id: int
    language_code: str | None
    timer: asyncio.TimerHandle | None = None


class TelegramChannel:
    """Turns Telegram updates into intake inputs and intake replies into messages."""

    def __init__(
        self,
        service: IntakeService,
        settings: Settings,
        *,
        album_quiet_s: float = 1.0,
        sweep_interval_s: float = 60.0,
    ) -> None:
        self.service = service
        self.storage = service.storage
        self.settings = settings
        self.album_quiet_s = album_quiet_s
        self.sweep_interval_s = sweep_interval_s
        self.sequencer = UserSequencer()
        self.application: Application | None = None
        self._albums: dict[int, _Album] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # user id -> when the sweep should look at their draft next (an early guess is fine:
        # the sweep checks the stored timestamps and reschedules).
        self._sweep_due: dict[int, float] = {}
        # In webhook mode a pressed button's marking goes back as the webhook's response.
        self._mark_in_response = False
        # chat id -> the message whose buttons answer the conversation's current question.
        # When the question is asked again (Continue, /lang, a reminder, a typed answer) the
        # old copy loses its buttons. Held in memory: after a restart an old copy keeps
        # them, and pressing one gets the polite "that question has passed".
        self._live_keyboards: dict[int, int] = {}
        self._spool = storage_spool(self.storage)
        self._downloads = asyncio.Semaphore(settings.downloads_max)
        # user id -> [their semaphore, how many downloads hold or wait for it]
        self._user_downloads: dict[int, list[Any]] = {}

    # -- building ---------------------------------------------------------------------------
    def build_application(self, *, polling: bool) -> Application:
        """Build PTB's Application; in webhook mode it has no Updater (our server feeds it)."""
        # Opt in to durations as timedelta (PTB's next major default); without it PTB
        # warns from inside RetryAfter on every flood-control answer.
        os.environ.setdefault("PTB_TIMEDELTA", "1")
        s = self.settings
        builder = (
            ApplicationBuilder()
            .token(s.telegram_bot_token or "")
            .request(AiohttpRequest())
            # Long polling holds its own connection for up to its timeout.
            .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=None))
        )
        if s.telegram_api_base_url:
            builder = builder.base_url(s.telegram_api_base_url)
        if s.telegram_file_base_url:
            builder = builder.base_file_url(s.telegram_file_base_url)
        if s.telegram_max_rate > 0:
            builder = builder.rate_limiter(
                AIORateLimiter(overall_max_rate=s.telegram_max_rate, max_retries=3)
            )
        if not polling:
            builder = builder.updater(None)
        self._mark_in_response = not polling
        # Updates reach accept() one at a time and in order; it takes the user's
        # ticket and runs the work as a task, which is where concurrency comes from.
        application = builder.concurrent_updates(False).build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        self.application = application
        return application

    async def setup(self) -> None:
        """Register the command menus (Korean, English and the default)."""
        bot = self._app().bot
        scope = BotCommandScopeAllPrivateChats()
        for lang, entries in MENU.items():
            commands = [BotCommand(name, description) for name, description in entries]
            await bot.set_my_commands(commands, scope=scope, language_code=lang)
        default = [BotCommand(n, d) for n, d in MENU[self.settings.default_lang]]
        await bot.set_my_commands(default, scope=scope)

    # -- receiving --------------------------------------------------------------------------
    async def _on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Take the update's place in line and process it in the background (polling mode)."""
        if isinstance(update, Update):
            self._spawn(self.accept(update))

    def accept(self, update: Update) -> Coroutine[Any, Any, WebhookReply | None]:
        """Queue an update behind the same user's earlier ones; await the result to finish it.

        Must be called in arrival order, before any ``await``: the ticket is taken here.
        In webhook mode the result may be a Bot API call for the webhook to return as
        its response, which Telegram then makes: the edit that marks a pressed button's
        message, one request fewer per press (and the costliest one to parse the answer
        of). Its outcome is never known, which suits a cosmetic edit: if it does not
        happen, a second press of the old button gets the polite "this question has
        passed". Replies and answers to buttons are always requests, with retries.
        """
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return self._forget(update)
        if chat.type != ChatType.PRIVATE:
            return self._refuse_group(update)
        album = self._albums.get(user.id)
        message = update.message
        joins_album = (
            album is not None and message is not None and message.media_group_id == album.group
        )
        if album is not None and not joins_album:
            # Something else arrived: answer for the album first, in its place in line.
            self._close_album(user.id)
        ticket = self.sequencer.take(user.id)
        return self._process(update, user.id, chat.id, ticket)

    async def _process(
        self, update: Update, user_id: int, chat_id: int, ticket: int
    ) -> WebhookReply | None:
        language_code = update.effective_user.language_code if update.effective_user else None
        message: Input | IncomingFiles | _FileMessage | None = None
        try:
            try:
                message = await self._to_input(update)
                if isinstance(message, _FileMessage):
                    message = await self._fetch(user_id, message, last_chance=False)
            except Exception:  # a broken download must not lose the user's turn
                log.exception("could not read update %s", update.update_id)
                message = None
            async with self.sequencer.turn(user_id, ticket):
                if self.storage.seen_update(update.update_id):
                    return None
                if isinstance(message, _FileMessage):
                    # Not at a file step before: earlier updates in line may have moved on.
                    message = await self._fetch(user_id, message, last_chance=True)
                return await self._take_turn(update, user_id, chat_id, message, language_code)
        finally:
            if isinstance(message, IncomingFiles):
                for f in message.files:  # taken over by the store, or not wanted: gone
                    if f.path is not None:
                        f.path.unlink(missing_ok=True)

    async def _take_turn(
        self,
        update: Update,
        user_id: int,
        chat_id: int,
        message: Input | IncomingFiles | None,
        language_code: str | None,
    ) -> WebhookReply | None:
        """The user's turn: run the input through the intake service and send the replies."""
        query = update.callback_query
        if message is None:
            if query is not None:
                await self._answer_query(query.id)
            self.storage.mark_update(update.update_id)
            return None
        if self._is_staff_command(user_id, message):
            await self._staff_command(chat_id, message)
            self.storage.mark_update(update.update_id)
            return None
        handled: Handled | None = None
        try:
            handled = await asyncio.to_thread(
                self.service.handle_input,
                user_id,
                message,
                language_code=language_code,
                input_id=update.update_id,
            )
            replies = handled.replies
        except Exception:
            log.exception("update %s of user %s failed", update.update_id, user_id)
            lang = pick_lang(language_code, self.settings.default_lang)
            replies = [Reply(t(lang, "error.internal"))]
        # The answer to the button, the marked keyboard and the next question are
        # independent: one round trip instead of three.
        extras = []
        marking = None
        if query is not None:
            extras.append(self._answer_query(query.id))
            if handled is not None:  # after a failure the buttons stay, to try again
                # Only a press that counted is shown as the choice; a stale one
                # (a double tap, a passed question) only loses its keyboard.
                marking = _marking(query.message, query.data, shown=handled.choice_taken)
            if marking is not None and not self._mark_in_response:
                extras.append(self._mark_choice(marking))
                marking = None
        pressed = query.message.message_id if query is not None and query.message else None
        await asyncio.gather(self._send_all(chat_id, replies, pressed=pressed), *extras)
        self.storage.mark_update(update.update_id)
        self._sweep_due[user_id] = self.service.clock() + self.service.remind_after
        if isinstance(message, IncomingFiles) and message.group:
            self._album_item_done(user_id, chat_id, message.group, language_code)
        return marking

    async def _to_input(self, update: Update) -> Input | _FileMessage | None:
        """Read what the user did; a file is only described here (see :meth:`_fetch`)."""
        if update.callback_query is not None:
            choice = parse_callback(update.callback_query.data or "")
            # A button we did not make is treated like a stale one: refused politely.
            return choice or ChoiceInput(question="?", value="?")
        if update.edited_message is not None:
            return EditedInput()
        message = update.message
        if message is None:
            return None
        if message.photo:
            photo = message.photo[-1]  # the largest size
            size = photo.file_size
            return _FileMessage(
                file_id=photo.file_id,
                name=f"photo_{photo.file_unique_id}.jpg",
                mime="image/jpeg",
                size=size,
                wanted=size is None or size <= DOWNLOAD_LIMIT,
                group=message.media_group_id,
            )
        attachment = message.document or message.video or message.animation
        if attachment is not None:
            name = getattr(attachment, "file_name", None) or f"file_{attachment.file_unique_id}"
            mime = attachment.mime_type or "application/octet-stream"
            size = attachment.file_size or 0
            wanted = self.service.flow.rules.type_allowed(name, mime) and size <= DOWNLOAD_LIMIT
            return _FileMessage(
                attachment.file_id, name, mime, size, wanted, message.media_group_id
            )
        for kind in UNSUPPORTED_KINDS:
            if getattr(message, kind, None):
                return UnsupportedInput(kind)
        text = message.text
        if text is None:
            return UnsupportedInput("other")
        if message.forward_origin is not None:
            return TextInput(text)  # a forwarded "/cancel" is something quoted, not an order
        if text.startswith("/") and len(text) > 1:
            parts = text[1:].split(maxsplit=1)  # "/back\n35만": the name ends at any space
            head = parts[0] if parts and not text[1].isspace() else ""  # "/ start" is no command
            arg = parts[1] if len(parts) > 1 else ""
            name, _, addressee = head.partition("@")
            if addressee and addressee.lower() != (self._app().bot.username or "").lower():
                # "/cancel@otherbot" is meant for another bot: not a command of ours.
                return CommandInput(name="@" + addressee[:32], arg="")
            return CommandInput(name=name.lower(), arg=arg.strip())
        return TextInput(text)

    async def _fetch(
        self, user_id: int, file: _FileMessage, *, last_chance: bool
    ) -> IncomingFiles | _FileMessage:
        """Download a wanted file if the user is at a step that takes files.

        Before the turn (``last_chance`` False) a user not at such a step gets the
        file back unfetched, to be looked at again in the turn; in the turn it
        becomes an input without bytes, which the flow answers ("no files here",
        or "send it again" if the download failed). Never raises.
        """
        incoming = IncomingFile(name=file.name, mime=file.mime, size=file.size or 0)
        try:
            if file.wanted and await asyncio.to_thread(self.service.takes_files, user_id):
                fetched = await self._download(user_id, file.file_id, file.size)
                if fetched is not None:
                    path, size, digest = fetched
                    incoming = IncomingFile(file.name, file.mime, size, path=path, sha256=digest)
            elif file.wanted and not last_chance:
                return file
        except Exception:
            log.exception("could not fetch file %s of user %s", file.file_id, user_id)
        return IncomingFiles((incoming,), group=file.group)

    @contextlib.asynccontextmanager
    async def _download_slot(self, user_id: int) -> AsyncIterator[None]:
        """One of the user's ``downloads_per_user`` slots, then one of ``downloads_max``."""
        entry = self._user_downloads.get(user_id)
        if entry is None:
            entry = self._user_downloads[user_id] = [
                asyncio.Semaphore(self.settings.downloads_per_user),
                0,
            ]
        entry[1] += 1
        try:
            async with entry[0], self._downloads:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._user_downloads[user_id]

    async def _download(
        self, user_id: int, file_id: str, size: int | None
    ) -> tuple[Path, int, str] | None:
        """Stream a file into the spool folder: its path, size and sha256.

        None when it is over the Bot API's 20 MB, refused, or failed every attempt.
        """
        if size is not None and size > DOWNLOAD_LIMIT:
            return None
        for attempt in range(SEND_ATTEMPTS):
            try:
                return await self._download_once(user_id, file_id)
            except (BadRequest, DownloadTooBig) as exc:  # "file is too big" and the like
                log.info("file %s not downloadable: %s", file_id, exc)
                return None
            except (NetworkError, RetryAfter) as exc:
                if attempt < SEND_ATTEMPTS - 1:  # no wait after the last try: the user waits
                    await asyncio.sleep(_backoff(exc, attempt))
        return None

    async def _download_once(self, user_id: int, file_id: str) -> tuple[Path, int, str]:
        """One attempt, in a download slot; the temporary file is removed if it fails."""
        bot = self._app().bot
        request = bot.request
        assert isinstance(request, AiohttpRequest)
        async with self._download_slot(user_id):
            fd, name = tempfile.mkstemp(prefix="download-", suffix=".part", dir=self._spool)
            path = Path(name)
            try:
                with os.fdopen(fd, "wb") as sink:
                    file = await bot.get_file(file_id)
                    got, digest = await request.download(
                        file.file_path or "", sink, limit=DOWNLOAD_LIMIT
                    )
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        return path, got, digest

    # -- staff ----------------------------------------------------------------------------------
    def _is_staff_command(self, user_id: int, message: object) -> bool:
        return (
            isinstance(message, CommandInput)
            and message.name in STAFF_COMMANDS
            and user_id in self.settings.staff_ids
        )

    async def _staff_command(self, chat_id: int, message: CommandInput) -> None:
        """Answer /export or /stats for a staff member; errors become a message, not silence."""
        bot = self._app().bot

        async def send_text(text: str, is_html: bool) -> None:
            mode = ParseMode.HTML if is_html else None
            for piece in _chunks(text):
                await self._call(lambda p=piece: bot.send_message(chat_id, p, parse_mode=mode))

        async def send_file(path: Any, caption: str) -> None:
            with path.open("rb") as fh:
                await self._call(
                    lambda: bot.send_document(chat_id, fh, filename=path.name, caption=caption),
                    attempts=1,
                )

        try:
            await run_staff_command(
                message.name,
                message.arg,
                storage=self.storage,
                policy=self.service.flow.policy,
                default_lang=self.settings.default_lang,
                send_text=send_text,
                send_file=send_file,
                run_blocking=asyncio.to_thread,
            )
        except Exception:
            log.exception("staff command /%s failed", message.name)
            await send_text("The command failed; the log has the details.", False)

    # -- albums -------------------------------------------------------------------------------
    def _album_item_done(
        self, user_id: int, chat_id: int, group: str, language_code: str | None
    ) -> None:
        album = self._albums.get(user_id)
        if album is None or album.group != group:
            album = self._albums[user_id] = _Album(group, chat_id, language_code)
        if album.timer is not None:
            album.timer.cancel()
        loop = asyncio.get_running_loop()
        album.timer = loop.call_later(self.album_quiet_s, lambda: self._close_album(user_id))

    def _close_album(self, user_id: int) -> None:
        """Queue the album's one reply in the user's line, before anything that comes later.

        The ticket is taken here, synchronously, so an update arriving now is
        answered after the album, not before it.
        """
        album = self._albums.pop(user_id, None)
        if album is None:
            return
        if album.timer is not None:
            album.timer.cancel()
        ticket = self.sequencer.take(user_id)
        self._spawn(self._answer_album(user_id, album, ticket))

    async def _answer_album(self, user_id: int, album: _Album, ticket: int) -> None:
        async with self.sequencer.turn(user_id, ticket):
            try:
                replies = await asyncio.to_thread(
                    self.service.handle,
                    user_id,
                    AlbumEndInput(album.group),
                    language_code=album.language_code,
                )
            except Exception:
                log.exception("closing album of user %s failed", user_id)
                return
            await self._send_all(album.chat_id, replies)
            # Only now may the saved draft forget the album (see flows: AlbumDeliveredInput).
            await asyncio.to_thread(self.service.handle, user_id, AlbumDeliveredInput(album.group))

    # -- sending --------------------------------------------------------------------------------
    async def notify(self, user_id: int, replies: list[Reply]) -> None:
        """Send a message the bot starts (review news), in the user's line of updates.

        Raises :class:`telegram.error.Forbidden` when the user blocked the bot, so the
        caller can record that the user was not told.

        The news may start something the sweep keeps an eye on (documents asked for
        are reminded of after 3 days): the user's check moves up to now, and the
        sweep then schedules the next one from what is stored.
        """
        ticket = self.sequencer.take(user_id)
        async with self.sequencer.turn(user_id, ticket):
            await self._send_all(
                user_id, replies, raise_forbidden=True
            )  # private chat id == user id
        now = self.service.clock()
        self._sweep_due[user_id] = min(self._sweep_due.get(user_id, now), now)

    async def _send_all(
        self,
        chat_id: int,
        replies: list[Reply],
        *,
        raise_forbidden: bool = False,
        pressed: int | None = None,
    ) -> None:
        """Send the replies in order; a question's buttons replace its older copy's.

        ``pressed`` is the message whose button was pressed: its keyboard is taken
        care of by :func:`_marking`.
        """
        bot = self._app().bot
        for reply in replies:
            pieces = _chunks(reply.text)
            for i, piece in enumerate(pieces):
                markup = (
                    _keyboard(reply) if i == len(pieces) - 1 else None
                )  # buttons under the last piece
                sent = await self._call(
                    lambda p=piece, m=markup: bot.send_message(chat_id, p, reply_markup=m),
                    raise_forbidden=raise_forbidden,
                )
                if markup is not None and _asks_question(reply) and isinstance(sent, Message):
                    old = self._live_keyboards.get(chat_id)
                    self._live_keyboards[chat_id] = sent.message_id
                    if old is not None and old != pressed:
                        await self._clear_keyboard(chat_id, old)

    async def _clear_keyboard(self, chat_id: int, message_id: int) -> None:
        """Take the buttons off an older copy of a question (cosmetic: failures are logged)."""
        try:
            await self._call(
                lambda: self._app().bot.edit_message_reply_markup(chat_id, message_id),
                attempts=2,
            )
        except TelegramError as exc:  # already gone, too old to edit…: the press is refused anyway
            log.info("could not clear keyboard of message %s: %s", message_id, exc)

    async def _answer_query(self, query_id: str) -> None:
        with contextlib.suppress(TelegramError):
            await self._call(lambda: self._app().bot.answer_callback_query(query_id), attempts=1)

    async def _mark_choice(self, marking: WebhookReply) -> None:
        """Make the :func:`_marking` edit as a request (polling mode)."""
        bot = self._app().bot
        chat_id, message_id = marking["chat_id"], marking["message_id"]
        try:
            if marking["method"] == "editMessageText":
                await self._call(
                    lambda: bot.edit_message_text(marking["text"], chat_id, message_id),
                    attempts=2,
                )
            else:
                await self._call(
                    lambda: bot.edit_message_reply_markup(chat_id, message_id), attempts=2
                )
        except TelegramError as exc:  # e.g. the message is too old to edit: not worth more
            log.info("could not clear keyboard of message %s: %s", message_id, exc)

    async def _call(
        self,
        make: Callable[[], Awaitable[Any]],
        *,
        attempts: int = SEND_ATTEMPTS,
        raise_forbidden: bool = False,
    ) -> Any:
        """Call the Bot API, retrying network errors and flood waits with backoff.

        A user who blocked the bot is not an error for a reply (there is nobody to
        tell), but is for ``raise_forbidden`` callers that record who was told.
        Telegram's refusals (BadRequest, a NetworkError subclass in PTB) are not
        retried: the same request would be refused again.
        """
        for attempt in range(attempts):
            try:
                return await make()
            except Forbidden:
                if raise_forbidden:
                    raise
                log.info("user blocked the bot; reply dropped")
                return None
            except BadRequest:
                raise
            except (RetryAfter, NetworkError) as exc:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(_backoff(exc, attempt))
        return None

    async def _refuse_group(self, update: Update) -> None:
        """In a group the bot takes no report; it asks to be messaged directly (once per update)."""
        if self.storage.seen_update(update.update_id):
            return
        message = update.effective_message
        chat = update.effective_chat
        lang = pick_lang(update.effective_user.language_code if update.effective_user else None)
        if message is not None and chat is not None and chat.type != ChatType.CHANNEL:
            with contextlib.suppress(TelegramError):
                await self._call(
                    lambda: self._app().bot.send_message(chat.id, t(lang, "group_chat")), attempts=2
                )
        self.storage.mark_update(update.update_id)

    async def _forget(self, update: Update) -> None:
        self.storage.mark_update(update.update_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error(
            "unhandled error for update %s",
            getattr(update, "update_id", None),
            exc_info=context.error,
        )

    # -- reminders and expiry ------------------------------------------------------------------------
    async def sweep_forever(self) -> None:
        """Remind silent drafts once and expire abandoned ones, from stored timestamps.

        One scan of the stored conversations at start (so it survives restarts), then
        only the users the bot heard from are added as they come.
        """
        await self.load_schedule()
        while True:
            await self.sweep_due_now()
            await asyncio.sleep(self.sweep_interval_s)

    async def load_schedule(self) -> None:
        """Schedule every stored draft from its timestamps (one scan, in a worker thread).

        The same scan finds albums whose one reply was due when the process
        stopped (the timer lived in memory): they are answered now.
        """
        schedule, albums = await asyncio.to_thread(self._initial_schedule)
        for user_id, at in schedule.items():
            self._sweep_due.setdefault(user_id, at)
        for user_id, group in albums.items():
            if user_id not in self._albums:  # not one the user is sending right now
                self._albums[user_id] = _Album(group, chat_id=user_id, language_code=None)
                self._close_album(user_id)

    async def sweep_due_now(self) -> None:
        """Remind or expire every draft whose time has come."""
        now = self.service.clock()
        for user_id in [user for user, at in self._sweep_due.items() if at <= now]:
            self._sweep_due.pop(user_id, None)
            try:
                next_check = await self.sweep_user(user_id)
            except Exception:
                # One user's failure (Telegram gave up, a damaged file) must not stop the
                # sweep for everybody: log it and try that user again next round.
                log.exception("reminder/expiry for user %s failed", user_id)
                next_check = now + self.sweep_interval_s
            if next_check is not None:
                self._sweep_due.setdefault(user_id, next_check)

    async def sweep_user(self, user_id: int) -> float | None:
        ticket = self.sequencer.take(user_id)
        async with self.sequencer.turn(user_id, ticket):
            result = await asyncio.to_thread(self.service.sweep, user_id)
            if result.replies:
                await self._send_all(user_id, result.replies)
            if result.action:  # recorded only once sent (see SweepResult)
                await asyncio.to_thread(self.service.sweep_sent, user_id, result)
            return result.next_check

    def _initial_schedule(self) -> tuple[dict[int, float], dict[int, str]]:
        albums = {}
        schedule = self.service.documents_schedule()  # cases waiting for documents
        for record in self.storage.iter_conversations():
            at = self.service.next_check(record)
            if at is not None:
                schedule[record.user_id] = min(at, schedule.get(record.user_id, at))
            album = record.answers.get(ALBUM_KEY)
            if album:
                albums[record.user_id] = album["group"]
        return schedule, albums

    # -- plumbing ---------------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished background task; log its failure now, not at garbage collection."""
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for updates in progress (on shutdown), closing open albums first."""
        for user_id in list(self._albums):
            self._close_album(user_id)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _app(self) -> Application:
        assert self.application is not None, "build_application() first"
        return self.application


def storage_spool(storage: Any) -> Path:
    """Where downloads are written: the store's spool folder, else the system's temporary one."""
    folder = storage.spool_dir()
    return Path(folder) if folder is not None else Path(tempfile.gettempdir())


def _marking(message: Any, data: str | None, *, shown: bool) -> WebhookReply | None:
    """The edit that takes the keyboard off a pressed button's message.

    With ``shown`` the pressed button's label is added to the text ("✓ label").
    None when the message has no keyboard left (or Telegram sent none: too old).
    """
    if not isinstance(message, Message) or not message.reply_markup:
        return None
    label = None
    if shown:
        label = next(
            (
                b.text
                for row in message.reply_markup.inline_keyboard
                for b in row
                if b.callback_data == data
            ),
            None,
        )
    where = {"chat_id": message.chat_id, "message_id": message.message_id}
    text = f"{message.text}\n\n✓ {label}" if label and message.text else None
    if text is not None and len(text) <= MessageLimit.MAX_TEXT_LENGTH:
        return {"method": "editMessageText", **where, "text": text}
    return {"method": "editMessageReplyMarkup", **where}


def _asks_question(reply: Reply) -> bool:
    """Whether the reply's buttons answer a question of the conversation.

    The language choice, the deletion confirmation and "send documents" are asides:
    they neither replace a question's buttons nor are replaced by them.
    """
    first = reply.buttons[0][0] if reply.buttons and reply.buttons[0] else None
    return first is not None and first.data.split(":", 1)[0] in STATES


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def _chunks(text: str) -> list[str]:
    """Split a text at line breaks into pieces Telegram accepts (4,096 characters each)."""
    limit = MessageLimit.MAX_TEXT_LENGTH
    if len(text) <= limit:
        return [text]
    pieces, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    pieces.append(current)
    return pieces


def _backoff(exc: Exception, attempt: int) -> float:
    if isinstance(exc, RetryAfter):
        retry = exc.retry_after
        return float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry)
    return min(0.5 * 2**attempt, 8.0)
