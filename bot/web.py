"""The bot's own aiohttp server: the Telegram webhook, a health check and the staff web."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.staff.web import PREFIX as STAFF_PREFIX
from bot.telegram import TelegramChannel

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHANNEL_KEY = web.AppKey("channel", TelegramChannel)
SECRET_KEY = web.AppKey("webhook_secret", str)


async def healthz(request: web.Request) -> web.Response:
    """Answer a load balancer's or monitor's liveness check."""
    return web.json_response({"status": "ok"})


async def telegram_webhook(request: web.Request) -> web.Response:
    """Take one update from Telegram; answer 200 only once it is processed and saved.

    Telegram sends a chat's next update only after a 2xx, and retries failures, so
    answering late keeps the order and answering 5xx on failure gets a redelivery
    (which the update id and the conversation's last input id make harmless).
    """
    secret = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(secret.encode(), request.app[SECRET_KEY].encode()):
        return web.Response(status=403, text="forbidden")
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.Response(status=400, text="bad json")
    channel = request.app[CHANNEL_KEY]
    try:
        update = Update.de_json(data, channel.application.bot if channel.application else None)
    except Exception:  # malformed update: Telegram would retry a 5xx forever, so 400
        log.warning("malformed update refused")
        return web.Response(status=400, text="bad update")
    if update is None:
        return web.Response(status=400, text="bad update")
    reply = await channel.accept(update)
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
    under ``/staff`` in either mode.
    """
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/healthz", healthz)
    if channel is not None and webhook_secret:
        app[CHANNEL_KEY] = channel
        app[SECRET_KEY] = webhook_secret
        app.router.add_post(WEBHOOK_PATH, telegram_webhook)
    if staff is not None:
        if staff.router.routes():  # an empty staff app is the staff web switched off
            app.router.add_get(STAFF_PREFIX, _to_staff)
        app.add_subapp(STAFF_PREFIX, staff)
    return app


async def _to_staff(request: web.Request) -> web.Response:
    """Send ``/staff`` to ``/staff/``, where the staff web's pages live."""
    raise web.HTTPPermanentRedirect(f"{STAFF_PREFIX}/")
