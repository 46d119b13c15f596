"""Client addresses behind trusted proxies, and the limits keyed on them."""

from __future__ import annotations

import ipaddress

import pytest

from bot.errors import ConfigError
from bot.ratelimit import Backoff, Budget, Rates, address_key, client_address, parse_address
from bot.settings import load_settings

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", [], "10.0.0.2"),  # a proxy that says nothing is the client
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # spoofed hop on the left
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1, 10.0.0.3"], "198.51.100.1"),  # two proxies
        ("10.0.0.2", ["10.0.0.4, 10.0.0.3"], "10.0.0.4"),  # all proxies: the leftmost
        ("10.0.0.2", ["6.6.6.6, junk"], "10.0.0.2"),  # garbage ends the walk at its sender
        ("10.0.0.2", ["[2001:db8::1]:4711"], "2001:db8::1"),
        ("10.0.0.2", ["198.51.100.1:443"], "198.51.100.1"),
        ("::1", ["2001:db8::5"], "2001:db8::5"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),  # v4-mapped peer
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_client_address_is_the_rightmost_hop_that_is_not_a_trusted_proxy(peer, headers, client):
    assert client_address(peer, headers, PROXIES) == client


def test_without_trusted_proxies_the_header_never_counts():
    assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_ipv6_clients_are_limited_by_their_64():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("198.51.100.1") == "198.51.100.1"
    assert parse_address("fe80::1%eth0") == ipaddress.ip_address("fe80::1")


def test_backoff_and_budget():
    now = [1000.0]
    backoff = Backoff(lambda: now[0], free=3, max_wait=900)
    for _ in range(3):
        assert backoff.wait_s("a") == 0
        backoff.failed("a")
    assert backoff.wait_s("a") == 2 and backoff.wait_s("b") == 0
    for _ in range(20):
        backoff.failed("a")
    assert backoff.wait_s("a") == 900
    backoff.succeeded("a")
    assert backoff.wait_s("a") == 0

    budget = Budget(lambda: now[0], capacity=2, refill_s=10)
    budget.spend()
    budget.spend()
    assert budget.wait_s() == 10
    now[0] += 4
    assert budget.wait_s() == pytest.approx(6)
    now[0] += 100
    assert budget.wait_s() == 0
    budget.spend()
    budget.spend()
    assert budget.wait_s() > 0  # refilled to its capacity, not beyond


def test_trusted_proxies_setting():
    settings = load_settings({"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8; ::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert load_settings({}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": "proxy.local"})


def test_rates_allow_a_burst_then_the_rate_per_key():
    now = [0.0]
    rates = Rates(lambda: now[0], per_minute=60, burst=3)
    assert [rates.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rates.take("a") == pytest.approx(1.0)  # one a second after the burst
    assert rates.take("b") == 0.0  # another key has its own bucket
    now[0] += 1.0
    assert rates.take("a") == 0.0 and rates.take("a") > 0


def test_rates_forget_full_buckets_past_max_keys():
    now = [0.0]
    rates = Rates(lambda: now[0], per_minute=60, burst=2, max_keys=3)
    for key in "abc":
        rates.take(key)
    now[0] += 10.0  # every bucket is full again
    rates.take("d")
    assert len(rates._buckets) == 1


@pytest.fixture
def two_instances(pg_database):
    """Two store objects on one PostgreSQL database: two instances of the bot."""
    from storage.postgres import PostgresStorage

    stores = [PostgresStorage(pg_database, pool_size=2) for _ in range(2)]
    yield stores
    for store in stores:
        store.close()


def test_limits_on_postgresql_count_across_instances(two_instances):
    """Regression: every limit counted in one process's memory, so a guesser spread over
    N instances behind the load balancer got N times the tries. On PostgreSQL the
    counters are rows of the database (Storage.shared_limits): N instances, one count."""
    one, two = (store.shared_limits() for store in two_instances)
    assert one is not None and two is not None
    now = [1000.0]

    def clock() -> float:
        return now[0]

    rates = [Rates(clock, per_minute=60, burst=3, shared=s, scope="visitor") for s in (one, two)]
    taken = [rates[n % 2].take("a") for n in range(4)]
    assert taken[:3] == [0.0, 0.0, 0.0] and taken[3] == pytest.approx(1.0)
    assert rates[0].take("b") == 0.0  # another key has its own bucket
    now[0] += 1.0
    assert rates[1].take("a") == 0.0 and rates[0].take("a") > 0

    backoffs = [Backoff(clock, free=3, max_wait=900, shared=s, scope="lookup") for s in (one, two)]
    for n in range(3):
        assert backoffs[n % 2].wait_s("x") == 0
        assert backoffs[n % 2].failed("x") == n + 1
    assert backoffs[0].wait_s("x") == 2 and backoffs[1].wait_s("x") == 2
    assert backoffs[1].wait_s("y") == 0
    backoffs[1].succeeded("x")
    assert backoffs[0].wait_s("x") == 0

    budgets = [Budget(clock, capacity=2, refill_s=10, shared=s, scope="all") for s in (one, two)]
    budgets[0].spend()
    budgets[1].spend()
    assert budgets[0].wait_s() == pytest.approx(10) and budgets[1].wait_s() == pytest.approx(10)
    now[0] += 4
    assert budgets[1].wait_s() == pytest.approx(6)
    now[0] += 100
    assert budgets[0].wait_s() == 0
    # Two scopes never share a count.
    assert Backoff(clock, shared=one, scope="other").wait_s("x") == 0


def test_shared_limits_forget_old_windows(two_instances):
    """Counters whose window has passed are pruned (the table does not grow with every
    address ever seen), and a pruned counter is a fresh one."""
    one, _ = (store.shared_limits() for store in two_instances)
    now = [1000.0]
    rates = Rates(lambda: now[0], per_minute=60, burst=2, shared=one, scope="visitor")
    for n in range(50):
        rates.take(f"10.0.0.{n}")
    assert one.count("visitor") == 50
    now[0] += 3600
    one.prune(now[0])
    assert one.count("visitor") == 0
    assert rates.take("10.0.0.1") == 0.0


def test_memory_and_tinydb_keep_limits_in_the_process(store):
    """One process (memory, TinyDB) needs nothing shared: the limits stay in memory."""
    if type(store).__name__ == "PostgresStorage":
        assert store.shared_limits() is not None
    else:
        assert store.shared_limits() is None
