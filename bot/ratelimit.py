"""Who is asking, behind a reverse proxy, and how fast they may ask: for per-client limits.

- :func:`client_address` takes the client's address from ``X-Forwarded-For`` only
  when the peer is one of ``TRUSTED_PROXIES``, walking the header from the right
  and stopping at the first hop that is not a trusted proxy (the rightmost
  untrusted hop): what a client writes into the header itself is to the left of
  what its proxy appends, so it is never reached. Without trusted proxies the
  header is ignored and the peer address is the client.
- :func:`address_key` groups IPv6 addresses by /64 (one subscriber usually holds
  a whole /64, so per-address limits on single IPv6 addresses cost nothing to dodge).
- :class:`Backoff` slows a key down after failures (free tries, then doubling
  waits up to a cap); :class:`Budget` is a token bucket shared by everyone.

Nothing here knows about sign-in: the staff web uses it for its sign-in throttle,
and any other door (a web chat) can limit per client behind the same proxies.

Each limit counts in this process's memory, unless it is given ``shared`` counters
(:meth:`storage.base.Storage.shared_limits`: PostgreSQL's table, one count for every
instance behind the load balancer) and a ``scope`` naming it there; the arithmetic is
the same. Shared counters are a database round trip: call them off the event loop.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Iterable, Sequence

from storage.limit_counters import LimitCounters

DAY_S = 24 * 3600.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An IP address from a header or peer field ("[::1]:443" and "1.2.3.4:80" too), or None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]
) -> str:
    """The client's address: the rightmost ``X-Forwarded-For`` hop that is not a trusted proxy.

    ``forwarded_for`` is every ``X-Forwarded-For`` header, in order. While the address
    in hand is a trusted proxy, the next hop to the left is taken; a hop that is not
    an address ends the walk at the proxy that sent it. With no ``trusted`` networks
    the peer is the client, whatever the headers say.
    """
    current = parse_address(peer or "")
    if current is None:
        return peer or "unknown"
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    while hops and _trusted(current, trusted):
        hop = parse_address(hops.pop())
        if hop is None:
            break
        current = hop
    return str(current)


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def address_key(address: str) -> str:
    """The key to limit ``address`` by: itself for IPv4, its /64 for IPv6."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address


class Backoff:
    """Per-key backoff after failures: ``free`` tries, then 2, 4, 8 ... s, at most ``max_wait``.

    Memory stays bounded: past ``max_keys`` keys, those whose wait has long passed
    are forgotten.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        free: int = 3,
        max_wait: float = 900.0,
        max_keys: int = 10_000,
        shared: LimitCounters | None = None,
        scope: str = "backoff",
    ) -> None:
        self._clock = clock
        self.free = free
        self.max_wait = max_wait
        self.max_keys = max_keys
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (in a row, last at)
        self.shared = shared
        self.scope = scope

    def wait_s(self, key: str) -> float:
        """Seconds before ``key`` may try again (0 when it may now)."""
        if self.shared is not None:
            count, last = self.shared.failures(self.scope, key)
        else:
            count, last = self._failures.get(key, (0, 0.0))
        return max(0.0, last + self.delay(count) - self._clock())

    def failed(self, key: str) -> int:
        """Count a failure of ``key``; return how many in a row."""
        now = self._clock()
        if self.shared is not None:
            # Kept a day after the last failure (longer than any wait), then forgotten.
            return self.shared.fail(self.scope, key, now=now, keep_s=max(self.max_wait, DAY_S))
        if len(self._failures) >= self.max_keys:
            self._failures = {
                k: (n, t) for k, (n, t) in self._failures.items() if now - t < self.max_wait
            }
        count = self._failures.get(key, (0, 0.0))[0] + 1
        self._failures[key] = (count, now)
        return count

    def succeeded(self, key: str) -> None:
        if self.shared is not None:
            self.shared.clear(self.scope, key)
            return
        self._failures.pop(key, None)

    def delay(self, count: int) -> float:
        """The wait after ``count`` failures in a row."""
        if count < self.free:
            return 0.0
        return min(2.0 ** (count - self.free + 1), self.max_wait)


class Budget:
    """A token bucket: ``capacity`` units, one more every ``refill_s`` seconds."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        capacity: int,
        refill_s: float,
        shared: LimitCounters | None = None,
        scope: str = "budget",
    ) -> None:
        self._clock = clock
        self.capacity = capacity
        self.refill_s = refill_s
        self._level = float(capacity)
        self._at = clock()
        self.shared = shared
        self.scope = scope

    def _refill(self) -> float:
        now = self._clock()
        if self.shared is not None:
            return self.shared.level(
                self.scope, "", capacity=self.capacity, refill_s=self.refill_s, now=now
            )
        self._level = min(self.capacity, self._level + (now - self._at) / self.refill_s)
        self._at = now
        return self._level

    def wait_s(self) -> float:
        """Seconds until a unit is available (0 when one is now)."""
        level = self._refill()
        return 0.0 if level >= 1 else (1 - level) * self.refill_s

    def spend(self) -> None:
        """Take a unit (the level may go below zero: what is spent is spent)."""
        if self.shared is not None:
            self.shared.spend(
                self.scope, "", capacity=self.capacity, refill_s=self.refill_s, now=self._clock()
            )
            return
        self._refill()
        self._level -= 1


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


class Rates:
    """Per-key token buckets: ``burst`` requests at once, refilled at ``per_minute``.

    For doors open to anyone (the web chat): each key (a visitor, an address) may send
    ``burst`` requests in a row and then ``per_minute`` a minute. Memory stays bounded:
    past ``max_keys`` keys, those whose bucket is full again are forgotten (a full bucket
    is what a new key gets anyway).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        per_minute: float,
        burst: int,
        max_keys: int = 100_000,
        shared: LimitCounters | None = None,
        scope: str = "rates",
    ) -> None:
        self._clock = clock
        self.refill_s = 60.0 / per_minute
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (level, at)
        self.shared = shared
        self.scope = scope

    def take(self, key: str) -> float:
        """Spend one request of ``key``: 0 when allowed, else the seconds to wait."""
        now = self._clock()
        if self.shared is not None:
            return self.shared.take(
                self.scope, key, capacity=self.burst, refill_s=self.refill_s, now=now
            )
        level, at = self._buckets.get(key, (float(self.burst), now))
        level = min(float(self.burst), level + (now - at) / self.refill_s)
        if level < 1:
            self._buckets[key] = (level, now)
            return (1 - level) * self.refill_s
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            full = self.burst * self.refill_s
            self._buckets = {k: (v, t) for k, (v, t) in self._buckets.items() if now - t < full}
        self._buckets[key] = (level - 1, now)
        return 0.0
