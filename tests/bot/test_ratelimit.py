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
