"""The bot's own aiohttp server: the Telegram webhook, a health check and the staff web."""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web
from telegram import Update

from bot.staff.web import PREFIX as STAFF_PREFIX
from bot.telegram import TelegramChannel
from bot.update_shape import update_problem
from storage import StoreUnavailable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHANNEL_KEY = web.AppKey("channel", TelegramChannel)
SECRET_KEY = web.AppKey("webhook_secret", bytes)  # its SHA-256 digest


async def healthz(request: web.Request) -> web.Response:
    """Answer a load balancer's or monitor's liveness check."""
    return web.json_response({"status": "ok"})


async def telegram_webhook(request: web.Request) -> web.Response:
    """Take one update from Telegram; answer 200 only once it is processed and saved.

    Telegram sends a chat's next update only after a 2xx, and retries failures, so
    answering late keeps the order and answering 5xx on failure gets a redelivery
    (which the update id and the conversation's last input id make harmless).

    The secret is compared as SHA-256 digests, so neither its content nor its length
    shows in the time taken; header bytes that are not UTF-8 are compared as they came.
    A body that is not an update (bad JSON, nested too deep, wrong field types) gets a
    400 and one warning line: Telegram never sends one, and a 5xx would be retried.
    An update the store could not take (PostgreSQL down) gets a 503: the person was
    told to wait, and Telegram's redelivery is processed once the store is back.
    """
    secret = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(hashlib.sha256(secret).digest(), request.app[SECRET_KEY]):
        return web.Response(status=403, text="forbidden")
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning("webhook body refused: not JSON")
        return web.Response(status=400, text="bad json")
    problem = update_problem(data)
    if problem is not None:
        log.warning("webhook body refused: %s", problem)
        return web.Response(status=400, text="bad update")
    channel = request.app[CHANNEL_KEY]
    try:
        update = Update.de_json(data, channel.application.bot if channel.application else None)
    except Exception:  # malformed update: Telegram would retry a 5xx forever, so 400
        log.warning("webhook body refused: not readable as an update")
        return web.Response(status=400, text="bad update")
    if update is None:
        return web.Response(status=400, text="bad update")
    try:
        reply = await channel.accept(update)
    except StoreUnavailable:
        # Not processed (the person was told to wait): Telegram delivers it again.
        return web.Response(status=503, text="try again", headers={"Retry-After": "5"})
    if reply is not None:  # a Bot API call Telegram makes for us (see TelegramChannel.accept)
        return web.json_response(reply)
    return web.Response(status=200)


def create_app(
    *,
    channel: TelegramChannel | None = None,
    webhook_secret: str | None = None,
    staff: web.Application | None = None,
) -> web.Application:
    """Build the web application; the webhook route exists only in webhook mode.

    ``staff`` is the staff web (:func:`bot.staff.web.create_staff_app`), mounted
    under ``/staff`` in either mode. The server (:mod:`bot.server`) starts from a bare
    one and lets each door add itself with :func:`add_webhook` or :func:`add_staff`.
    """
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/healthz", healthz)
    if channel is not None and webhook_secret:
        add_webhook(app, channel, webhook_secret)
    if staff is not None:
        add_staff(app, staff)
    return app


def add_webhook(app: web.Application, channel: TelegramChannel, webhook_secret: str) -> None:
    """Take Telegram's updates for ``channel`` at :data:`WEBHOOK_PATH`."""
    app[CHANNEL_KEY] = channel
    app[SECRET_KEY] = hashlib.sha256(webhook_secret.encode()).digest()
    app.router.add_post(WEBHOOK_PATH, telegram_webhook)


def add_staff(app: web.Application, staff: web.Application) -> None:
    """Mount the staff web under ``/staff``."""
    if staff.router.routes():  # an empty staff app is the staff web switched off
        app.router.add_get(STAFF_PREFIX, _to_staff)
    app.add_subapp(STAFF_PREFIX, staff)


async def _to_staff(request: web.Request) -> web.Response:
    """Send ``/staff`` to ``/staff/``, where the staff web's pages live."""
    raise web.HTTPPermanentRedirect(f"{STAFF_PREFIX}/")
