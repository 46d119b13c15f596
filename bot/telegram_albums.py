"""Albums: the items of one Telegram media group get one reply, once they stop arriving.

Each item is an update of its own and is processed like any file; the album's
one reply ("received: a, b") is queued in the user's line when no item came for
``quiet_s`` seconds, or as soon as something else of the user's arrives, so it
always comes before the answer to that. The timer lives in memory: a stored
album whose reply was due when the process stopped is answered at start
(:meth:`Albums.reopen`, from the sweep's first scan).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.activity import Activity
from bot.intake import IntakeService
from bot.sequencer import UserSequencer
from bot.telegram_send import Sender
from flows.identity import UserKey
from flows.messages import AlbumDeliveredInput, AlbumEndInput

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], object]


@dataclass
class _Album:
    """Items of one album still arriving; its reply is sent once they stop."""

    group: str
    chat_id: int
    language_code: str | None
    timer: asyncio.TimerHandle | None = None


class Albums:
    """The albums users are sending now, one per user, each waiting for its quiet period."""

    def __init__(
        self,
        service: IntakeService,
        sequencer: UserSequencer,
        sender: Sender,
        *,
        spawn: Spawn,
        activity: Activity,
        quiet_s: float,
    ) -> None:
        self.service = service
        self.sequencer = sequencer
        self.sender = sender
        self.quiet_s = quiet_s
        self._spawn = spawn
        self._activity = activity  # an open album is work in progress
        self._open: dict[UserKey, _Album] = {}

    def before_update(self, user_id: UserKey, group: str | None) -> None:
        """Something of the user's arrived: unless it is the open album's next item, answer
        for the album first, in its place in line. Call before taking the update's ticket."""
        album = self._open.get(user_id)
        if album is not None and group != album.group:
            self.close(user_id)

    def item_done(
        self, user_id: UserKey, chat_id: int, group: str, language_code: str | None
    ) -> None:
        """An item was taken: (re)start the album's quiet period."""
        album = self._open.get(user_id)
        if album is None or album.group != group:
            self.close(user_id)
            album = self._opened(user_id, _Album(group, chat_id, language_code))
        if album.timer is not None:
            album.timer.cancel()
        loop = asyncio.get_running_loop()
        album.timer = loop.call_later(self.quiet_s, lambda: self.close(user_id))

    def reopen(self, user_id: UserKey, group: str) -> None:
        """Answer a stored album whose reply was due when the process stopped."""
        if user_id not in self._open:  # not one the user is sending right now
            chat_id = user_id.telegram_id
            if chat_id is None:
                return  # not a Telegram user's album
            self._opened(user_id, _Album(group, chat_id=chat_id, language_code=None))
            self.close(user_id)

    def close(self, user_id: UserKey) -> None:
        """Queue the album's one reply in the user's line, before anything that comes later.

        The ticket is taken here, synchronously, so an update arriving now is
        answered after the album, not before it.
        """
        album = self._open.pop(user_id, None)
        if album is None:
            return
        if album.timer is not None:
            album.timer.cancel()
        ticket = self.sequencer.take(user_id)
        self._spawn(self._answer(user_id, album, ticket))
        self._activity.end()

    def close_all(self) -> None:
        for user_id in list(self._open):
            self.close(user_id)

    def _opened(self, user_id: UserKey, album: _Album) -> _Album:
        self._open[user_id] = album
        self._activity.begin()
        return album

    async def _answer(self, user_id: UserKey, album: _Album, ticket: int) -> None:
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
            await self.sender.send_all(album.chat_id, replies)
            # Only now may the saved draft forget the album (see flows: AlbumDeliveredInput).
            await asyncio.to_thread(self.service.handle, user_id, AlbumDeliveredInput(album.group))
