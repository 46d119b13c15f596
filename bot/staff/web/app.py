"""The staff web's app factory: shared state, templates, middleware and each part's routes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable

import aiohttp_jinja2
from aiohttp import web

from bot.settings import Settings
from bot.staff.exports import Labels
from bot.staff.flags import flags_of
from bot.staff.review import ReviewService
from bot.staff.stats import compute_stats
from bot.staff.templates import options, prepare
from bot.staff.templates.words import LANGS
from bot.staff.web import actions, cases, files, messages, overview, signin
from bot.staff.web.common import PREFIX, STAFF_KEY, STYLESHEET, StaffWeb
from bot.staff.web.overview import OVERVIEW_MAX_AGE_S, Refreshed
from bot.staff.web.postgres_sessions import session_store
from bot.staff.web.sessions import OneTimeSignIn, SignInThrottle
from flows.policy import Policy
from storage.base import Storage

log = logging.getLogger("bot.staff.web")  # one name for the whole staff web, as before the split


def create_staff_app(
    *,
    storage: Storage,
    policy: Policy,
    review: ReviewService,
    settings: Settings,
    clock: Callable[[], float] = time.time,
    overview_max_age: float = OVERVIEW_MAX_AGE_S,
    one_time: OneTimeSignIn | None = None,
) -> web.Application:
    """Build the staff sub-application (mount it at :data:`PREFIX`); empty when no token is set.

    ``one_time`` (only without ``STAFF_WEB_TOKEN``) switches the staff web on for the
    holder of that one-time link alone: the token form then accepts no token at all.
    """
    app = web.Application()
    token = settings.staff_web_token
    if token and one_time is not None:
        raise ValueError("a one-time sign-in link is only for a server without STAFF_WEB_TOKEN")
    if not token and one_time is None:
        log.warning("staff web disabled: STAFF_WEB_TOKEN is not set, so %s/ answers 404", PREFIX)
        return app
    if token and len(token) < 16:
        log.warning("STAFF_WEB_TOKEN is short (%d characters); use 16 or more", len(token))
    # Without a token, the form's digest is of a random secret no one is ever told.
    token = token or secrets.token_urlsafe(32)
    token_digest = hashlib.sha256(token.encode()).digest()
    app[STAFF_KEY] = StaffWeb(
        storage=storage,
        policy=policy,
        review=review,
        token_digest=token_digest,
        sessions=session_store(storage, clock),
        throttle=SignInThrottle(
            clock,
            device_key=hmac.new(token_digest, b"staff-device", hashlib.sha256).digest(),
            shared=storage.shared_limits(),  # PostgreSQL: every instance counts together
        ),
        trusted_proxies=settings.trusted_proxies,
        flags=Refreshed(lambda: flags_of(storage), clock, overview_max_age),
        stats=Refreshed(lambda: compute_stats(storage.list_cases()), clock, overview_max_age),
        clock=clock,
        labels={lang: Labels(policy, lang) for lang in LANGS},
        one_time=one_time,
    )
    prepare(aiohttp_jinja2.setup(app, default_helpers=False, **options()))
    app.middlewares.append(signin.session_middleware)
    app.on_response_prepare.append(signin.add_headers)
    app.cleanup_ctx.append(overview.overviews_in_background)
    app.router.add_get(f"/static/{STYLESHEET.name}", STYLESHEET.handler, name="stylesheet")
    # Order matters where paths overlap: lift-limits and the messages' routes before the
    # /cases/{number}/{action} catch.
    for part in (signin, cases, overview, files, messages, actions):
        app.add_routes(part.routes)
    log.info("staff web enabled at %s/", PREFIX)
    return app
