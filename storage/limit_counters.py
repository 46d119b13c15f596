"""The counters of the per-client limits, where a store keeps them for every instance.

:mod:`bot.ratelimit`'s :class:`~bot.ratelimit.Rates`, :class:`~bot.ratelimit.Backoff`
and :class:`~bot.ratelimit.Budget` count in the process's memory, which is right for
one process (memory, TinyDB). Behind a load balancer each instance would count alone
and a guesser spread over N instances would get N times the tries, so a store shared
by several instances (PostgreSQL) offers these counters instead
(:meth:`storage.base.Storage.shared_limits`); the limits' classes then keep their state
there, with the same arithmetic. Every method is one atomic statement (or two reads of
committed rows), safe from any thread and any instance.

A counter is named by a ``scope`` (one limit: "web.visitor", "staff.address", ...) and
a ``key`` (a visitor, an address; "" for a budget everyone shares). ``now`` is the
bot's clock (POSIX seconds). Counters whose window has passed are pruned by the store.
"""

from __future__ import annotations

from typing import Protocol


class LimitCounters(Protocol):
    """Token buckets and failure counts, shared by every instance of the bot."""

    def take(self, scope: str, key: str, *, capacity: float, refill_s: float, now: float) -> float:
        """Spend one unit of the bucket when it holds one: 0.0; else the seconds until
        it will (nothing spent). A new bucket starts full."""

    def level(self, scope: str, key: str, *, capacity: float, refill_s: float, now: float) -> float:
        """The bucket's level now (``capacity`` for a new one); nothing changes."""

    def spend(self, scope: str, key: str, *, capacity: float, refill_s: float, now: float) -> None:
        """Spend one unit, whatever the level (it may go below zero)."""

    def failures(self, scope: str, key: str) -> tuple[int, float]:
        """Failures in a row and when the last one was (``(0, 0.0)``: none)."""

    def fail(self, scope: str, key: str, *, now: float, keep_s: float) -> int:
        """Count one more failure; return how many in a row. Forgotten ``keep_s`` after
        the last one (the row is pruned then)."""

    def clear(self, scope: str, key: str) -> None:
        """Forget the key's failures (a success)."""
