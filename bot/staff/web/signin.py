"""Sign-in, sign-out, the session and CSRF check on every request, and the security headers."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import math
import re
import secrets
import time
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.ratelimit import client_address, retry_after
from bot.staff.templates import pages
from bot.staff.templates.words import LANGS, word
from bot.staff.web.common import (
    PREFIX,
    SESSION_KEY,
    STAFF_KEY,
    STARTED_KEY,
    query_lang,
    read_form,
    render,
    see_other,
    set_cookie,
)
from bot.staff.web.sessions import SESSION_SECONDS, SignInThrottle
from bot.webpage import add_security_headers, content_security_policy, same_origin

log = logging.getLogger("bot.staff.web")  # one name for the whole staff web, as before the split
routes = web.RouteTableDef()

SESSION_COOKIE = "staff_session"
SIGNIN_COOKIE = "staff_signin"
DEVICE_COOKIE = "staff_device"
NAME_MAX = 40
# The audit name of a one-time sign-in whose name field was left empty (``staff:local``).
LOCAL_NAME = "local"

CSP = content_security_policy(scripts=False)  # the staff web runs no script at all


PUBLIC_ROUTES = frozenset(
    {"signin", "signin_post", "signin_once", "signin_once_post", "stylesheet"}
)


@web.middleware
async def session_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Require a session (except for sign-in), check CSRF on POST, and apply ``?lang=``."""
    request[STARTED_KEY] = time.perf_counter()
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES or request.match_info.http_exception is not None:
        return await handler(request)
    staff = request.app[STAFF_KEY]
    session = staff.sessions.get(request.cookies.get(SESSION_COOKIE))
    before = None if session is None else dataclasses.replace(session)
    if session is None:
        if request.method in ("GET", "HEAD"):
            target = request.rel_url.path_qs
            raise web.HTTPSeeOther(f"{PREFIX}/signin?{urlencode({'next': target})}")
        raise web.HTTPForbidden(text="sign in first")
    if request.method == "POST":
        form = await read_form(request)
        sent = str(form.get("csrf", ""))
        if not (hmac.compare_digest(sent.encode(), session.csrf.encode()) and same_origin(request)):
            log.warning("staff POST %s refused: CSRF check failed", request.path)
            message = word(session.lang, "error.forbidden")
            return render(
                request,
                "error.html",
                pages.error(message, back=f"{PREFIX}/"),
                lang=session.lang,
                status=403,
            )
    elif request.query.get("lang") in LANGS:
        session.lang = request.query["lang"]
    request[SESSION_KEY] = session
    try:
        return await handler(request)
    finally:
        if session != before:
            staff.sessions.save(session)  # flash, list filter, language: for any instance


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Put the security headers (and the server time so far) on every staff response."""
    add_security_headers(response, CSP)
    started = request.get(STARTED_KEY)
    if started is not None:
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"


@routes.get("/signin", name="signin")
async def signin_form(request: web.Request) -> web.Response:
    """Show the sign-in form."""
    lang = query_lang(request)
    return signin_response(request, lang, next_url=safe_next(request.query.get("next", "")))


@routes.post("/signin", name="signin_post")
async def signin(request: web.Request) -> web.StreamResponse:
    """Check the name and token; start a session or say no (and slow down repeated failures)."""
    staff = request.app[STAFF_KEY]
    address = client(request)
    device = staff.throttle.device(request.cookies.get(DEVICE_COOKIE))
    form = await read_form(request)
    lang = str(form.get("lang", "")) if form.get("lang") in LANGS else "ko"
    next_url = safe_next(str(form.get("next", "")))
    name = clean_name(str(form.get("name", "")))
    # The throttle's counts may be the database's (PostgreSQL): read off the event loop.
    wait = await asyncio.to_thread(staff.throttle.wait_s, address, device)
    given = hashlib.sha256(str(form.get("token", "")).encode()).digest()
    right = hmac.compare_digest(given, staff.token_digest)
    # Wrong guesses never keep a right token out entirely (it gets in at a bounded rate).
    if (
        wait > 0
        and right
        and name
        and _csrf_ok(request, form)
        and await asyncio.to_thread(staff.throttle.let_right_token_in)
    ):
        log.warning("staff sign-in from %s: right token let in while backing off", address)
        wait = 0.0
    if wait > 0:
        log.warning("staff sign-in from %s refused: backing off for %.0f s", address, wait)
        response = signin_response(
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
        return signin_response(
            request,
            lang,
            name=name,
            next_url=next_url,
            error=word(lang, "signin.expired"),
            status=403,
        )
    if not right:
        count = await asyncio.to_thread(staff.throttle.failed, address, device)
        log.warning("staff sign-in from %s refused: wrong token (%d in a row)", address, count)
        return signin_response(
            request,
            lang,
            name=name,
            next_url=next_url,
            error=word(lang, "signin.wrong"),
            status=401,
        )
    if not name:
        return signin_response(
            request, lang, next_url=next_url, error=word(lang, "signin.name_missing"), status=400
        )
    await asyncio.to_thread(staff.throttle.succeeded, address, device)
    staff.sessions.close(request.cookies.get(SESSION_COOKIE))
    session = staff.sessions.open(name, lang)
    log.info("staff %r signed in from %s", name, address)
    response = see_other(next_url or f"{PREFIX}/")
    set_cookie(request, response, SESSION_COOKIE, session.token, max_age=SESSION_SECONDS)
    if device is None:
        set_cookie(
            request,
            response,
            DEVICE_COOKIE,
            staff.throttle.new_device(),
            max_age=SignInThrottle.DEVICE_DAYS * 86400,
        )
    response.del_cookie(SIGNIN_COOKIE, path=PREFIX)
    return response


@routes.get("/signin/once", name="signin_once")
async def signin_once_form(request: web.Request) -> web.Response:
    """The printed one-time link: a form asking for a name (nothing is spent by looking)."""
    once = request.app[STAFF_KEY].one_time
    if once is None:
        raise web.HTTPNotFound()
    lang = query_lang(request)
    token = request.query.get("token", "")
    if not once.valid(token):
        return _once_refused(request, lang)
    return signin_once_response(request, lang, token=token)


@routes.post("/signin/once", name="signin_once_post")
async def signin_once(request: web.Request) -> web.StreamResponse:
    """Spend the one-time link and start an ordinary session.

    The name is asked on the form, filled in as ``local``; an empty name is
    :data:`LOCAL_NAME` too, so the audit trail says ``staff:local``.
    """
    staff = request.app[STAFF_KEY]
    once = staff.one_time
    if once is None:
        raise web.HTTPNotFound()
    address = client(request)
    form = await read_form(request)
    lang = str(form.get("lang", "")) if form.get("lang") in LANGS else "ko"
    token = str(form.get("token", ""))
    name = clean_name(str(form.get("name", ""))) or LOCAL_NAME
    if not _csrf_ok(request, form):
        log.warning("staff one-time sign-in from %s refused: CSRF check failed", address)
        if not once.valid(token):
            return _once_refused(request, lang)
        return signin_once_response(
            request, lang, token=token, name=name, error=word(lang, "signin.expired"), status=403
        )
    if not once.use(token):
        log.warning("staff one-time sign-in from %s refused: link used, expired or wrong", address)
        return _once_refused(request, lang)
    staff.sessions.close(request.cookies.get(SESSION_COOKIE))
    session = staff.sessions.open(name, lang)
    log.info("staff %r signed in from %s with the one-time link", name, address)
    response = see_other(f"{PREFIX}/")
    set_cookie(request, response, SESSION_COOKIE, session.token, max_age=SESSION_SECONDS)
    response.del_cookie(SIGNIN_COOKIE, path=PREFIX)
    return response


def signin_nonce(request: web.Request) -> str:
    """The sign-in form's nonce: the browser's own when well-formed, else a fresh one."""
    nonce = request.cookies.get(SIGNIN_COOKIE) or ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", nonce):
        nonce = secrets.token_urlsafe(32)
    return nonce


def signin_once_response(
    request: web.Request,
    lang: str,
    *,
    token: str,
    name: str = LOCAL_NAME,
    error: str = "",
    status: int = 200,
) -> web.Response:
    nonce = signin_nonce(request)
    page = pages.signin_once(lang, base=PREFIX, nonce=nonce, token=token, name=name, error=error)
    response = render(request, "signin_once.html", page, lang=lang, status=status)
    set_cookie(request, response, SIGNIN_COOKIE, nonce, max_age=3600)
    return response


def _once_refused(request: web.Request, lang: str) -> web.Response:
    message = word(lang, "signin.once_refused")
    return render(request, "error.html", pages.error(message), lang=lang, status=403)


def _csrf_ok(request: web.Request, form: Mapping[str, object]) -> bool:
    """The sign-in form's nonce matches its cookie and the request is same-origin."""
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    sent = str(form.get("csrf", ""))
    return (
        bool(nonce) and hmac.compare_digest(nonce.encode(), sent.encode()) and same_origin(request)
    )


def client(request: web.Request) -> str:
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


@routes.post("/signout", name="signout")
async def signout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    staff.sessions.close(session.token)
    log.info("staff %r signed out", session.staff)
    response = see_other(f"{PREFIX}/signin?lang={session.lang}")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def signin_response(
    request: web.Request,
    lang: str,
    *,
    name: str = "",
    next_url: str = "",
    error: str = "",
    status: int = 200,
) -> web.Response:
    nonce = signin_nonce(request)
    page = pages.signin(lang, base=PREFIX, nonce=nonce, name=name, error=error, next_url=next_url)
    response = render(request, "signin.html", page, lang=lang, status=status)
    set_cookie(request, response, SIGNIN_COOKIE, nonce, max_age=3600)
    return response


def clean_name(raw: str) -> str:
    """The staff name as the audit trail records it: printable, single-spaced, at most 40 characters."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:NAME_MAX].strip()


def safe_next(target: str) -> str:
    """A place to go after sign-in: only a path inside the staff web, never another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(f"{PREFIX}/") or "\\" in target:
        return ""
    return target
