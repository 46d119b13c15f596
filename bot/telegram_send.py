"""Replies into Bot API calls: chunks, keyboards, and the one retry layer for sending.

:class:`Sender` is the only place a Bot API call is retried. A call is tried at
most ``attempts`` times in all (``SEND_ATTEMPTS`` for a reply): network errors
wait an exponential backoff (0.5 s, 1 s, 2 s… up to 8 s), a flood wait
(``RetryAfter``) waits what Telegram asked, and holds every other call back for
that long too, as Telegram's flood control applies to the bot. PTB's
``AIORateLimiter`` (``TELEGRAM_MAX_RATE``) only paces calls: it is built with
``max_retries=0`` and passes a flood wait straight on to here, so a message is
never retried by two layers (which tried it up to 4 x 4 times). The waits go
through an injectable ``sleep``, so tests need not spend them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from flows.machine import STATES
from flows.messages import Reply

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4  # tries of one Bot API call for a reply, the first included
BACKOFF_FIRST_S = 0.5
BACKOFF_CAP_S = 8.0

# A Bot API call returned as the webhook's response: {"method": ..., parameters...}.
WebhookReply = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


class Sender:
    """Sends replies to chats, retrying each call a bounded number of times."""

    def __init__(
        self,
        bot: Callable[[], Bot],
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self.sleep = sleep
        self._clock = clock
        self._paused_until = 0.0  # a flood wait holds every call back until then,
        self._pause_began = 0.0  # or until a call made after it began succeeds
        # chat id -> the message whose buttons answer the conversation's current question.
        # When the question is asked again (Continue, /lang, a reminder, a typed answer) the
        # old copy loses its buttons. Held in memory: after a restart an old copy keeps
        # them, and pressing one gets the polite "that question has passed".
        self._live_keyboards: dict[int, int] = {}

    async def retry(self, make: Callable[[], Awaitable[T]], *, attempts: int) -> T:
        """Call ``make`` up to ``attempts`` times; network errors and flood waits are retried.

        Telegram's refusals (BadRequest, a NetworkError subclass in PTB) are not retried:
        the same request would be refused again. The last failure is raised.
        """
        for attempt in range(attempts):
            wait = self._paused_until - self._clock()
            if wait > 0:
                await self.sleep(wait)
            started = self._clock()
            try:
                result = await make()
            except BadRequest:
                raise
            except (RetryAfter, NetworkError) as exc:
                if attempt == attempts - 1:
                    raise
                delay = backoff(exc, attempt)
                if isinstance(exc, RetryAfter):
                    log.info("flood control: waiting %.1f s", delay)
                    self._paused_until = max(self._paused_until, self._clock() + delay)
                    self._pause_began = self._clock()
                    continue  # the pause above is the wait
                await self.sleep(delay)
            else:
                if started >= self._pause_began:  # asked after the flood wait: it is over
                    self._paused_until = 0.0
                return result
        raise AssertionError("attempts must be at least 1")

    async def call(
        self,
        make: Callable[[], Awaitable[T]],
        *,
        attempts: int = SEND_ATTEMPTS,
        raise_forbidden: bool = False,
    ) -> T | None:
        """A Bot API call through :meth:`retry`; a user who blocked the bot gives None.

        A user who blocked the bot is not an error for a reply (there is nobody to
        tell), but is for ``raise_forbidden`` callers that record who was told.
        """
        try:
            return await self.retry(make, attempts=attempts)
        except Forbidden:
            if raise_forbidden:
                raise
            log.info("user blocked the bot; reply dropped")
            return None

    async def send_all(
        self,
        chat_id: int,
        replies: list[Reply],
        *,
        raise_forbidden: bool = False,
        pressed: int | None = None,
    ) -> None:
        """Send the replies in order; a question's buttons replace its older copy's.

        ``pressed`` is the message whose button was pressed: its keyboard is taken
        care of by :func:`marking`.
        """
        bot = self._bot()
        for reply in replies:
            pieces = chunks(reply.text)
            for i, piece in enumerate(pieces):
                # Buttons go under the last piece.
                markup = keyboard(reply) if i == len(pieces) - 1 else None
                sent = await self.call(
                    functools.partial(bot.send_message, chat_id, piece, reply_markup=markup),
                    raise_forbidden=raise_forbidden,
                )
                if markup is not None and asks_question(reply) and isinstance(sent, Message):
                    old = self._live_keyboards.get(chat_id)
                    self._live_keyboards[chat_id] = sent.message_id
                    if old is not None and old != pressed:
                        await self.clear_keyboard(chat_id, old)

    async def clear_keyboard(self, chat_id: int, message_id: int) -> None:
        """Take the buttons off an older copy of a question (cosmetic: failures are logged)."""
        try:
            await self.call(
                lambda: self._bot().edit_message_reply_markup(chat_id, message_id), attempts=2
            )
        except TelegramError as exc:  # already gone, too old to edit…: the press is refused anyway
            log.info("could not clear keyboard of message %s: %s", message_id, exc)

    async def answer_query(self, query_id: str) -> None:
        with contextlib.suppress(TelegramError):
            await self.call(lambda: self._bot().answer_callback_query(query_id), attempts=1)

    async def mark_choice(self, marking: WebhookReply) -> None:
        """Make the :func:`marking` edit as a request (polling mode)."""
        bot = self._bot()
        chat_id, message_id = marking["chat_id"], marking["message_id"]
        try:
            if marking["method"] == "editMessageText":
                await self.call(
                    lambda: bot.edit_message_text(marking["text"], chat_id, message_id),
                    attempts=2,
                )
            else:
                await self.call(
                    lambda: bot.edit_message_reply_markup(chat_id, message_id), attempts=2
                )
        except TelegramError as exc:  # e.g. the message is too old to edit: not worth more
            log.info("could not clear keyboard of message %s: %s", message_id, exc)


def marking(message: Any, data: str | None, *, shown: bool) -> WebhookReply | None:
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


def asks_question(reply: Reply) -> bool:
    """Whether the reply's buttons answer a question of the conversation.

    The language choice, the deletion confirmation and "send documents" are asides:
    they neither replace a question's buttons nor are replaced by them.
    """
    first = reply.buttons[0][0] if reply.buttons and reply.buttons[0] else None
    return first is not None and first.data.split(":", 1)[0] in STATES


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def chunks(text: str) -> list[str]:
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


def backoff(exc: Exception, attempt: int) -> float:
    """How long to wait before the next try: what a flood wait asks, else exponential."""
    if isinstance(exc, RetryAfter):
        retry = exc.retry_after
        return float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry)
    return float(min(BACKOFF_FIRST_S * 2**attempt, BACKOFF_CAP_S))
