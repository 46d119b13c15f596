"""Signed-in browsers and who may try a token: the session store and the sign-in throttle.

Sessions live in this process's memory (a random 32-byte token -> staff name,
CSRF token, language, expiry after 8 hours); a restart signs everyone out. On
PostgreSQL they live in the database instead (:mod:`bot.staff.web.postgres_sessions`),
so every instance of the bot serves every signed-in browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.ratelimit import Backoff, Budget, address_key
from storage.limit_counters import LimitCounters

SESSION_SECONDS = 8 * 3600
ONE_TIME_SECONDS = 15 * 60


@dataclass
class StaffSession:
    """One signed-in browser."""

    token: str
    staff: str  # the name given at sign-in
    csrf: str
    lang: str
    expires_at: float
    flash: tuple[str, str] | None = None
    list_query: str = ""  # the last list filter, for the detail page's back link

    @property
    def actor(self) -> str:
        return f"staff:{self.staff}"


class SessionStore:
    """Sessions in memory, by random token, until they expire (one process only)."""

    def __init__(
        self, clock: Callable[[], float], *, ttl: float = SESSION_SECONDS, limit: int = 2000
    ) -> None:
        self._clock = clock
        self._ttl = ttl
        self._limit = limit
        self._sessions: dict[str, StaffSession] = {}

    def open(self, staff: str, lang: str) -> StaffSession:
        """Start a session with fresh tokens (a sign-in never reuses an old cookie)."""
        now = self._clock()
        self._sessions = {k: s for k, s in self._sessions.items() if s.expires_at > now}
        while len(self._sessions) >= self._limit:  # oldest first out: dicts keep insertion order
            self._sessions.pop(next(iter(self._sessions)))
        session = StaffSession(
            token=secrets.token_urlsafe(32),
            staff=staff,
            csrf=secrets.token_urlsafe(32),
            lang=lang,
            expires_at=now + self._ttl,
        )
        self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        if session.expires_at <= self._clock():
            del self._sessions[token]
            return None
        return session

    def save(self, session: StaffSession) -> None:
        """Keep what a request changed in the session: here it is the object kept already."""

    def close(self, token: str | None) -> None:
        if token:
            self._sessions.pop(token, None)


class OneTimeSignIn:
    """A sign-in link for a newcomer without ``STAFF_WEB_TOKEN``: one use, then dead.

    The server makes one at start-up on a loopback address and prints its link to the
    terminal (:mod:`bot.server`). It holds 32 random bytes, compared as SHA-256
    digests in constant time; it works once and only for :data:`ONE_TIME_SECONDS`
    after start-up. What follows is an ordinary session (expiry, CSRF, sign-out).
    """

    def __init__(self, clock: Callable[[], float], *, ttl: float = ONE_TIME_SECONDS) -> None:
        self.token = secrets.token_urlsafe(32)
        self._digest = hashlib.sha256(self.token.encode()).digest()
        self._clock = clock
        self.expires_at = clock() + ttl
        self._used = False

    def valid(self, token: str) -> bool:
        """The token is this link's, unused and not expired (nothing is spent)."""
        given = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        right = hmac.compare_digest(given, self._digest)
        return right and not self._used and self._clock() < self.expires_at

    def use(self, token: str) -> bool:
        """Spend the link: True the first time a valid token comes, False ever after."""
        if not self.valid(token):
            return False
        self._used = True
        return True


class SignInThrottle:
    """Who may try a token now: per-client backoff, a global budget, and known browsers.

    - Each client (its address from :func:`bot.ratelimit.client_address`, IPv6 by
      /64) gets three free wrong tokens, then waits 2, 4, 8 ... s, at most 15 min.
    - All clients together have a budget of :attr:`GLOBAL_BUDGET` wrong tokens,
      refilled at one per :attr:`GLOBAL_REFILL_S` s: guessing from many addresses is
      bounded too. When it is spent, a wrong token is refused without being counted
      or told apart from any other refusal; the budget comes back at that bounded rate.
    - A right token is never kept out entirely: while a client is refused, its token
      is still compared (in constant time), and a right one gets in, at most one per
      :attr:`RIGHT_TOKEN_EVERY_S` s (a small budget of its own that wrong tokens
      never touch, so guessing cannot use it up).
    - A browser that signed in before carries a signed device cookie. It is held
      only by its own wrong tokens (its own backoff), never by the address it shares
      or the budget others spent, so an attacker cannot lock out staff who have
      signed in before, whatever the proxy set-up.

    A refused wrong token gets the same 429 as a refused request always did, so a
    locked-out guesser learns nothing from a refusal.
    """

    FREE_TRIES = 3
    MAX_WAIT_S = 900.0
    GLOBAL_BUDGET = 100
    GLOBAL_REFILL_S = 36.0  # 100 an hour, at most 2,400 wrong tokens a day in all
    DEVICE_DAYS = 180
    RIGHT_TOKEN_EVERY_S = 10.0  # right tokens while refusing: one per 10 s, never counted

    def __init__(
        self, clock: Callable[[], float], device_key: bytes, shared: LimitCounters | None = None
    ) -> None:
        """``shared``: the store's counters (:meth:`storage.base.Storage.shared_limits`,
        PostgreSQL) so that every instance counts together; None counts in this process."""
        self.addresses, self.devices = (
            Backoff(
                clock, free=self.FREE_TRIES, max_wait=self.MAX_WAIT_S, shared=shared, scope=scope
            )
            for scope in ("staff.address", "staff.device")
        )
        self.budget = Budget(
            clock,
            capacity=self.GLOBAL_BUDGET,
            refill_s=self.GLOBAL_REFILL_S,
            shared=shared,
            scope="staff.budget",
        )
        self.right_tokens = Budget(
            clock,
            capacity=1,
            refill_s=self.RIGHT_TOKEN_EVERY_S,
            shared=shared,
            scope="staff.right_token",
        )
        self._device_key = device_key

    def new_device(self) -> str:
        """A fresh device cookie value: a random id and its signature."""
        device = secrets.token_urlsafe(16)
        return f"{device}.{self._sign(device)}"

    def device(self, cookie: str | None) -> str | None:
        """The device id of a cookie this server signed (with this token), or None."""
        device, _, signature = (cookie or "").partition(".")
        if not device or not hmac.compare_digest(signature.encode(), self._sign(device).encode()):
            return None
        return device

    def _sign(self, device: str) -> str:
        mac = hmac.new(self._device_key, device.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:24]).decode()

    def wait_s(self, address: str, device: str | None) -> float:
        """Seconds before this client may try a token (0 when it may now)."""
        if device is not None:
            return self.devices.wait_s(device)
        return max(self.addresses.wait_s(address_key(address)), self.budget.wait_s())

    def let_right_token_in(self) -> bool:
        """While refusing: may a right token get in now? (Spends that turn if so.)"""
        if self.right_tokens.wait_s() > 0:
            return False
        self.right_tokens.spend()
        return True

    def failed(self, address: str, device: str | None) -> int:
        """Count a wrong token; return how many in a row for this client."""
        if device is not None:
            return self.devices.failed(device)
        self.budget.spend()
        return self.addresses.failed(address_key(address))

    def succeeded(self, address: str, device: str | None) -> None:
        if device is not None:
            self.devices.succeeded(device)
        self.addresses.succeeded(address_key(address))
