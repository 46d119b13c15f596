"""Reminders and expiry for Telegram users, from stored timestamps.

Silent drafts are reminded once and abandoned ones expired; reports waiting for
documents get their one reminder. One scan of the stored conversations and cases
at start (so the schedule survives restarts), then the channel adds the users it
hears from (:meth:`Sweeper.heard_from`). Each reminder is sent in the user's line
of updates, and recorded only once sent.
"""

from __future__ import annotations

import asyncio
import logging

from bot.activity import Activity
from bot.intake import IntakeService
from bot.sequencer import UserSequencer
from bot.telegram_albums import Albums
from bot.telegram_send import Sender
from flows.conversation import ALBUM_KEY
from flows.identity import UserKey

log = logging.getLogger(__name__)


class Sweeper:
    """Remind silent drafts once and expire abandoned ones."""

    def __init__(
        self,
        service: IntakeService,
        sequencer: UserSequencer,
        sender: Sender,
        albums: Albums,
        *,
        activity: Activity,
        interval_s: float = 60.0,
    ) -> None:
        self.service = service
        self.storage = service.storage
        self.sequencer = sequencer
        self.sender = sender
        self.albums = albums
        self.interval_s = interval_s
        self._activity = activity  # a sweep round under way is work in progress
        # user id -> when the sweep should look at their draft next (an early guess is fine:
        # the sweep checks the stored timestamps and reschedules).
        self._due: dict[UserKey, float] = {}

    def heard_from(self, user_id: UserKey) -> None:
        """The user did something: look at their draft once it may need a reminder."""
        self._due[user_id] = self.service.clock() + self.service.remind_after

    def check_now(self, user_id: UserKey) -> None:
        """Look at the user at the next round (something new may need a reminder later)."""
        now = self.service.clock()
        self._due[user_id] = min(self._due.get(user_id, now), now)

    async def run_forever(self) -> None:
        """The start-up scan, then a round every ``interval_s`` until cancelled."""
        await self.load_schedule()
        while True:
            await self.sweep_due_now()
            await asyncio.sleep(self.interval_s)

    async def load_schedule(self) -> None:
        """Schedule every stored draft from its timestamps (one scan, in a worker thread).

        The same scan finds albums whose one reply was due when the process
        stopped (the timer lived in memory): they are answered now.
        """
        with self._activity.during():
            schedule, albums = await asyncio.to_thread(self._initial_schedule)
        for user_id, at in schedule.items():
            self._due.setdefault(user_id, at)
        for user_id, group in albums.items():
            self.albums.reopen(user_id, group)

    async def sweep_due_now(self) -> None:
        """Remind or expire every draft whose time has come."""
        with self._activity.during():
            now = self.service.clock()
            for user_id in [user for user, at in self._due.items() if at <= now]:
                self._due.pop(user_id, None)
                try:
                    next_check = await self.sweep_user(user_id)
                except Exception:
                    # One user's failure (Telegram gave up, a damaged file) must not stop the
                    # sweep for everybody: log it and try that user again next round.
                    log.exception("reminder/expiry for user %s failed", user_id)
                    next_check = now + self.interval_s
                if next_check is not None:
                    self._due.setdefault(user_id, next_check)

    async def sweep_user(self, user_id: UserKey) -> float | None:
        chat_id = user_id.telegram_id
        if chat_id is None:
            return None  # another channel's user: this channel cannot reach them
        ticket = self.sequencer.take(user_id)
        async with self.sequencer.turn(user_id, ticket):
            result = await asyncio.to_thread(self.service.sweep, user_id)
            if result.replies:
                await self.sender.send_all(chat_id, result.replies)
            if result.action:  # recorded only once sent (see SweepResult)
                await asyncio.to_thread(self.service.sweep_sent, user_id, result)
            return result.next_check

    def _initial_schedule(self) -> tuple[dict[UserKey, float], dict[UserKey, str]]:
        albums = {}
        schedule = self.service.documents_schedule()  # cases waiting for documents
        for record in self.storage.iter_conversations():
            if record.user_id.telegram_id is None:
                continue  # another channel's user: not this channel's to remind
            at = self.service.next_check(record)
            if at is not None:
                schedule[record.user_id] = min(at, schedule.get(record.user_id, at))
            album = record.answers.get(ALBUM_KEY)
            if album:
                albums[record.user_id] = album["group"]
        return schedule, albums
