"""The answered marks of a store that waits on a server (PostgreSQL) are made together:
the marks that come while one is being made go in the next call, one worker-thread
hand-off and one statement for all of them (bot/request_marks.py).

Regression: each Telegram update's mark was a worker-thread hand-off and a statement of
its own, the last of an update's two on PostgreSQL (bench/e2e.py --store postgres). A
Gate holds the first call instead of a clock.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.request_marks import RequestMarks
from storage.memory import MemoryStorage
from tests.support.gate import HANG_S


class HeldStore(MemoryStorage):
    """Records each mark_requests call; the first is held until ``release`` is set."""

    remote = True

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[tuple[str, str]]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_with: Exception | None = None

    def mark_requests(self, requests) -> None:
        self.calls.append(list(requests))
        if len(self.calls) == 1:
            self.entered.set()
            self.release.wait(HANG_S)  # a bound on a hang: the test opens it
        if self.fail_with is not None:
            raise self.fail_with
        super().mark_requests(requests)


async def test_marks_made_while_one_is_being_made_go_together_in_the_next_call() -> None:
    store = HeldStore()
    marks = RequestMarks(store, parallel=1)
    first = asyncio.create_task(marks.mark("telegram", "1"))
    assert await asyncio.to_thread(store.entered.wait, HANG_S)
    later = [asyncio.create_task(marks.mark("telegram", str(n))) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in later)  # each waits for its mark
    store.release.set()
    await asyncio.gather(first, *later)
    assert store.calls == [
        [("telegram", "1")],
        [("telegram", "2"), ("telegram", "3"), ("telegram", "4")],
    ]
    assert all(store.seen_request("telegram", str(n)) for n in (1, 2, 3, 4))


async def test_a_failed_call_fails_each_of_its_marks_and_not_the_next_ones() -> None:
    """A mark that could not be made raises for its update (the store down: the door's
    503, Telegram delivers it again); the marks of the next call are made."""
    store = HeldStore()
    store.fail_with = ConnectionError("the server is gone")
    marks = RequestMarks(store, parallel=1)
    first = asyncio.create_task(marks.mark("telegram", "1"))
    assert await asyncio.to_thread(store.entered.wait, HANG_S)
    second = asyncio.create_task(marks.mark("telegram", "2"))
    await asyncio.sleep(0)
    store.release.set()
    with pytest.raises(ConnectionError):
        await first
    with pytest.raises(ConnectionError):
        await second  # in a call that failed too
    store.fail_with = None
    await marks.mark("telegram", "3")
    assert store.seen_request("telegram", "3") and not store.seen_request("telegram", "1")


async def test_a_malformed_request_id_is_refused_before_it_joins_others() -> None:
    store = HeldStore()
    store.release.set()
    marks = RequestMarks(store)
    with pytest.raises(ValueError):
        await marks.mark("telegram", "")
    assert store.calls == []


async def test_a_call_held_up_does_not_hold_up_the_next_mark() -> None:
    """Two calls at once (the default): the mark that comes while the first call is held
    (a slow commit) is made in a second call meanwhile, its update answered."""
    store = HeldStore()
    marks = RequestMarks(store)
    first = asyncio.create_task(marks.mark("telegram", "1"))
    assert await asyncio.to_thread(store.entered.wait, HANG_S)
    await asyncio.wait_for(marks.mark("telegram", "2"), HANG_S)
    assert not first.done()
    store.release.set()
    await first
    assert store.calls == [[("telegram", "1")], [("telegram", "2")]]
