"""The Telegram channel: python-telegram-bot's Application in front of the intake service.

:class:`TelegramChannel` does the channel's job: each update becomes one
channel-neutral input, and the intake service's replies become Bot API calls.
Per user, updates are processed strictly in arrival order, in the person's turn of
the server's one :class:`~bot.sequencer.UserSequencer` (``service.sequencer``). It
is also Telegram's :class:`~bot.notices.ChannelNotifier`: notices (review news,
reminders) are pushed through :meth:`TelegramChannel.deliver`. The parts it
delegates live beside it:

- :mod:`bot.telegram_send`: replies into messages (chunks, keyboards, the marked
  choice) and the one retry layer for every Bot API call;
- :mod:`bot.telegram_downloads`: evidence, fetched only at a step that takes
  files, streamed to the store's spool folder and bounded per user and overall;
- :mod:`bot.telegram_albums`: one reply per album, once its items stop arriving;
- :mod:`bot.staff.telegram_commands`: ``/export`` and ``/stats`` for staff.

Reminders and expiry are the server's (:mod:`bot.scheduler`), for every door.

Background work (polling-mode updates, album replies) runs as tasks
of PTB's ``Application.create_task``, which reports their failures to the error
handler and awaits them on stop; :attr:`TelegramChannel.activity` counts the
work in progress, so :meth:`TelegramChannel.drain` (and a test) can wait until
the channel is idle. The intake service saves before it returns replies, and
update ids are remembered after the replies went out, so a redelivered update
never acts twice. Replies are plain text (no parse mode), so nothing a user
typed can be read as markup when it is echoed back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.activity import Activity
from bot.intake import Handled, IncomingFiles, IntakeService
from bot.request_marks import RequestMarks
from bot.settings import Settings
from bot.staff.telegram_commands import TelegramStaffCommands
from bot.telegram_albums import Albums
from bot.telegram_downloads import DOWNLOAD_LIMIT, Downloads, FileMessage
from bot.telegram_http import AiohttpRequest
from bot.telegram_send import Sender, Sleep, WebhookReply, marking
from flows.commands import USER_COMMANDS, read_line
from flows.conversation import ALBUM_KEY
from flows.identity import TELEGRAM, UserKey
from flows.messages import (
    ChoiceInput,
    CommandInput,
    EditedInput,
    Input,
    Reply,
    TextInput,
    UnsupportedInput,
    parse_callback,
)
from flows.record import ConversationRecord
from flows.texts import LANGS, pick_lang, t
from storage import StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
# Update ids whose person was told to wait while the store was down, kept per process so
# that Telegram's redeliveries during one outage tell them once (TelegramChannel._sorry).
TOLD_TO_WAIT_KEPT = 10_000

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# The commands a user sees in the menu, in order, each described by the catalog's
# telegram.menu.<command> words (flows/locales/); staff commands are never listed.
MENU_COMMANDS = USER_COMMANDS
MENU = {
    lang: [(name, t(lang, f"telegram.menu.{name}")) for name in MENU_COMMANDS] for lang in LANGS
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


class _RetriedBySender(logging.Filter):
    """Drops PTB's "Rate limit hit after maximum of 0 retries" error.

    The rate limiter is built with ``max_retries=0``: it passes every flood wait on to
    :class:`~bot.telegram_send.Sender`, which retries it; PTB logs each one as an error
    with a traceback, which would read as a failure.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


_RETRIED_BY_SENDER = _RetriedBySender()


class TelegramChannel:
    """Turns Telegram updates into intake inputs and intake replies into messages.

    ``album_quiet_s`` and ``sleep`` (the retry layer's waits) are there for tests,
    which need not spend real time on them. Built, it is the notifier of Telegram
    people in ``service.notices``.
    """

    channel = TELEGRAM  # as a ChannelNotifier: it serves Telegram people
    pushes = True  # the bot may message a person who wrote to it first
    # An album in a draft written this recently may be another instance's (album_due).
    album_orphan_s = 10.0

    def __init__(
        self,
        service: IntakeService,
        settings: Settings,
        *,
        album_quiet_s: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.service = service
        self.storage = service.storage
        self.settings = settings
        self.sequencer = service.sequencer  # the server's one, shared by every door
        self._told_to_wait: OrderedDict[int, None] = OrderedDict()
        # Albums found at start-up that another instance may be answering (album_due).
        self.album_checks: set[asyncio.Task[None]] = set()
        # Webhook mode: an update the webhook did not acknowledge (503) is delivered again.
        # Polling acknowledges every update fetched, whatever became of it.
        self._delivered_again = False
        self._marks = RequestMarks(self.storage)
        self.application: Application | None = None
        self.activity = Activity()
        self.sender = Sender(self._bot, sleep=sleep)
        self.downloads = Downloads(service, settings, self.sender, self._bot)
        self.albums = Albums(
            service,
            self.sequencer,
            self.sender,
            spawn=self._spawn,
            activity=self.activity,
            quiet_s=album_quiet_s,
        )
        self.staff = TelegramStaffCommands(
            self.storage, service.flow.policy, settings, self.sender, self._bot
        )
        # In webhook mode a pressed button's marking goes back as the webhook's response.
        self._mark_in_response = False
        service.notices.register(self)

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
            # Pacing only: flood waits are retried by the Sender, the one retry layer.
            logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_RETRIED_BY_SENDER)
            limiter = AIORateLimiter(overall_max_rate=s.telegram_max_rate, max_retries=0)
            builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # PTB's generics
        if not polling:
            builder = builder.updater(None)
        self._mark_in_response = not polling
        self._delivered_again = not polling  # an unanswered webhook update comes again
        # Updates reach accept() one at a time and in order; it takes the user's
        # ticket and runs the work as a task, which is where concurrency comes from.
        application = builder.concurrent_updates(False).build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        self.application = application
        return application

    async def setup(self) -> None:
        """Register the command menus (Korean, English and the default)."""
        bot = self._bot()
        scope = BotCommandScopeAllPrivateChats()
        for lang, entries in MENU.items():
            commands = [BotCommand(name, description) for name, description in entries]
            await bot.set_my_commands(commands, scope=scope, language_code=lang)
        default = [BotCommand(n, d) for n, d in MENU[self.settings.default_lang]]
        await bot.set_my_commands(default, scope=scope)

    def album_due(self, record: ConversationRecord) -> Callable[[], None] | None:
        """The scheduler's start-up scan found ``record``: an album whose one reply was
        due when the process stopped (its timer lived in memory) is answered now.

        On a store other instances may share (``Storage.remote``: PostgreSQL) the album
        may be a live instance's, its quiet-period timer running or its reply on the way:
        answered here too, the person got it twice. So an album whose draft was written
        less than :attr:`album_orphan_s` ago is looked at again that long after it was
        last written, and answered only if it is still there and the draft unchanged
        (one still changing is looked at again later): then its instance has died.

        A :data:`bot.scheduler.Scanner`: called in a worker thread, it returns what to
        do on the event loop.
        """
        album = record.answers.get(ALBUM_KEY)
        if not album or record.user_id.channel != TELEGRAM:
            return None
        wait = record.updated_at + self.album_orphan_s - self.service.clock()
        if not self.storage.remote or wait <= 0:
            return functools.partial(self.albums.reopen, record.user_id, album["group"])
        user_id, group, written_at = record.user_id, album["group"], record.updated_at

        def later() -> None:
            check = asyncio.get_running_loop().create_task(
                self._reopen_if_orphaned(user_id, group, written_at, wait)
            )
            self.album_checks.add(check)
            check.add_done_callback(self.album_checks.discard)

        return later

    async def _reopen_if_orphaned(
        self, user_id: UserKey, group: str, written_at: float, wait: float
    ) -> None:
        """Answer ``group`` once the draft has stayed as ``written_at`` left it for
        :attr:`album_orphan_s` (see :meth:`album_due`). Not work in progress: a stop
        cancels it (:meth:`drain`), and the next instance to start looks at the album."""
        while True:
            await asyncio.sleep(max(wait, 0.0))
            try:
                record = await asyncio.to_thread(self.storage.load_conversation, user_id)
            except StoreUnavailable:  # the database down: look again a while later
                wait = self.album_orphan_s
                continue
            except Exception:
                log.exception("album %s of user %s: not looked at again", group, user_id)
                return
            album = record.answers.get(ALBUM_KEY) if record is not None else None
            if record is None or not album or album["group"] != group:
                return  # answered by its instance (or the draft moved on)
            if record.updated_at == written_at:
                self.albums.reopen(user_id, group)  # work in progress from here on
                return
            written_at = record.updated_at
            wait = written_at + self.album_orphan_s - self.service.clock()

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
        self.activity.begin()  # ended by _counted, once the coroutine has run
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return self._counted(self._forget(update))
        if chat.type != ChatType.PRIVATE:
            return self._counted(self._refuse_group(update))
        message = update.message
        key = UserKey.telegram(user.id)
        self.albums.before_update(key, message.media_group_id if message else None)
        ticket = self.sequencer.take(key)
        return self._counted(self._process(update, key, chat.id, ticket))

    async def _process(
        self, update: Update, user_id: UserKey, chat_id: int, ticket: int
    ) -> WebhookReply | None:
        language_code = update.effective_user.language_code if update.effective_user else None
        message: Input | IncomingFiles | FileMessage | None = None
        try:
            try:
                message = await self._to_input(update)
                if isinstance(message, FileMessage):
                    message = await self.downloads.fetch_early(user_id, message)
            except Exception:  # a broken download must not lose the user's turn
                log.exception("could not read update %s", update.update_id)
                message = None
            async with self.sequencer.turn(user_id, ticket):
                try:
                    seen = self._checks_seen(user_id, message) and await self._in_store(
                        self.storage.seen_request, TELEGRAM, str(update.update_id)
                    )
                except StoreUnavailable:  # PostgreSQL down: asked to wait, delivered again
                    await self._sorry(update, chat_id, language_code)
                    raise
                if seen:
                    log.debug(
                        "update %s of user %s: answered before, nothing sent",
                        update.update_id,
                        user_id,
                    )
                    return None
                if isinstance(message, FileMessage):
                    # Not at a file step before: earlier updates in line may have moved on.
                    message = await self.downloads.fetch(user_id, message)
                return await self._take_turn(update, user_id, chat_id, message, language_code)
        finally:
            if isinstance(message, IncomingFiles):
                for f in message.files:  # taken over by the store, or not wanted: gone
                    if f.path is not None:
                        f.path.unlink(missing_ok=True)

    def _checks_seen(self, user_id: UserKey, message: object) -> bool:
        """Whether the door asks ``seen_request`` before processing the update.

        Not when the update goes to the intake's turn on a store whose turn claims it
        (``Storage.claims_in_turn``: PostgreSQL): the claim finds a duplicate and
        ``take_unreplied`` one answered already, in the turn's own worker-thread call,
        so a separate check was one round trip and one thread hand-off more per update.
        Still asked for what no turn claims (no input, a staff command) and for a file,
        so that a duplicate is not downloaded again before the turn finds it.
        """
        if not self.storage.claims_in_turn:
            return True
        if message is None or isinstance(message, FileMessage):
            return True
        return isinstance(message, CommandInput) and self.staff.handles(user_id, message)

    async def _in_store(self, call: Callable[..., T], *args: Any) -> T:
        """A small store call (the seen check; the mark of an update no turn took: a staff
        command, no input, a group message): on the event loop, or in a worker thread
        when the store waits on a server for each (``Storage.remote``: PostgreSQL). The
        answered mark of a turn's update goes through
        :class:`~bot.request_marks.RequestMarks` there."""
        if self.storage.remote:
            return await asyncio.to_thread(call, *args)
        return call(*args)

    async def _take_turn(
        self,
        update: Update,
        user_id: UserKey,
        chat_id: int,
        message: Input | IncomingFiles | None,
        language_code: str | None,
    ) -> WebhookReply | None:
        """The user's turn: run the input through the intake service and send the replies."""
        query = update.callback_query
        if message is None:
            if query is not None:
                await self.sender.answer_query(query.id)
            await self._in_store(self.storage.mark_request, TELEGRAM, str(update.update_id))
            return None
        if isinstance(message, CommandInput) and self.staff.handles(user_id, message):
            await self.staff.answer(chat_id, message)
            await self._in_store(self.storage.mark_request, TELEGRAM, str(update.update_id))
            return None
        handled: Handled | None = None
        try:
            # In the store's turn of the person: on PostgreSQL one transaction with the
            # update's claim, so of several instances given the update one processes it.
            taken = await asyncio.to_thread(
                self.service.handle_request,
                user_id,
                message,
                request=(TELEGRAM, str(update.update_id)),
                language_code=language_code,
                input_id=update.update_id,
            )
            if taken is None:  # another instance processed it (its reply is sent)
                log.debug(
                    "update %s of user %s: claimed elsewhere, nothing sent",
                    update.update_id,
                    user_id,
                )
                return None
            handled = taken
            replies = handled.replies
        except StoreUnavailable:
            # Nothing was applied: the person is asked to wait, and the update is not
            # acknowledged, so Telegram delivers it again once the store is back.
            await self._sorry(update, chat_id, language_code)
            raise
        except Exception:
            log.exception("update %s of user %s failed", update.update_id, user_id)
            lang = pick_lang(language_code, self.settings.default_lang)
            replies = [Reply(t(lang, "error.internal"))]
        # The answer to the button, the marked keyboard and the next question are
        # independent: one round trip instead of three.
        extras = []
        edit = None
        if query is not None:
            extras.append(self.sender.answer_query(query.id))
            if handled is not None:  # after a failure the buttons stay, to try again
                # Only a press that counted is shown as the choice; a stale one
                # (a double tap, a passed question) only loses its keyboard.
                edit = marking(query.message, query.data, shown=handled.choice_taken)
            if edit is not None and not self._mark_in_response:
                extras.append(self.sender.mark_choice(edit))
                edit = None
        pressed = query.message.message_id if query is not None and query.message else None
        log.debug(
            "update %s of user %s: sending %d replies", update.update_id, user_id, len(replies)
        )
        await asyncio.gather(self.sender.send_all(chat_id, replies, pressed=pressed), *extras)
        if self.storage.remote:  # with the marks of the updates answered meanwhile
            await self._marks.mark(TELEGRAM, str(update.update_id))
        else:
            self.storage.mark_request(TELEGRAM, str(update.update_id))
        log.debug("update %s of user %s: replied, marked", update.update_id, user_id)
        if isinstance(message, IncomingFiles) and message.group:
            self.albums.item_done(user_id, chat_id, message.group, language_code)
        return edit

    async def _sorry(self, update: Update, chat_id: int, language_code: str | None) -> None:
        """The store cannot answer (PostgreSQL down or restarting): nothing was applied.
        The person is told (the buttons stay) and the update is left unacknowledged
        (the webhook answers 503), so Telegram delivers it again: once the store is
        back it is processed, and answered, as if it had just come.

        So the words are "I will answer this, no need to send it again" (``error.wait``),
        not "please send that again": a message sent again besides Telegram's redelivery
        would be processed too, its copy taken as the answer to the next question.
        And they are said once per update in this process (:data:`TOLD_TO_WAIT_KEPT`):
        each redelivery that meets the outage again gets the 503 alone. Polling, nothing
        delivers the update again (the next getUpdates acknowledges it): the person is
        asked to send it again (``error.internal``).
        """
        log.warning("update %s not processed: the store cannot answer", update.update_id)
        lang = pick_lang(language_code, self.settings.default_lang)
        if not self._delivered_again:
            sent = [self.sender.send_all(chat_id, [Reply(t(lang, "error.internal"))])]
        elif update.update_id in self._told_to_wait:
            return  # told (and the button's press answered) at an earlier delivery
        else:
            self._told_to_wait[update.update_id] = None
            while len(self._told_to_wait) > TOLD_TO_WAIT_KEPT:
                self._told_to_wait.popitem(last=False)
            sent = [self.sender.send_all(chat_id, [Reply(t(lang, "error.wait"))])]
        if update.callback_query is not None:
            sent.append(self.sender.answer_query(update.callback_query.id))
        await asyncio.gather(*sent)

    async def _to_input(self, update: Update) -> Input | FileMessage | None:
        """Read what the user did; a file is only described here (see :mod:`bot.telegram_downloads`)."""
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
            return FileMessage(
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
            return FileMessage(attachment.file_id, name, mime, size, wanted, message.media_group_id)
        for kind in UNSUPPORTED_KINDS:
            if getattr(message, kind, None):
                return UnsupportedInput(kind)
        text = message.text
        if text is None:
            return UnsupportedInput("other")
        if message.forward_origin is not None:
            return TextInput(text)  # a forwarded "/cancel" is something quoted, not an order
        # "/cancel@otherbot" is meant for another bot: read_line makes it no command of ours.
        return read_line(text, own_name=self._bot().username or None)

    async def _refuse_group(self, update: Update) -> None:
        """In a group the bot takes no report; it asks to be messaged directly (once per update)."""
        if await self._in_store(self.storage.seen_request, TELEGRAM, str(update.update_id)):
            return
        message = update.effective_message
        chat = update.effective_chat
        lang = pick_lang(update.effective_user.language_code if update.effective_user else None)
        if message is not None and chat is not None and chat.type != ChatType.CHANNEL:
            with contextlib.suppress(TelegramError):
                await self.sender.call(
                    lambda: self._bot().send_message(chat.id, t(lang, "group_chat")), attempts=2
                )
        await self._in_store(self.storage.mark_request, TELEGRAM, str(update.update_id))

    async def _forget(self, update: Update) -> None:
        await self._in_store(self.storage.mark_request, TELEGRAM, str(update.update_id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error(
            "unhandled error for update %s",
            getattr(update, "update_id", None),
            exc_info=context.error,
        )

    # -- sending --------------------------------------------------------------------------------
    async def deliver(self, user_id: UserKey, replies: list[Reply]) -> None:
        """Push a notice the bot starts (review news, a reminder): the ChannelNotifier's job.

        :class:`~bot.notices.Notices` calls it in the person's turn. Raises (e.g.
        :class:`telegram.error.Forbidden` when the person blocked the bot) when it
        could not, so the notice is kept and tried again.
        """
        chat_id = user_id.telegram_id
        if chat_id is None:
            raise ValueError(f"{user_id} is not a Telegram user")
        with self.activity.during():
            # A private chat's id is the user's id.
            await self.sender.send_all(chat_id, replies, raise_forbidden=True)

    # -- background work ------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a task of the Application (errors reach :meth:`_on_error`,
        ``Application.stop`` awaits it), counted as work in progress until it ends."""
        self.activity.begin()
        return self._app().create_task(self._counted(coro))

    async def _counted(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Await ``coro``, then end the unit of :attr:`activity` begun for it."""
        try:
            return await coro
        finally:
            self.activity.end()

    async def idle(self) -> None:
        """Return once nothing is in progress: no update being processed, no task pending,
        no album waiting for its quiet period, no notice being pushed."""
        await self.activity.wait_idle()

    async def drain(self) -> None:
        """On shutdown: answer open albums, then wait until idle (an album another
        instance may still be answering is left to the next start, see :meth:`album_due`)."""
        for check in list(self.album_checks):
            check.cancel()
        self.albums.close_all()
        await self.idle()

    def _app(self) -> Application:
        assert self.application is not None, "build_application() first"
        return self.application

    def _bot(self) -> Bot:
        return self._app().bot
