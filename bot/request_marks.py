"""Answered marks made together: one worker-thread call for the marks that come at once.

On a store that waits on a server (``Storage.remote``: PostgreSQL) the Telegram door
marks each update answered (``mark_request``, which sets its claim's ``replied``) once
its replies were sent, in a worker thread, and answers the webhook only after it. Each
mark was a thread hand-off and a statement (a commit) of its own. :class:`RequestMarks`
makes the marks that come while one call is being made together in the next call
(``Storage.mark_requests``: on PostgreSQL one statement): one hand-off for all of them.
Each update still waits for its own mark, made after its own reply, and a call that
fails fails each of its updates (the door's 503: Telegram delivers them again), so
nothing is acknowledged unmarked and the order (reply, then mark) is the same.
"""

from __future__ import annotations

import asyncio

from storage import Storage
from storage.request_ids import request_key


class RequestMarks:
    """Marks requests answered through ``storage.mark_requests``, at most ``parallel``
    calls at once, the marks that come while they are busy together in the next. More
    than one at once, so that one call held up (a slow commit, a lock) does not hold up
    every other update's answer to the webhook. Used on the event loop only."""

    def __init__(self, storage: Storage, *, parallel: int = 2) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.storage = storage
        self.parallel = parallel
        self._waiting: list[tuple[tuple[str, str], asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()  # kept: the loop holds tasks weakly

    async def mark(self, channel: str, request_id: str) -> None:
        """Mark the request answered; return once it is (raise when it could not be)."""
        request_key(channel, request_id)  # a malformed one fails alone, before the others
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append(((channel, request_id), done))
        if len(self._tasks) < self.parallel:
            task = loop.create_task(self._make())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await done

    async def _make(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self.storage.mark_requests, [r for r, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            except BaseException:  # cancelled (the loop stopping): none left waiting
                for _, done in [*batch, *self._waiting]:
                    done.cancel()
                self._waiting = []
                raise
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
