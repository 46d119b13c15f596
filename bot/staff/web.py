"""The staff web page under ``/staff``: sign-in, case list and detail, review actions, exports, statistics.

An aiohttp sub-application built by :func:`create_staff_app` and mounted on the
bot's own server (the one that takes the Telegram webhook), so it runs the same
way in polling and in webhook mode. It is off unless ``STAFF_WEB_TOKEN`` is set:
then every ``/staff`` URL answers 404.

Security choices:

- **Sign-in** takes a name (recorded as ``staff:<name>`` in the audit trail)
  and the shared ``STAFF_WEB_TOKEN``, compared as SHA-256 digests with
  :func:`hmac.compare_digest` (no timing or length leak). After three wrong
  tokens in a row a client waits 2, 4, 8 ... seconds (at most 15 minutes)
  before it may try again; all clients share a budget of wrong tokens; a
  browser that signed in before is held only by its own mistakes (see
  :class:`SignInThrottle`). The client is the peer address, or behind a proxy
  listed in ``TRUSTED_PROXIES`` the rightmost untrusted ``X-Forwarded-For`` hop
  (:mod:`bot.ratelimit`). Failures are logged with the address, never the token.
  A form that cannot be read (bad UTF-8, a nameless multipart part) gets a 400.
- **Sessions** live in this process's memory (a random 32-byte token -> staff
  name, CSRF token, language, expiry after 8 hours); a restart signs everyone
  out. The cookie is ``HttpOnly; SameSite=Strict; Path=/staff`` and also
  ``Secure`` when the request came over https, directly or through a proxy
  that sets ``X-Forwarded-Proto: https`` (trusting that header can only make
  the cookie stricter). Without a session only the sign-in page is served.
- **CSRF**: every form carries the session's token in a hidden field, checked
  on every POST (403 on mismatch); the sign-in form uses a double-submit
  nonce cookie. A POST whose ``Origin`` (or, lacking it, ``Referer``) names
  another host than ``Host`` / ``X-Forwarded-Host`` is refused too, so a
  proxy must pass one of those through.
- **Headers** on every response: a Content-Security-Policy without any script
  and with the one stylesheet allowed by its hash, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY`` and
  ``Cache-Control: no-store`` (pages hold personal data).
- **Evidence** is served only to a session, looked up by a sha256 that the case
  in the URL holds, never by a path. Only JPEG, PNG and WebP whose first bytes
  confirm the type are shown inline; everything else is an attachment of type
  ``application/octet-stream``.
- Every value a user or staff member typed is HTML-escaped where it is shown
  (:mod:`bot.staff.templates.pages`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import logging
import math
import re
import secrets
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, BinaryIO, Generic, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web
from multidict import MultiDictProxy

from bot.ratelimit import Backoff, Budget, Network, address_key, client_address, retry_after
from bot.settings import Settings
from bot.staff.exports import (
    FILE_SUFFIXES,
    Labels,
    export_cases,
    kst_days,
    read_cases,
    write_evidence_zip,
)
from bot.staff.flags import Flag, compute_flags
from bot.staff.limits import lift_limits
from bot.staff.review import NOTIFY_FAILED, ReviewService, pending_notice
from bot.staff.stats import CaseStats, compute_stats, days_in_range, default_day_range
from bot.staff.templates import pages
from bot.staff.templates.pages import Document, Frame, ListForm, Paging
from bot.staff.templates.style import CSS_HASH
from bot.staff.templates.words import LANGS, word
from flows.amount import AmountError, parse_amount
from flows.evidence import download_name
from flows.policy import KST, Policy, Text
from flows.review import STAFF_ACTIONS, ReviewError, ReviewInputError, allowed_actions, next_status
from storage import (
    AuditEntry,
    Case,
    CaseFilter,
    CaseNotFound,
    CaseStatus,
    CaseSummary,
    EvidenceNotFound,
)
from storage.base import Storage
from storage.case_numbers import ALPHABET, normalize_case_number

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "/staff"
SESSION_COOKIE = "staff_session"
SIGNIN_COOKIE = "staff_signin"
DEVICE_COOKIE = "staff_device"
SESSION_SECONDS = 8 * 3600
PAGE_SIZE = 50
OVERVIEW_MAX_AGE_S = 30.0  # flags and statistics may be this old
NAME_MAX = 40
TEXT_MAX = 1000
CHUNK = 256 * 1024
RESEND = "resend"  # sending a message that failed again: a page action, not a review step

CSP = (
    "default-src 'self'; "
    f"style-src '{CSS_HASH}'; "
    "img-src 'self' data:; "
    "script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# An evidence file opened on its own: nothing in it may run or load anything.
EVIDENCE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The first bytes that prove an image type: only these are ever shown inline.
IMAGE_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/x-ndjson; charset=utf-8",
    "zip": "application/zip",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.]+")


# -- sessions and sign-in throttling ---------------------------------------------------


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

    def close(self, token: str | None) -> None:
        if token:
            self._sessions.pop(token, None)


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

    def __init__(self, clock: Callable[[], float], device_key: bytes) -> None:
        self.addresses = Backoff(clock, free=self.FREE_TRIES, max_wait=self.MAX_WAIT_S)
        self.devices = Backoff(clock, free=self.FREE_TRIES, max_wait=self.MAX_WAIT_S)
        self.budget = Budget(clock, capacity=self.GLOBAL_BUDGET, refill_s=self.GLOBAL_REFILL_S)
        self.right_tokens = Budget(clock, capacity=1, refill_s=self.RIGHT_TOKEN_EVERY_S)
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


@dataclass
class StaffWeb:
    """Everything the staff handlers share; one per application, no globals."""

    storage: Storage
    policy: Policy
    review: ReviewService
    token_digest: bytes
    sessions: SessionStore
    throttle: SignInThrottle
    trusted_proxies: tuple[Network, ...]  # whose X-Forwarded-For names the client
    flags: Refreshed[Mapping[str, frozenset[Flag]]]
    stats: Refreshed[CaseStats]
    clock: Callable[[], float]
    labels: dict[str, Labels]  # by language
    warned_forwarded: bool = False  # said once that X-Forwarded-For is ignored

    def label(self, lang: str) -> Labels:
        return self.labels[lang]


STAFF_KEY = web.AppKey("staff_web", StaffWeb)
SESSION_KEY = web.RequestKey("staff_session", StaffSession)
STARTED_KEY = web.RequestKey("staff_started", float)


# -- the application -------------------------------------------------------------------


def create_staff_app(
    *,
    storage: Storage,
    policy: Policy,
    review: ReviewService,
    settings: Settings,
    clock: Callable[[], float] = time.time,
    overview_max_age: float = OVERVIEW_MAX_AGE_S,
) -> web.Application:
    """Build the staff sub-application (mount it at :data:`PREFIX`); empty when no token is set."""
    app = web.Application()
    token = settings.staff_web_token
    if not token:
        log.warning("staff web disabled: STAFF_WEB_TOKEN is not set, so %s/ answers 404", PREFIX)
        return app
    if len(token) < 16:
        log.warning("STAFF_WEB_TOKEN is short (%d characters); use 16 or more", len(token))
    token_digest = hashlib.sha256(token.encode()).digest()
    app[STAFF_KEY] = StaffWeb(
        storage=storage,
        policy=policy,
        review=review,
        token_digest=token_digest,
        sessions=SessionStore(clock),
        throttle=SignInThrottle(
            clock, device_key=hmac.new(token_digest, b"staff-device", hashlib.sha256).digest()
        ),
        trusted_proxies=settings.trusted_proxies,
        flags=Refreshed(lambda: compute_flags(storage.list_cases()), clock, overview_max_age),
        stats=Refreshed(lambda: compute_stats(storage.list_cases()), clock, overview_max_age),
        clock=clock,
        labels={lang: Labels(policy, lang) for lang in LANGS},
    )
    app.middlewares.append(_session_middleware)
    app.on_response_prepare.append(_add_headers)
    app.cleanup_ctx.append(_overviews_in_background)
    r = app.router
    r.add_get("/signin", signin_form, name="signin")
    r.add_post("/signin", signin, name="signin_post")
    r.add_post("/signout", signout, name="signout")
    r.add_get("/", case_list, name="cases")
    r.add_get("/stats", statistics, name="stats")
    r.add_get("/exporting/{format}", export_page, name="export_page")
    r.add_get("/export/{format}", export, name="export")
    r.add_get("/cases/{number}", case_detail, name="case")
    r.add_post("/cases/{number}/lift-limits", lift_limits_action, name="lift_limits")
    r.add_post("/cases/{number}/{action}", review_action, name="action")
    r.add_get("/cases/{number}/evidence/{sha256}", evidence, name="evidence")
    log.info("staff web enabled at %s/", PREFIX)
    return app


async def _overviews_in_background(app: web.Application) -> AsyncIterator[None]:
    """Compute flags and statistics at start-up, so the first pages do not wait for them."""
    staff = app[STAFF_KEY]
    staff.flags.start()
    staff.stats.start()
    yield
    await staff.flags.close()
    await staff.stats.close()


PUBLIC_ROUTES = frozenset({"signin", "signin_post"})


@web.middleware
async def _session_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Require a session (except for sign-in), check CSRF on POST, and apply ``?lang=``."""
    request[STARTED_KEY] = time.perf_counter()
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES or request.match_info.http_exception is not None:
        return await handler(request)
    staff = request.app[STAFF_KEY]
    session = staff.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        if request.method in ("GET", "HEAD"):
            target = request.rel_url.path_qs
            raise web.HTTPSeeOther(f"{PREFIX}/signin?{urlencode({'next': target})}")
        raise web.HTTPForbidden(text="sign in first")
    if request.method == "POST":
        form = await read_form(request)
        sent = str(form.get("csrf", ""))
        if not (
            hmac.compare_digest(sent.encode(), session.csrf.encode()) and _same_origin(request)
        ):
            log.warning("staff POST %s refused: CSRF check failed", request.path)
            return _html(
                pages.error_page(
                    session.lang, word(session.lang, "error.forbidden"), back=f"{PREFIX}/"
                ),
                status=403,
            )
    elif request.query.get("lang") in LANGS:
        session.lang = request.query["lang"]
    request[SESSION_KEY] = session
    return await handler(request)


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Put the security headers (and the server time so far) on every staff response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("Cache-Control", "no-store")
    started = request.get(STARTED_KEY)
    if started is not None:
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"


async def read_form(request: web.Request) -> MultiDictProxy[str | web.FileField]:
    """The POSTed form, or a plain 400 when it cannot be read.

    aiohttp raises on bytes that are not UTF-8 and on a multipart part without a
    field name; no browser sends either, and neither may become a 500.
    """
    try:
        return await request.post()
    except ValueError:  # UnicodeDecodeError is one
        log.warning("staff POST %s refused: unreadable form", request.path)
        raise web.HTTPBadRequest(text="unreadable form") from None


# -- sign-in ---------------------------------------------------------------------------


async def signin_form(request: web.Request) -> web.Response:
    """Show the sign-in form."""
    lang = _query_lang(request)
    return _signin_response(request, lang, next_url=_safe_next(request.query.get("next", "")))


async def signin(request: web.Request) -> web.StreamResponse:
    """Check the name and token; start a session or say no (and slow down repeated failures)."""
    staff = request.app[STAFF_KEY]
    address = _client(request)
    device = staff.throttle.device(request.cookies.get(DEVICE_COOKIE))
    form = await read_form(request)
    lang = str(form.get("lang", "")) if form.get("lang") in LANGS else "ko"
    next_url = _safe_next(str(form.get("next", "")))
    name = clean_name(str(form.get("name", "")))
    wait = staff.throttle.wait_s(address, device)
    given = hashlib.sha256(str(form.get("token", "")).encode()).digest()
    right = hmac.compare_digest(given, staff.token_digest)
    # Wrong guesses never keep a right token out entirely (it gets in at a bounded rate).
    if (
        wait > 0
        and right
        and name
        and _csrf_ok(request, form)
        and staff.throttle.let_right_token_in()
    ):
        log.warning("staff sign-in from %s: right token let in while backing off", address)
        wait = 0.0
    if wait > 0:
        log.warning("staff sign-in from %s refused: backing off for %.0f s", address, wait)
        response = _signin_response(
            request,
            lang,
            name=name,
            next_url=next_url,
            error=word(lang, "signin.throttled", seconds=math.ceil(wait)),
            status=429,
        )
        response.headers["Retry-After"] = retry_after(wait)
        return response
    if not _csrf_ok(request, form):
        log.warning("staff sign-in from %s refused: CSRF check failed", address)
        return _signin_response(
            request,
            lang,
            name=name,
            next_url=next_url,
            error=word(lang, "signin.expired"),
            status=403,
        )
    if not right:
        count = staff.throttle.failed(address, device)
        log.warning("staff sign-in from %s refused: wrong token (%d in a row)", address, count)
        return _signin_response(
            request,
            lang,
            name=name,
            next_url=next_url,
            error=word(lang, "signin.wrong"),
            status=401,
        )
    if not name:
        return _signin_response(
            request, lang, next_url=next_url, error=word(lang, "signin.name_missing"), status=400
        )
    staff.throttle.succeeded(address, device)
    staff.sessions.close(request.cookies.get(SESSION_COOKIE))
    session = staff.sessions.open(name, lang)
    log.info("staff %r signed in from %s", name, address)
    response = see_other(next_url or f"{PREFIX}/")
    _set_cookie(request, response, SESSION_COOKIE, session.token, max_age=SESSION_SECONDS)
    if device is None:
        _set_cookie(
            request,
            response,
            DEVICE_COOKIE,
            staff.throttle.new_device(),
            max_age=SignInThrottle.DEVICE_DAYS * 86400,
        )
    response.del_cookie(SIGNIN_COOKIE, path=PREFIX)
    return response


def _csrf_ok(request: web.Request, form: Mapping[str, object]) -> bool:
    """The sign-in form's nonce matches its cookie and the request is same-origin."""
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    sent = str(form.get("csrf", ""))
    return (
        bool(nonce) and hmac.compare_digest(nonce.encode(), sent.encode()) and _same_origin(request)
    )


def _client(request: web.Request) -> str:
    """The client's address: from X-Forwarded-For only when the peer is a trusted proxy."""
    staff = request.app[STAFF_KEY]
    forwarded = request.headers.getall("X-Forwarded-For", [])
    if forwarded and not staff.trusted_proxies and not staff.warned_forwarded:
        staff.warned_forwarded = True
        log.warning(
            "X-Forwarded-For from %s ignored: set TRUSTED_PROXIES to the reverse proxy's "
            "address, or every client counts as the proxy for the sign-in throttle",
            request.remote,
        )
    return client_address(request.remote, forwarded, staff.trusted_proxies)


async def signout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    staff.sessions.close(session.token)
    log.info("staff %r signed out", session.staff)
    response = see_other(f"{PREFIX}/signin?lang={session.lang}")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _signin_response(
    request: web.Request,
    lang: str,
    *,
    name: str = "",
    next_url: str = "",
    error: str = "",
    status: int = 200,
) -> web.Response:
    nonce = request.cookies.get(SIGNIN_COOKIE) or ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", nonce):
        nonce = secrets.token_urlsafe(32)
    page = pages.signin_page(
        lang, base=PREFIX, nonce=nonce, name=name, error=error, next_url=next_url
    )
    response = _html(page, status=status)
    _set_cookie(request, response, SIGNIN_COOKIE, nonce, max_age=3600)
    return response


def clean_name(raw: str) -> str:
    """The staff name as the audit trail records it: printable, single-spaced, at most 40 characters."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:NAME_MAX].strip()


# -- the case list ---------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """A parsed list filter; values the policy does not know are dropped, not guessed."""

    form: ListForm
    filter: CaseFilter
    flag: str  # "", "any", "none" or a Flag value
    number: str  # the typed case number, compact and upper case ("" for none)
    page: int

    def params(self, **changes: object) -> dict[str, str]:
        """The query parameters that reproduce this filter (empty ones left out)."""
        form = self.form
        values = {
            "from": form.date_from,
            "to": form.date_to,
            "status": form.status,
            "tier": form.tier,
            "reporter_type": form.reporter_type,
            "service": form.service,
            "flag": form.flag,
            "q": form.q,
            "sort": "" if form.sort == "newest" else form.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def parse_list_query(query: Mapping[str, str], policy: Policy) -> ListQuery:
    """Read the list filter from query parameters."""

    def choice(name: str, allowed: set[str]) -> str:
        value = query.get(name, "")
        return value if value in allowed else ""

    def day(name: str) -> tuple[str, dt.date | None]:
        value = query.get(name, "").strip()
        try:
            return (value, dt.date.fromisoformat(value)) if _DATE.fullmatch(value) else ("", None)
        except ValueError:
            return "", None

    from_text, first = day("from")
    to_text, last = day("to")
    start, end = kst_days(first, last)
    status = choice("status", {str(s) for s in CaseStatus})
    tier = choice("tier", set(policy.tiers))
    reporter_type = choice("reporter_type", {r.id for r in policy.reporter_types})
    service = choice("service", {s.id for s in policy.services})
    flag = choice("flag", {"any", "none", *(str(f) for f in Flag)})
    sort = choice("sort", set(pages.SORTS)) or "newest"
    typed = query.get("q", "")[:40]
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()

    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    return ListQuery(
        form=ListForm(
            date_from=from_text,
            date_to=to_text,
            status=status,
            tier=tier,
            reporter_type=reporter_type,
            service=service,
            flag=flag,
            q=typed.strip(),
            sort=sort,
        ),
        filter=CaseFilter(
            submitted_from=start,
            submitted_to=end,
            status=CaseStatus(status) if status else None,
            tier=tier or None,
            reporter_type=reporter_type or None,
            service=service or None,
        ),
        flag=flag,
        number=number,
        page=page,
    )


def matching_rows(
    storage: Storage, query: ListQuery, flags: Mapping[str, frozenset[Flag]]
) -> list[CaseSummary]:
    """Index rows that pass the whole filter, in the requested order (no case file is opened)."""
    rows = storage.list_cases(query.filter)  # oldest submission first
    if query.flag == "any":
        rows = [r for r in rows if r.case_number in flags]
    elif query.flag == "none":
        rows = [r for r in rows if r.case_number not in flags]
    elif query.flag:
        wanted = Flag(query.flag)
        rows = [r for r in rows if wanted in flags.get(r.case_number, ())]
    if query.number:
        rows = _with_number(rows, query.number)
    sort = query.form.sort
    if sort == "newest":
        rows.reverse()
    elif sort == "amount_desc":
        rows.sort(key=lambda r: (r.amount is None, -(r.amount or 0)))
    elif sort == "amount_asc":
        rows.sort(key=lambda r: (r.amount is None, r.amount or 0))
    return rows


def _with_number(rows: list[CaseSummary], typed: str) -> list[CaseSummary]:
    """Rows whose case number contains ``typed`` (compact, upper case), hyphens ignored.

    Searches one joined string with a regex instead of testing 105,000 strings
    one by one in Python (about three times faster). Every number has the same
    length (XXX-XXX-XXX), so a match's offset tells its row; the pattern cannot
    cross the newline between two numbers.
    """
    if any(ch not in ALPHABET for ch in typed):
        return []
    if not rows:
        return []
    width = len(rows[0].case_number) + 1
    text = "\n".join(map(attrgetter("case_number"), rows))
    if len(text) != width * len(rows) - 1:  # not all the same length: test one by one
        return [r for r in rows if typed in r.case_number.replace("-", "")]
    pattern = re.compile("-?".join(typed))
    found = dict.fromkeys(m.start() // width for m in pattern.finditer(text))
    return [rows[i] for i in found]


async def case_list(request: web.Request) -> web.Response:
    """Show one page of the filtered, sorted case list."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    query = parse_list_query(request.query, staff.policy)
    flags = await staff.flags.get()
    rows = await asyncio.to_thread(matching_rows, staff.storage, query, flags)
    total = len(rows)
    pages_count = max(1, -(-total // PAGE_SIZE))
    page = min(query.page, pages_count)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    session.list_query = urlencode(query.params(page=page if page > 1 else ""))

    def at(p: int) -> str | None:
        if p == page or not 1 <= p <= pages_count:
            return None
        return f"{PREFIX}/?{urlencode(query.params(page=p if p > 1 else ''))}"

    paging = Paging(
        total=total,
        page=page,
        pages=pages_count,
        first=(page - 1) * PAGE_SIZE + 1 if shown else 0,
        last=(page - 1) * PAGE_SIZE + len(shown),
        links={"first": at(1), "prev": at(page - 1), "next": at(page + 1), "last": at(pages_count)},
    )
    filter_params = query.params(page="", sort="")
    exports = {
        _export_name(kind, session.lang): _url(f"exporting/{kind}", filter_params)
        for kind in EXPORT_TYPES
    }
    page_html = pages.list_page(
        _frame(request, "cases"),
        form=query.form,
        policy=staff.policy,
        labels=staff.label(session.lang),
        rows=shown,
        flags=flags,
        paging=paging,
        exports=exports,
    )
    return _html(page_html)


# -- the case detail and review actions ------------------------------------------------


async def case_detail(request: web.Request) -> web.Response:
    """Show one case with its evidence, flags, review actions and audit trail."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    number = normalize_case_number(request.match_info["number"])
    case = await asyncio.to_thread(staff.storage.get_case, number) if number else None
    if case is None:
        message = word(session.lang, "detail.not_found", number=request.match_info["number"])
        return _html(pages.error_page(session.lang, message, back=f"{PREFIX}/"), status=404)
    audit = await asyncio.to_thread(lambda: list(staff.storage.iter_audit(case.case_number)))
    if session.flash and session.flash[0] == "ok" and audit and audit[-1].action == NOTIFY_FAILED:
        # ReviewService keeps a decision whose message failed, and audits the failure last.
        session.flash = ("error", word(session.lang, "done.not_told"))
    flags = await staff.flags.get()
    tier_name = staff.label(session.lang).tier(
        case.tier,
        channel_cash=staff.policy.channel_cash.support
        if case.channel_cash and staff.policy.channel_cash
        else None,
    )
    page_html = pages.detail_page(
        _frame(request, "cases"),
        case=case,
        policy=staff.policy,
        labels=staff.label(session.lang),
        tier_name=tier_name,
        flags=flags.get(case.case_number, ()),
        actions=allowed_actions(staff.review.machine, str(case.status)),
        undelivered=pending_notice(audit),
        documents=[
            Document(str(i), text(session.lang))
            for i, text in enumerate(_documents(staff.policy, case.tier))
        ],
        audit=audit,
        back_url=f"{PREFIX}/" + (f"?{session.list_query}" if session.list_query else ""),
    )
    return _html(page_html)


async def review_action(request: web.Request) -> web.StreamResponse:
    """Show what a review action will tell the user; once confirmed, take it and go back to the case.

    The first POST (from the case page) only renders a confirmation page with
    the exact message; it carries the parsed values as hidden fields plus
    ``confirmed=yes`` and the case's ``updated_at`` as seen, so a case that
    someone changed in between is not decided on an outdated view.
    """
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    action = request.match_info["action"]
    number = normalize_case_number(request.match_info["number"])
    if (action not in STAFF_ACTIONS and action != RESEND) or number is None:
        raise web.HTTPNotFound()
    case = await asyncio.to_thread(staff.storage.get_case, number)
    if case is None:
        raise web.HTTPNotFound()
    form = await request.post()
    lang = session.lang

    def field(name: str, limit: int = TEXT_MAX) -> str:
        return str(form.get(name, "")).strip()[:limit]

    def refuse(key: str) -> web.Response:
        session.flash = ("error", word(lang, key))
        return back

    back = see_other(f"{PREFIX}/cases/{number}")
    confirmed = field("confirmed") == "yes"
    if confirmed and field("seen") != _seen(case):
        return refuse("error.changed")
    values: dict[str, Any] = {}
    if action == "request_documents":
        documents = field("documents", 2000)
        if not confirmed:
            known = _documents(staff.policy, case.tier)
            chosen = [
                known[int(v)](case.lang)
                for v in form.getall("doc", [])
                if str(v).isdigit() and int(v) < len(known)
            ]
            if field("other", 500):
                chosen.append(field("other", 500))
            documents = ", ".join(chosen)
        if not documents:
            return refuse("error.documents")
        values = {"documents": documents, "note": field("note")}
        values["deadline"] = staff.review.deadline(_date(field("deadline", 10)))
    elif action in ("approve", "correct_amount"):
        amount = parse_final_amount(field("final_amount", 40), staff.policy.amount_cap)
        if amount is None:
            return refuse("error.amount")
        values = {"final_amount": amount}
        if action == "approve":
            values["note"] = field("note")
        elif not field("reason"):
            return refuse("error.correction_reason")
        elif amount == case.final_amount:
            return refuse("error.same_amount")
        else:
            values["reason"] = field("reason")
    elif action == "reject":
        if not field("reason"):
            return refuse("error.reason")
        values = {"reason": field("reason")}
    try:
        if action == RESEND:
            if not confirmed:
                raise web.HTTPNotFound()  # the case page shows the message it resends
            if not await staff.review.resend(number, staff=session.actor):
                return refuse("done.not_told")
        elif not confirmed:
            replies = await staff.review.preview(number, action, **values)
            after = next_status(staff.review.machine, str(case.status), action)
            page_html = pages.confirm_page(
                _frame(request, "cases", switch_to=f"{PREFIX}/cases/{number}"),
                case=case,
                labels=staff.label(lang),
                action=action,
                status_after=after,
                values=values,
                replies=replies,
                hidden={
                    **{k: str(v) for k, v in values.items()},
                    "confirmed": "yes",
                    "seen": _seen(case),
                },
            )
            return _html(page_html)
        elif action == "request_documents":
            await staff.review.request_documents(number, staff=session.actor, **values)
        elif action == "approve":
            await staff.review.approve(number, staff=session.actor, **values)
        elif action == "correct_amount":
            await staff.review.correct_amount(number, staff=session.actor, **values)
        elif action == "reject":
            await staff.review.reject(number, staff=session.actor, **values)
        elif action == "pay":
            await staff.review.mark_paid(number, staff=session.actor)
    except ReviewInputError:
        return refuse("error.resend_nothing" if action == RESEND else "error.input")
    except ReviewError:
        current = await asyncio.to_thread(staff.storage.get_case, number)
        status = staff.label(lang).status(str(current.status if current else case.status))
        session.flash = (
            "error",
            word(lang, "error.not_allowed", action=word(lang, f"action.{action}"), status=status),
        )
        return back
    except CaseNotFound:
        raise web.HTTPNotFound() from None
    staff.stats.stale()  # the status counts changed
    log.info("staff %r: %s on case %s", session.staff, action, number)
    session.flash = ("ok", word(lang, f"done.{action}"))
    return back


async def lift_limits_action(request: web.Request) -> web.StreamResponse:
    """Lift the policy's per-person limits for whoever filed this case (audited), then go back."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    number = normalize_case_number(request.match_info["number"])
    if number is None:
        raise web.HTTPNotFound()
    reason = str((await read_form(request)).get("reason", "")).strip()[:TEXT_MAX]
    back = see_other(f"{PREFIX}/cases/{number}")
    if not reason:
        session.flash = ("error", word(session.lang, "error.limits_reason"))
        return back
    try:
        await asyncio.to_thread(
            lift_limits, staff.storage, number, actor=session.actor, now=time.time(), reason=reason
        )
    except CaseNotFound:
        raise web.HTTPNotFound() from None
    log.info("staff %r: lifted the per-person limits from case %s", session.staff, number)
    session.flash = ("ok", word(session.lang, "done.limits_lifted"))
    return back


def _seen(case: Case) -> str:
    """What a confirmation form remembers of the case it was made for."""
    return repr(case.updated_at)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        return None


def _documents(policy: Policy, tier_id: str) -> list[Text]:
    """Documents to offer for a case: its tier's list, else every tier's (each once)."""
    tier = policy.tiers.get(tier_id)
    if tier is not None and tier.documents:
        return list(tier.documents)
    return list(dict.fromkeys(d for t in policy.tiers.values() for d in t.documents))


def parse_final_amount(text: str, cap: int) -> int | None:
    """A final amount in won: plain digits (0 allowed) or any amount the intake understands."""
    plain = re.sub(r"[\s,원₩]|KRW", "", text, flags=re.IGNORECASE)
    if plain.isascii() and plain.isdigit():
        value = int(plain)
        return value if value <= cap else None
    try:
        return parse_amount(text, cap=cap)
    except AmountError:
        return None


# -- evidence --------------------------------------------------------------------------


async def evidence(request: web.Request) -> web.StreamResponse:
    """Send one evidence file of a case: images inline once their bytes confirm the type, else as a download."""
    staff = request.app[STAFF_KEY]
    number = normalize_case_number(request.match_info["number"])
    sha256 = request.match_info["sha256"]
    if number is None or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise web.HTTPNotFound()
    case = await asyncio.to_thread(staff.storage.get_case, number)
    ref = next((e for e in case.evidence if e.sha256 == sha256), None) if case else None
    if ref is None:
        raise web.HTTPNotFound()
    try:
        source = await asyncio.to_thread(staff.storage.open_evidence, sha256)
    except EvidenceNotFound:
        raise web.HTTPNotFound() from None
    with source:
        head = await asyncio.to_thread(source.read, CHUNK)
        image = sniff_image(head)
        inline = image is not None and image == _declared_image(ref.mime)
        response = web.StreamResponse(
            headers={
                "Content-Type": image if inline and image else "application/octet-stream",
                "Content-Disposition": content_disposition(
                    "inline" if inline else "attachment", download_name(ref.name, ref.mime)
                ),
                "Content-Security-Policy": EVIDENCE_CSP,
                "Cache-Control": "private, no-store",
            }
        )
        await response.prepare(request)
        chunk = head
        while chunk:
            await response.write(chunk)
            chunk = await asyncio.to_thread(source.read, CHUNK)
    await response.write_eof()
    return response


def sniff_image(head: bytes) -> str | None:
    """The image type the first bytes prove (JPEG, PNG or WebP), or None."""
    for mime, magics in IMAGE_MAGIC.items():
        if head.startswith(magics):
            return mime
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _declared_image(mime: str) -> str | None:
    mime = (mime or "").split(";")[0].strip().lower()
    return "image/jpeg" if mime == "image/jpg" else mime


def content_disposition(kind: str, name: str) -> str:
    """A Content-Disposition header: an ASCII fallback name plus the UTF-8 original (RFC 6266)."""
    cleaned = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip() or "file"
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", cleaned)[:100] or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned[:200], safe='')}"


# -- exports ---------------------------------------------------------------------------


def _export_name(kind: str, lang: str) -> str:
    return word(lang, "export.zip") if kind == "zip" else kind.upper()


async def export_page(request: web.Request) -> web.Response:
    """Say what the export link is preparing (how many cases), then let the page start the download.

    A download of 105,000 cases takes tens of seconds; a bare link gave no sign
    of it until the browser's download list showed up.
    """
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    kind = request.match_info["format"]
    if kind not in EXPORT_TYPES:
        raise web.HTTPNotFound()
    query = parse_list_query(request.query, staff.policy)
    flags = await staff.flags.get()
    rows = await asyncio.to_thread(matching_rows, staff.storage, query, flags)
    params = query.params(page="", sort="")
    page_html = pages.export_page(
        _frame(request, "cases", switch_to=f"{PREFIX}/"),  # not this page: it downloads again
        name=_export_name(kind, session.lang),
        count=len(rows),
        download_url=_url(f"export/{kind}", params),
        back_url=f"{PREFIX}/" + (f"?{session.list_query}" if session.list_query else ""),
    )
    return _html(page_html)


async def export(request: web.Request) -> web.StreamResponse:
    """Stream the cases of the current filter as CSV, XLSX, JSON lines or an evidence zip."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    kind = request.match_info["format"]
    if kind not in EXPORT_TYPES:
        raise web.HTTPNotFound()
    query = parse_list_query(request.query, staff.policy)
    flags = await staff.flags.get()
    rows = await asyncio.to_thread(matching_rows, staff.storage, query, flags)
    if query.form.sort == "newest":
        rows.reverse()  # exports go oldest first, like the CLI's
    stamp = dt.datetime.fromtimestamp(staff.clock(), KST).strftime("%Y%m%d-%H%M%S")
    suffix = ".zip" if kind == "zip" else FILE_SUFFIXES[kind]
    filename = f"{'evidence' if kind == 'zip' else 'cases'}-{stamp}{suffix}"
    lang = session.lang

    def write(out: BinaryIO) -> int:
        cases = read_cases(staff.storage, rows)
        if kind == "zip":
            return write_evidence_zip(cases, staff.storage, out)
        return export_cases(kind, cases, out, staff.policy, lang=lang, flags=flags)

    log.info("staff %r exports %d cases as %s", session.staff, len(rows), kind)
    entry = AuditEntry(
        at=staff.clock(),
        actor=session.actor,
        action="staff.export",
        detail={"format": kind, "cases": len(rows), "filter": query.params(page="", sort="")},
    )
    await asyncio.to_thread(staff.storage.append_audit, entry)
    return await stream_from_thread(request, write, EXPORT_TYPES[kind], filename)


class _ChunkPipe(io.RawIOBase):
    """A write-only file for a worker thread: full chunks go to the event loop through a bounded queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
        super().__init__()
        self._loop = loop
        self._queue = queue
        self._buffer = bytearray()
        self.abandoned = False  # set by the loop when the client went away

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.abandoned:
            raise BrokenPipeError("the download was abandoned")
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self._put(bytes(self._buffer))
            self._buffer.clear()
        return len(data)

    def finish(self) -> None:
        """Send what is buffered and the end mark (from the worker thread)."""
        if self._buffer and not self.abandoned:
            self._put(bytes(self._buffer))
        self._buffer.clear()
        self._put(None)

    def _put(self, chunk: bytes | None) -> None:
        # Blocks the worker while the queue is full: the download's pace sets the export's.
        asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()


async def stream_from_thread(
    request: web.Request, write: Callable[[BinaryIO], int], content_type: str, filename: str
) -> web.StreamResponse:
    """Run ``write(out)`` in a thread and stream what it writes as a download.

    Memory stays at a few chunks whatever the size; if the client goes away the
    writer's next write fails and the thread stops.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
    pipe = _ChunkPipe(loop, queue)

    def work() -> int:
        try:
            return write(pipe)  # type: ignore[arg-type]
        finally:
            pipe.finish()

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    response = web.StreamResponse(
        headers={
            "Content-Type": content_type,
            "Content-Disposition": content_disposition("attachment", filename),
        }
    )
    try:
        await response.prepare(request)
        while (chunk := await queue.get()) is not None:
            await response.write(chunk)
        written = await worker
        await response.write_eof()
    except BaseException:
        pipe.abandoned = True
        while not worker.done():  # keep taking chunks so the thread reaches its end
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, worker}, return_when=asyncio.FIRST_COMPLETED)
            getter.cancel()
        if worker.done() and not worker.cancelled() and worker.exception() is not None:
            log.error("export %s failed: %r", filename, worker.exception())
        raise
    log.info("export %s: %d written", filename, written)
    return response


# -- statistics ------------------------------------------------------------------------


async def statistics(request: web.Request) -> web.Response:
    """Show the council's breakdown of every case as charts; ``from``/``to`` set the daily chart's range."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    stats = await staff.stats.get()
    today = dt.datetime.fromtimestamp(staff.clock(), KST).date()
    first, last = default_day_range(staff.policy, today)
    chosen_first = _date(request.query.get("from", "").strip())
    chosen_last = _date(request.query.get("to", "").strip())
    page_html = pages.stats_page(
        _frame(request, "stats"),
        stats=stats,
        policy=staff.policy,
        labels=staff.label(session.lang),
        computed_at=staff.stats.computed_at,
        every_s=staff.stats.max_age,
        days=days_in_range(stats.per_day, chosen_first or first, chosen_last or last),
    )
    return _html(page_html)


# -- small pieces ----------------------------------------------------------------------


def _frame(request: web.Request, here: str, *, switch_to: str | None = None) -> Frame:
    """The page's frame; the language switch reloads this page, or goes to ``switch_to``.

    A page answering a POST (a confirmation) must switch to a page one can GET.
    """
    session = request[SESSION_KEY]
    other = "en" if session.lang == "ko" else "ko"
    params = {k: v for k, v in request.query.items() if k != "lang"}
    params["lang"] = other
    flash, session.flash = session.flash, None
    return Frame(
        base=PREFIX,
        lang=session.lang,
        staff=session.staff,
        csrf=session.csrf,
        here=here,
        switch_url=f"{switch_to or request.path}?{urlencode(params)}",
        flash=flash,
    )


def see_other(location: str) -> web.Response:
    """A 303 to ``location`` that can still carry cookies (a raised HTTPSeeOther cannot)."""
    return web.Response(status=303, headers={"Location": location})


def _html(body: str, *, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _url(path: str, params: Mapping[str, str]) -> str:
    return f"{PREFIX}/{path}" + (f"?{urlencode(params)}" if params else "")


def _query_lang(request: web.Request) -> str:
    lang = request.query.get("lang", "ko")
    return lang if lang in LANGS else "ko"


def _safe_next(target: str) -> str:
    """A place to go after sign-in: only a path inside the staff web, never another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(f"{PREFIX}/") or "\\" in target:
        return ""
    return target


def _is_https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, *, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=_is_https(request),
    )


def _same_origin(request: web.Request) -> bool:
    """Tell whether a POST's Origin (or Referer) names this server; absent headers pass."""
    hosts = {request.host}
    forwarded = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    if forwarded:
        hosts.add(forwarded)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc in hosts
    referer = request.headers.get("Referer")
    if referer:
        return urlsplit(referer).netloc in hosts
    return True  # no browser omits both on a form POST; the CSRF token still decides
