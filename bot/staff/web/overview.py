"""Overviews computed from every index row: the flags and statistics cache, and the statistics page."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

from aiohttp import web

from bot.staff.stats import days_in_range, default_day_range
from bot.staff.templates import pages
from bot.staff.web.common import SESSION_KEY, STAFF_KEY, frame, parse_date, render
from flows.policy import KST

T = TypeVar("T")
OVERVIEW_MAX_AGE_S = 30.0  # flags and statistics may be this old
routes = web.RouteTableDef()


class Refreshed(Generic[T]):
    """A value computed from every index row in a thread, recomputed in the background when old.

    Flags and statistics read all 105,000 index rows (a few hundred ms each on a
    busy machine): too slow for every page view, and both are overviews for which
    half a minute of delay is fine. A page gets the value at hand (and the time
    it was computed, to show) while a fresh one is computed in the background;
    only a page before the very first computation waits.
    """

    def __init__(
        self, compute: Callable[[], T], clock: Callable[[], float], max_age: float
    ) -> None:
        self._compute_value = compute
        self._clock = clock
        self.max_age = max_age
        self._value: T | None = None
        self.computed_at = 0.0  # when the computation of the value at hand started
        self._stale = False
        self._task: asyncio.Task[None] | None = None

    async def get(self) -> T:
        """Return the current value, starting a recomputation when it is old."""
        if self._value is None:
            await self.refresh()
        elif self._stale or self._clock() - self.computed_at > self.max_age:
            self.start()
        assert self._value is not None
        return self._value

    async def refresh(self) -> None:
        """Recompute now (joining a recomputation already running)."""
        await asyncio.shield(self.start())

    def stale(self) -> None:
        """Recompute on the next :meth:`get` (after a change this process made)."""
        self._stale = True

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._compute())
        return self._task

    async def _compute(self) -> None:
        started = self._clock()
        self._stale = False  # a change from now on makes the new value stale again
        self._value = await asyncio.to_thread(self._compute_value)
        self.computed_at = started

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def overviews_in_background(app: web.Application) -> AsyncIterator[None]:
    """Compute flags and statistics at start-up, so the first pages do not wait for them."""
    staff = app[STAFF_KEY]
    staff.flags.start()
    staff.stats.start()
    yield
    await staff.flags.close()
    await staff.stats.close()


@routes.get("/stats", name="stats")
async def statistics(request: web.Request) -> web.Response:
    """Show the council's breakdown of every case as charts; ``from``/``to`` set the daily chart's range."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    stats = await staff.stats.get()
    today = dt.datetime.fromtimestamp(staff.clock(), KST).date()
    first, last = default_day_range(staff.policy, today)
    chosen_first = parse_date(request.query.get("from", "").strip())
    chosen_last = parse_date(request.query.get("to", "").strip())
    page = pages.statistics(
        frame(request, "stats"),
        stats=stats,
        policy=staff.policy,
        labels=staff.label(session.lang),
        computed_at=staff.stats.computed_at,
        every_s=staff.stats.max_age,
        days=days_in_range(stats.per_day, chosen_first or first, chosen_last or last),
    )
    return render(request, "stats.html", page, lang=session.lang)
