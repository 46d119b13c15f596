"""Staff sign-in under attack, over real HTTP: behind the proxy, wrong guesses never keep staff out.

The test server listens on 127.0.0.1, which plays the reverse proxy: with
``TRUSTED_PROXIES=127.0.0.1`` the client address comes from ``X-Forwarded-For``
(as the proxy appends it), without it every request is the proxy's.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp.test_utils import TestServer

from bot.settings import Settings
from bot.staff.review import ReviewService
from bot.staff.web import SignInThrottle, create_staff_app
from bot.web import create_app
from flows.policy import load_policy
from storage.base import Storage
from storage.memory import MemoryStorage

TOKEN = "throttle-staff-token-0123456789"
POLICY = load_policy()
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PROXY = (ipaddress.ip_network("127.0.0.1/32"),)
ATTACKER = "203.0.113.9"
STAFF = "198.51.100.7"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Browser:
    """One browser, with its own cookies, whose requests reach us through the proxy."""

    def __init__(self, server: TestServer, forwarded_for: str | None) -> None:
        self.server = server
        self.forwarded_for = forwarded_for
        self.client = aiohttp.ClientSession(
            base_url=str(server.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )

    async def sign_in(
        self, token: str = TOKEN, *, spoofed: str | None = None
    ) -> aiohttp.ClientResponse:
        """GET the form, POST name and token; the proxy appends this browser's address
        to whatever X-Forwarded-For the browser sent (``spoofed``)."""
        chain = ", ".join(a for a in (spoofed, self.forwarded_for) if a)
        headers = {"X-Forwarded-For": chain} if chain else {}
        form = await self.client.get("/staff/signin", headers=headers)
        nonce = CSRF.search(await form.text()).group(1)
        response = await self.client.post(
            "/staff/signin",
            data={"csrf": nonce, "name": "김담당", "token": token, "lang": "ko"},
            headers=headers,
            allow_redirects=False,
        )
        await response.read()
        return response


@contextlib.asynccontextmanager
async def staff_server(
    clock: Clock, *, trusted: tuple = PROXY, storage: Storage | None = None
) -> AsyncIterator[TestServer]:
    storage = storage or MemoryStorage()
    staff_app = create_staff_app(
        storage=storage,
        policy=POLICY,
        review=ReviewService(storage),
        settings=Settings(staff_web_token=TOKEN, trusted_proxies=trusted),
        clock=clock,
    )
    server = TestServer(create_app(staff=staff_app))
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def browsers(server: TestServer, *addresses: str | None) -> AsyncIterator[list[Browser]]:
    opened = [Browser(server, a) for a in addresses]
    try:
        yield opened
    finally:
        for b in opened:
            await b.client.close()


async def attack_for(
    attacker: Browser, staff: Browser, clock: Clock, *, hours: int
) -> tuple[int, int, int]:
    """One wrong token each time Retry-After expires, for ``hours``; staff try the right
    token once an hour (from a fresh form, as a person would). Return (staff tries, staff
    sign-ins, attacker's guesses that were looked at)."""
    end = clock.now + hours * 3600
    next_attack, next_staff = clock.now, clock.now + 1800
    tries = signed_in = attacks = 0
    while min(next_attack, next_staff) < end:
        if next_attack <= next_staff:  # the attacker is always first in line
            clock.now = next_attack
            response = await attacker.sign_in("guess-" + str(attacks))
            assert response.status in (401, 429)
            attacks += response.status == 401
            next_attack = clock.now + max(int(response.headers.get("Retry-After", "0")), 1)
        else:
            clock.now = next_staff
            tries += 1
            signed_in += (await staff.sign_in()).status == 303
            next_staff += 3600
    return tries, signed_in, attacks


async def test_an_attacker_behind_the_proxy_never_locks_staff_out():
    """Regression: the throttle keyed on the peer address, which behind the reverse proxy
    is the proxy's for everyone, so one wrong token each time Retry-After expired kept
    the right token out (429) almost all day."""
    clock = Clock()
    async with (
        staff_server(clock) as server,
        browsers(server, ATTACKER, STAFF) as (attacker, staff),
    ):
        tries, signed_in, attacks = await attack_for(attacker, staff, clock, hours=24)
        assert tries == 24 and signed_in == 24, (signed_in, tries, attacks)
        # The attacker is slowed down all the while: 3 free tries, then 2, 4 ... 900 s.
        assert attacks < 3 + 9 + 86400 / 900, attacks


async def test_staff_who_signed_in_before_get_in_even_when_every_client_shares_one_address():
    """Without TRUSTED_PROXIES (or behind NAT) staff and attacker share an address: the
    browser that signed in before carries a device cookie and is not held by others' guesses."""
    clock = Clock()
    async with (
        staff_server(clock, trusted=()) as server,
        browsers(server, ATTACKER, STAFF) as (
            attacker,
            staff,
        ),
    ):
        assert (await staff.sign_in()).status == 303  # before the attack: a device cookie
        tries, signed_in, _ = await attack_for(attacker, staff, clock, hours=12)
        assert tries == 12 and signed_in == 12
        # A browser that never signed in shares the attacker's backoff: a wrong token is
        # refused unevaluated, a right one still gets in (at a bounded rate).
        async with browsers(server, STAFF) as (newcomer,):
            response = await newcomer.sign_in("guess")
            assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
            assert (await newcomer.sign_in()).status == 303


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(caplog):
    """X-Forwarded-For counts only from a trusted proxy: a client sending its own does not
    get a fresh address for each guess, neither directly nor through the proxy."""
    clock = Clock()
    caplog.set_level(logging.INFO, logger="bot.staff.web")
    # The peer (127.0.0.1) is not trusted: the header is ignored whatever it says.
    async with staff_server(clock, trusted=(ipaddress.ip_network("10.0.0.0/8"),)) as server:
        async with browsers(server, None) as (direct,):
            statuses = [
                (await direct.sign_in("wrong", spoofed=f"192.0.2.{n}")).status for n in range(5)
            ]
        assert statuses == [401, 401, 401, 429, 429]
        assert "192.0.2." not in caplog.text and "from 127.0.0.1" in caplog.text
    # Through the trusted proxy the rightmost untrusted hop counts: the one the proxy
    # added; what the client put in front of it is ignored.
    async with staff_server(clock) as server, browsers(server, ATTACKER) as (attacker,):
        statuses = [
            (await attacker.sign_in("wrong", spoofed=f"192.0.2.{n}, 10.1.1.{n}")).status
            for n in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        assert f"from {ATTACKER}" in caplog.text


async def test_guesses_from_many_addresses_use_up_a_global_budget():
    """Regression: once many addresses (each with its free tries) had spent the global
    budget of wrong tokens, a new browser was refused before its token was looked at,
    so a right token stayed out for as long as the guessing went on (cheap IPv6 /64s).
    Now wrong tokens past the budget are refused unevaluated (the same 429), while a
    right token still gets in at a bounded rate of its own; a browser that signed in
    before is not held at all."""
    clock = Clock()
    async with (
        staff_server(clock) as server,
        browsers(server, STAFF, "198.51.100.8", "198.51.100.9") as (
            known,
            newcomer,
            second,
        ),
    ):
        assert (await known.sign_in()).status == 303
        refused_unevaluated = 0
        for n in range(SignInThrottle.GLOBAL_BUDGET + 20):
            async with browsers(server, f"100.64.{n // 250}.{n % 250}") as (bot_,):
                status = (await bot_.sign_in("guess")).status
                refused_unevaluated += status == 429
        assert refused_unevaluated == 20
        assert (await known.sign_in()).status == 303  # the device cookie: not held
        wrong = await newcomer.sign_in("guess")
        assert wrong.status == 429 and wrong.headers["Retry-After"]  # as before: no hint
        assert (await newcomer.sign_in()).status == 303  # the right token gets in
        # ... at a bounded rate: a second right token at once waits its turn, and wrong
        # tokens in between do not use up the right tokens' turns.
        assert (await second.sign_in()).status == 429
        for _ in range(5):
            assert (await second.sign_in("guess")).status == 429
        clock.now += SignInThrottle.RIGHT_TOKEN_EVERY_S
        assert (await second.sign_in()).status == 303


async def test_two_instances_on_postgresql_give_a_guesser_no_more_tries(pg_database):
    """Regression: the sign-in throttle counted in each instance's memory, so a guesser
    whose tries the load balancer spread over two instances had three free tries at each
    (six before the first wait). On PostgreSQL the counts are shared: three in all."""
    from storage.postgres import PostgresStorage

    clock = Clock()
    stores = [PostgresStorage(pg_database, pool_size=2) for _ in range(2)]
    try:
        async with (
            staff_server(clock, storage=stores[0]) as one,
            staff_server(clock, storage=stores[1]) as two,
            browsers(one, ATTACKER) as (at_one,),
            browsers(two, ATTACKER) as (at_two,),
        ):
            statuses = [
                (await (at_one if n % 2 else at_two).sign_in(f"guess-{n}")).status for n in range(6)
            ]
        assert statuses == [401, 401, 401, 429, 429, 429]
    finally:
        for store in stores:
            store.close()
