"""The staff web's app factory: shared state, templates, middleware and each part's routes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable

import aiohttp_jinja2
from aiohttp import web

from bot.settings import Settings
from bot.staff.exports import Labels
from bot.staff.flags import compute_flags
from bot.staff.review import ReviewService
from bot.staff.stats import compute_stats
from bot.staff.templates import options, prepare
from bot.staff.templates.words import LANGS
from bot.staff.web import actions, cases, files, overview, signin
from bot.staff.web.common import PREFIX, STAFF_KEY, STYLESHEET, StaffWeb
from bot.staff.web.overview import OVERVIEW_MAX_AGE_S, Refreshed
from bot.staff.web.sessions import SessionStore, SignInThrottle
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
    prepare(aiohttp_jinja2.setup(app, default_helpers=False, **options()))
    app.middlewares.append(signin.session_middleware)
    app.on_response_prepare.append(signin.add_headers)
    app.cleanup_ctx.append(overview.overviews_in_background)
    app.router.add_get(f"/static/{STYLESHEET.name}", stylesheet, name="stylesheet")
    # Order matters where paths overlap: lift-limits before the /cases/{number}/{action} catch.
    for part in (signin, cases, overview, files, actions):
        app.add_routes(part.routes)
    log.info("staff web enabled at %s/", PREFIX)
    return app


async def stylesheet(request: web.Request) -> web.Response:
    """The one stylesheet; its URL names its content's hash, so it may be cached for a year."""
    return web.Response(
        body=STYLESHEET.body,
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
