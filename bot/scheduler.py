"""Reminders, expiry and notice retries for every door, from stored timestamps.

Silent drafts are reminded once and abandoned ones expired; reports waiting for
documents get their one reminder; pushes that failed are tried again with a growing
wait (:func:`bot.notices.retry_at`). Whatever channel a person came by, their
reminder goes through :meth:`bot.notices.Notices.post`: pushed where the channel
pushes (Telegram), else kept in their mailbox and shown the next time they write.

One :class:`Scheduler` per server (:func:`bot.server.serve` runs it once for all
doors). It scans the stored conversations and cases once at start, so the schedule
survives restarts, then hears of each person's input
(:attr:`bot.intake.IntakeService.on_input`) and of each document request posted.
Each person is looked at in their turn of the server's one
:class:`~bot.sequencer.UserSequencer`, and a reminder is recorded once its notice
is stored (a stored notice is delivered or retried, never lost).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from bot.activity import Activity
from bot.intake import IntakeService, SweepResult
from flows.identity import UserKey
from flows.record import ConversationRecord
from storage import Notice

log = logging.getLogger(__name__)

# What a channel wants done with a stored conversation found at start-up (the
# Telegram channel answers albums whose reply was due when the process stopped):
# called in a worker thread, it returns an action to run on the event loop, or None.
Scanner = Callable[[ConversationRecord], Callable[[], None] | None]


class Scheduler:
    """Remind silent drafts once, expire abandoned ones, retry failed pushes."""

    def __init__(
        self,
        service: IntakeService,
        *,
        interval_s: float | None = None,
        activity: Activity | None = None,
        rescan_s: float | None = None,
    ) -> None:
        """``rescan_s``: with several instances on one store (PostgreSQL), read the stored
        schedule again this often: a draft whose inputs another instance heard (and which
        that instance, stopped, will not remind) is found here too. ``interval_s``: the
        time between rounds, by default a quarter of the service's ``remind_after`` and at
        most a minute."""
        self.rescan_s = rescan_s
        self.service = service
        self.storage = service.storage
        self.notices = service.notices
        self.sequencer = service.sequencer
        self.interval_s = min(60.0, service.remind_after / 4) if interval_s is None else interval_s
        self.activity = activity or Activity()  # a round under way is work in progress
        self.scanners: list[Scanner] = []
        # person -> when to look at them next (an early guess is fine: the round reads
        # the stored timestamps and reschedules). Touched from worker threads too.
        self._due: dict[UserKey, float] = {}
        self._lock = threading.Lock()
        service.on_input.append(self.heard_from)
        self.notices.on_post.append(self._posted)

    # -- hearing ------------------------------------------------------------------------
    def heard_from(self, user_id: UserKey) -> None:
        """The person did something: look at their draft once it may need a reminder."""
        at = self.service.clock() + self.service.remind_after
        with self._lock:
            self._due[user_id] = min(at, self._due.get(user_id, at))

    def check_now(self, user_id: UserKey) -> None:
        """Look at the person at the next round (something new may need a reminder later)."""
        now = self.service.clock()
        with self._lock:
            self._due[user_id] = min(self._due.get(user_id, now), now)

    def _posted(self, notice: Notice) -> None:
        # Documents asked for are reminded of after a while: schedule from what is stored.
        if notice.kind == "documents":
            self.check_now(notice.user_id)

    # -- running ------------------------------------------------------------------------
    async def run_forever(self) -> None:
        """The start-up scan, then a round every ``interval_s`` until cancelled.

        The start-up scan, a round or a rescan that fails (the database down for a
        while, an instance started during an outage) is logged and tried again at the
        next round: the loop itself never ends on one, or this instance would remind
        nobody again. Until the start-up scan succeeds, the rounds remind only the people
        heard meanwhile.
        """
        scanned: float | None = None  # when the start-up scan succeeded
        while True:
            if scanned is None:
                try:
                    await self.load_schedule()
                except Exception as exc:
                    log.warning("the start-up scan failed, tried again next round: %r", exc)
                else:
                    scanned = time.monotonic()
            try:
                await self.sweep_due_now()
            except Exception as exc:
                log.warning("a reminder round failed, the next one tries again: %r", exc)
            await asyncio.sleep(self.interval_s)
            if (
                scanned is not None
                and self.rescan_s is not None
                and time.monotonic() - scanned >= self.rescan_s
            ):
                try:
                    await self.rescan()
                except Exception as exc:
                    log.warning("the schedule rescan failed, tried again next round: %r", exc)
                else:
                    scanned = time.monotonic()

    async def rescan(self) -> None:
        """Schedule from what is stored again, and find notices to push again (no scanners:
        their work, an album's reply, belongs to the instance that took the album)."""
        with self.activity.during():
            schedule = await asyncio.to_thread(self._stored_schedule)
            await asyncio.to_thread(self.notices.load_retries)
        with self._lock:
            for user_id, at in schedule.items():
                self._due[user_id] = min(at, self._due.get(user_id, at))

    def _stored_schedule(self) -> dict[UserKey, float]:
        schedule = self.service.documents_schedule()
        for record in self.storage.iter_conversations():
            at = self.service.next_check(record)
            if at is not None:
                schedule[record.user_id] = min(at, schedule.get(record.user_id, at))
        return schedule

    async def load_schedule(self) -> None:
        """Schedule every stored draft and documents reminder, and find the notices to push
        again (one scan each, in a worker thread)."""
        with self.activity.during():
            schedule, actions = await asyncio.to_thread(self._initial_schedule)
            await asyncio.to_thread(self.notices.load_retries)
        with self._lock:
            for user_id, at in schedule.items():
                self._due[user_id] = min(at, self._due.get(user_id, at))
        for action in actions:
            action()

    async def sweep_due_now(self) -> None:
        """Remind or expire every draft whose time has come, then retry failed pushes."""
        with self.activity.during():
            now = self.service.clock()
            with self._lock:
                users = [user for user, at in self._due.items() if at <= now]
                for user_id in users:
                    del self._due[user_id]
            for user_id in users:
                try:
                    next_check = await self.sweep_user(user_id)
                except Exception:
                    # One person's failure (a damaged file) must not stop the round for
                    # everybody: log it and look at them again next round.
                    log.exception("reminder/expiry for user %s failed", user_id)
                    next_check = now + self.interval_s
                if next_check is not None:
                    with self._lock:
                        self._due[user_id] = min(next_check, self._due.get(user_id, next_check))
            await self.retry_notices()

    async def sweep_user(self, user_id: UserKey) -> float | None:
        """Look at one person in their turn; return when to look again (None: never)."""
        ticket = self.sequencer.take(user_id)
        async with self.sequencer.turn(user_id, ticket):
            result, stored = await asyncio.to_thread(self._sweep_in_turn, user_id)
            if self.notices.pushes(user_id):
                for notice in stored:  # pushed once the turn is committed
                    await self.notices.push(notice, in_turn=True)
            return result.next_check

    def _sweep_in_turn(self, user_id: UserKey) -> tuple[SweepResult, list[Notice]]:
        """Decide, store the notices and record them in the person's turn of the store: on
        PostgreSQL one transaction under their lock, so of several instances sweeping
        them at once one reminds them and the others find it recorded."""
        with self.storage.user_turn(user_id):
            result = self.service.sweep(user_id)
            stored = self._store(user_id, result) if result.replies else []
            if result.action or result.reminded_cases:  # recorded once the notice is stored
                self.service.sweep_sent(user_id, result)
        return result, stored

    def _store(self, user_id: UserKey, result: SweepResult) -> list[Notice]:
        """One notice per case reminded of its documents, one for the draft."""
        stored = []
        cases = len(result.reminded_cases)
        for reply, number in zip(result.replies[:cases], result.reminded_cases, strict=True):
            stored.append(
                self.notices.store(user_id, [reply], kind="documents_reminder", case_number=number)
            )
        if result.replies[cases:]:
            kind = "expiry" if result.action == "expire" else "reminder"
            stored.append(self.notices.store(user_id, result.replies[cases:], kind=kind))
        return stored

    async def retry_notices(self) -> None:
        """Push again every failed notice whose wait is over (each in its person's turn)."""
        due = await asyncio.to_thread(self.notices.retries_due, self.service.clock())
        for notice in due:
            try:
                await self.notices.push(notice)
            except Exception:
                log.exception("retrying notice %s failed", notice.notice_id)

    def _initial_schedule(self) -> tuple[dict[UserKey, float], list[Callable[[], None]]]:
        actions = []
        schedule = self.service.documents_schedule()  # cases waiting for documents
        for record in self.storage.iter_conversations():
            at = self.service.next_check(record)
            if at is not None:
                schedule[record.user_id] = min(at, schedule.get(record.user_id, at))
            for scanner in self.scanners:
                action = scanner(record)
                if action is not None:
                    actions.append(action)
        return schedule, actions
