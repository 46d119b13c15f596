"""Per-user ordering: tickets are served in order, users run concurrently."""

from __future__ import annotations

import asyncio

from bot.sequencer import UserSequencer


async def test_turns_follow_tickets_even_when_later_ones_are_ready_first():
    seq = UserSequencer()
    done: list[int] = []

    async def work(ticket: int, delay: float) -> None:
        await asyncio.sleep(delay)  # e.g. a download before the turn
        async with seq.turn(1, ticket):
            done.append(ticket)

    tickets = [seq.take(1) for _ in range(5)]
    await asyncio.gather(*(work(t, 0.05 - t * 0.01) for t in tickets))
    assert done == [0, 1, 2, 3, 4]
    assert seq.pending(1) == 0


async def test_different_users_do_not_wait_for_each_other():
    seq = UserSequencer()
    slow_started = asyncio.Event()
    release = asyncio.Event()
    order: list[str] = []

    async def slow() -> None:
        async with seq.turn(1, seq_ticket_a):
            slow_started.set()
            await release.wait()
            order.append("a")

    async def fast() -> None:
        await slow_started.wait()
        async with seq.turn(2, seq_ticket_b):
            order.append("b")
        release.set()

    seq_ticket_a, seq_ticket_b = seq.take(1), seq.take(2)
    await asyncio.wait_for(asyncio.gather(slow(), fast()), 2)
    assert order == ["b", "a"]


async def test_failure_or_cancellation_passes_the_turn_on():
    seq = UserSequencer()
    done: list[int] = []
    t0, t1, t2 = seq.take(1), seq.take(1), seq.take(1)
    gate = asyncio.Event()

    async def failing() -> None:
        async with seq.turn(1, t0):
            await gate.wait()
            raise RuntimeError("boom")

    async def cancelled() -> None:
        async with seq.turn(1, t1):
            done.append(t1)

    async def last() -> None:
        async with seq.turn(1, t2):
            done.append(t2)

    first = asyncio.create_task(failing())
    second = asyncio.create_task(cancelled())
    third = asyncio.create_task(last())
    await asyncio.sleep(0)
    second.cancel()
    gate.set()
    results = await asyncio.gather(first, second, third, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert isinstance(results[1], asyncio.CancelledError)
    assert done == [t2]
    assert seq.pending(1) == 0
