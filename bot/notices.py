"""Notices: the messages the bot starts, delivered through each channel's notifier.

Review decisions, document requests, reminders, expiry and staff messages reach a
person through :meth:`Notices.post`. A notice is stored first
(:class:`storage.records.Notice`), so it is never lost, then:

- on a channel that pushes (Telegram: its :class:`ChannelNotifier` with
  ``pushes=True``), it is pushed at once, in the person's turn of the server's one
  :class:`~bot.sequencer.UserSequencer`. A failed push is recorded (attempts, the
  error's type name) and retried by the scheduler (:mod:`bot.scheduler`) with a
  growing wait, never dropped;
- on a channel that cannot push (console, web chat, KakaoTalk skill, test doors:
  a notifier with ``pushes=False``, or none registered), it waits in the person's
  mailbox. :meth:`Notices.take_mailbox` hands every waiting notice out exactly once,
  headed by an unread-count line in the person's language, and marks them
  delivered. :class:`bot.intake.IntakeService` shows the mailbox before the replies
  to the person's next input, so every door gets it without code of its own; a door
  that shows something without an input (a web page opening) calls it too.

A push that failed also waits in the mailbox: when the person writes before the
retry succeeds, they see it then (in their turn, so never twice).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from bot.sequencer import UserSequencer
from flows.identity import UserKey
from flows.messages import Button, Reply
from flows.texts import t
from storage import Notice, NoticeNotFound, Storage
from storage.postgres_claims import NOTICE_LEASE_S

log = logging.getLogger(__name__)

# The scheduler waits this long after a failed push before the next try, doubling
# after each further failure up to RETRY_MAX_WAIT (a blocked bot is retried a few
# times a day, not every minute).
RETRY_FIRST_WAIT = 60.0
RETRY_MAX_WAIT = 6 * 3600.0


class ChannelNotifier(Protocol):
    """How a channel reaches a person it has not just heard from.

    ``channel`` is the :attr:`flows.identity.UserKey.channel` it serves. With
    ``pushes`` True, :meth:`deliver` sends the replies now and raises when it could
    not (the notice is then retried); with ``pushes`` False the channel only shows
    its mailbox on the person's next request and ``deliver`` is never called.
    """

    channel: str
    pushes: bool

    async def deliver(self, user_id: UserKey, replies: list[Reply]) -> None: ...


class Notices:
    """Posts notices, pushes them where the channel can, keeps the rest in mailboxes.

    ``lang_of`` tells the language to speak to a person in (the unread-count line);
    ``sequencer`` is the server's one, shared by every door and the scheduler.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        lang_of: Callable[[UserKey], str],
        sequencer: UserSequencer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.lang_of = lang_of
        self.sequencer = sequencer or UserSequencer()
        self.clock = clock
        self._notifiers: dict[str, ChannelNotifier] = {}
        # Notices of pushing channels not delivered yet, to retry: those whose push
        # failed here, and those found by :meth:`load_retries` at start-up. Kept in
        # memory so a retry round never reads every mailbox's notices.
        self._retry: dict[str, Notice] = {}
        self._retry_lock = threading.Lock()  # load_retries fills it from a worker thread
        # Called with each notice posted (the scheduler looks at its person again).
        self.on_post: list[Callable[[Notice], None]] = []

    # -- channels -----------------------------------------------------------------------
    def register(self, notifier: ChannelNotifier) -> None:
        """Deliver the notices of ``notifier.channel``'s people through ``notifier``."""
        self._notifiers[notifier.channel] = notifier

    def pushes(self, user_id: UserKey) -> bool:
        """Whether a notice for this person is pushed (else it waits in their mailbox)."""
        notifier = self._notifiers.get(user_id.channel)
        return notifier is not None and notifier.pushes

    # -- posting ------------------------------------------------------------------------
    async def post(
        self,
        user_id: UserKey,
        replies: list[Reply],
        *,
        kind: str,
        case_number: str | None = None,
        notice_id: str | None = None,
        in_turn: bool = False,
    ) -> Notice:
        """Store a notice for ``user_id``, then push it if their channel pushes.

        Returns the notice as it is afterwards: ``delivered_at`` set when it was
        pushed; else it waits (mailbox) or failed (``attempts``, ``last_error``) and
        is retried by the scheduler. Never raises for a failed push. ``notice_id``
        makes posting idempotent (a notice already stored is not stored or pushed
        again once delivered). ``in_turn``: the caller already holds the person's
        turn of :attr:`sequencer` (the scheduler does).
        """
        notice = await asyncio.to_thread(
            self.store, user_id, replies, kind=kind, case_number=case_number, notice_id=notice_id
        )
        if notice.delivered_at is None and self.pushes(user_id):
            notice = await self.push(notice, in_turn=in_turn)
        return notice

    def store(
        self,
        user_id: UserKey,
        replies: list[Reply],
        *,
        kind: str,
        case_number: str | None = None,
        notice_id: str | None = None,
    ) -> Notice:
        """The first half of :meth:`post`: store the notice durably (no push); return it as
        stored. For a caller storing it inside the person's turn of the store
        (:meth:`storage.base.Storage.user_turn`), who pushes it once that is committed."""
        notice = Notice(
            notice_id=notice_id or uuid.uuid4().hex,
            user_id=user_id,
            case_number=case_number,
            kind=kind,
            replies=tuple(reply_to_json(r) for r in replies),
            created_at=self.clock(),
        )
        self.storage.add_notice(notice)  # durable before any push
        if notice_id is not None:  # maybe posted before: go on from what is stored
            notice = self.storage.get_notice(notice_id) or notice
        for hook in self.on_post:
            hook(notice)
        return notice

    async def push(self, notice: Notice, *, in_turn: bool = False) -> Notice:
        """Push a stored notice now, in its person's turn; return it as it is afterwards.

        A notice delivered meanwhile (the person wrote and saw it) is not pushed again.
        """
        if in_turn:
            return await self._push_current(notice)
        ticket = self.sequencer.take(notice.user_id)
        async with self.sequencer.turn(notice.user_id, ticket):
            return await self._push_current(notice)

    async def _push_current(self, notice: Notice) -> Notice:
        # Claimed: of several instances retrying it at once, one pushes it.
        current = await asyncio.to_thread(
            self.storage.claim_notice, notice.notice_id, self.clock(), NOTICE_LEASE_S
        )
        if current is None:  # delivered, gone, or another instance is pushing it
            stored = await asyncio.to_thread(self.storage.get_notice, notice.notice_id)
            if stored is None or stored.delivered_at is not None:
                self._forget_retry(notice.notice_id)
            return stored or notice
        notifier = self._notifiers.get(current.user_id.channel)
        if notifier is None or not notifier.pushes:
            return current  # the channel cannot push (any more): it waits in the mailbox
        try:
            await notifier.deliver(current.user_id, replies_of(current))
        except Exception as exc:
            # The type only: an error's message can hold a person's data.
            log.warning(
                "notice %s for %s not delivered: %s",
                current.notice_id,
                current.user_id,
                type(exc).__name__,
            )
            try:
                failed = await asyncio.to_thread(
                    self.storage.mark_notice_failed,
                    current.notice_id,
                    self.clock(),
                    type(exc).__name__,
                )
            except NoticeNotFound:  # dropped meanwhile: nothing to retry
                self._forget_retry(current.notice_id)
                return current
            with self._retry_lock:
                self._retry[failed.notice_id] = failed
            return failed
        self._forget_retry(current.notice_id)
        try:
            return await asyncio.to_thread(
                self.storage.mark_notice_delivered, current.notice_id, self.clock()
            )
        except NoticeNotFound:  # dropped meanwhile (/delete_my_data on another instance)
            return current

    # -- mailboxes ----------------------------------------------------------------------
    def take_mailbox(self, user_id: UserKey) -> list[Reply]:
        """Every notice waiting for ``user_id``, each exactly once, headed by an unread count.

        Marks them delivered: the caller shows the replies now. Empty when nothing
        waits. A notice being pushed by another instance of the bot (claimed, see
        :meth:`storage.base.Storage.claim_notice`) is left to that push. Call it in the person's turn (a door handles one request of a person
        at a time), so a retried push never crosses it.
        """
        now = self.clock()
        # Claimed like a push: a notice another instance is pushing at this moment
        # (a shared store's lease) is left to that push, not shown a second time here.
        waiting = [
            claimed
            for notice in self.storage.undelivered_notices(user_id)
            if (claimed := self.storage.claim_notice(notice.notice_id, now, NOTICE_LEASE_S))
        ]
        if not waiting:
            return []
        replies = [Reply(t(self.lang_of(user_id), "notices.unread", count=len(waiting)))]
        for notice in waiting:
            replies.extend(replies_of(notice))
            self.storage.mark_notice_delivered(notice.notice_id, now)
        return replies

    def drop_caseless(self, user_id: UserKey) -> int:
        """Drop the person's undelivered notices of no case (their draft's reminder or
        expiry news), stored and queued for a retry; return how many (/delete_my_data).

        Call it in the person's turn. Notices about a case stay (see
        :meth:`storage.base.Storage.drop_caseless_notices`).
        """
        dropped = self.storage.drop_caseless_notices(user_id)
        for notice_id in dropped:
            self._forget_retry(notice_id)
        return len(dropped)

    def unread_count(self, user_id: UserKey) -> int:
        """How many notices wait for ``user_id`` (a web page's title shows it)."""
        return len(self.storage.undelivered_notices(user_id))

    # -- retries ------------------------------------------------------------------------
    def load_retries(self) -> int:
        """Find the undelivered notices of pushing channels (one read, at start-up); return how many.

        They failed before a restart, or were kept while their channel was not
        running (a server without Telegram): they are pushed from the next round on.
        """
        found = [n for n in self.storage.undelivered_notices() if self.pushes(n.user_id)]
        with self._retry_lock:
            for notice in found:
                self._retry.setdefault(notice.notice_id, notice)
        return len(found)

    def retries_due(self, now: float) -> list[Notice]:
        """The notices to push again whose wait is over, oldest first (see :func:`retry_at`)."""
        with self._retry_lock:
            due = [n for n in self._retry.values() if retry_at(n) <= now]
        return sorted(due, key=lambda n: n.created_at)

    def _forget_retry(self, notice_id: str) -> None:
        with self._retry_lock:
            self._retry.pop(notice_id, None)


def retry_at(notice: Notice) -> float:
    """When an undelivered notice is next pushed: a growing wait after each failure."""
    if notice.attempts == 0 or notice.last_attempt_at is None:
        return notice.created_at  # never tried (stopped before the push): now
    wait = min(RETRY_FIRST_WAIT * 2 ** (notice.attempts - 1), RETRY_MAX_WAIT)
    return notice.last_attempt_at + wait


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """A reply as stored in a notice (and in the audit log): text and button rows."""
    return {
        "text": reply.text,
        "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons],
    }


def reply_from_json(raw: Any) -> Reply:
    """Read :func:`reply_to_json` back; anything malformed becomes an empty reply."""
    rows = raw.get("buttons", []) if isinstance(raw, dict) else []
    return Reply(
        str(raw.get("text", "")) if isinstance(raw, dict) else "",
        tuple(tuple(Button(str(label), str(data)) for label, data in row) for row in rows),
    )


def replies_of(notice: Notice) -> list[Reply]:
    """The replies a notice carries."""
    return [reply_from_json(r) for r in notice.replies]
