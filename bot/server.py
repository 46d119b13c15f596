"""Run the Telegram bot: long polling by default, or a webhook on the project's aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from urllib.parse import urlsplit

from aiohttp import web

from bot.errors import ConfigError
from bot.intake import IntakeService
from bot.settings import Settings
from bot.staff.review import ReviewService
from bot.staff.web import create_staff_app
from bot.telegram import ALLOWED_UPDATES, TelegramChannel
from bot.web import WEBHOOK_PATH, create_app

log = logging.getLogger(__name__)

SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def webhook_url(settings: Settings) -> str | None:
    """The URL Telegram should call, checked; None in polling mode.

    WEBHOOK_URL may be the public base URL (the fixed path is appended) or already
    end in that path.
    """
    if not settings.webhook_url:
        return None
    parts = urlsplit(settings.webhook_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(f"WEBHOOK_URL must be an https URL, got {settings.webhook_url!r}")
    if not settings.webhook_secret or not SECRET_PATTERN.match(settings.webhook_secret):
        raise ConfigError(
            "WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - in webhook mode"
        )
    path = parts.path.rstrip("/")
    if path in ("", WEBHOOK_PATH):
        return settings.webhook_url.rstrip("/") + ("" if path else WEBHOOK_PATH)
    raise ConfigError(
        f"WEBHOOK_URL must end in {WEBHOOK_PATH} (or be the bare host), got {parts.path!r}"
    )


async def run_telegram(
    settings: Settings,
    service: IntakeService,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    album_quiet_s: float = 1.0,
) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM), then finish work in progress.

    ``ready`` is set once updates are being received.
    """
    url = webhook_url(settings)
    channel = TelegramChannel(service, settings, album_quiet_s=album_quiet_s)
    application = channel.build_application(polling=url is None)
    # The staff web shares this server in both modes; review news reaches users through the channel.
    staff = create_staff_app(
        storage=service.storage,
        policy=service.flow.policy,
        review=ReviewService(service.storage, notify=channel.notify),
        settings=settings,
    )
    web_app = create_app(
        channel=channel if url else None, webhook_secret=settings.webhook_secret, staff=staff
    )
    stop = stop or _stop_on_signals()
    runner = web.AppRunner(web_app, access_log=None)
    async with application:
        await channel.setup()
        await application.start()
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        if url:
            await application.bot.set_webhook(
                url=url, secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("webhook mode on %s:%s%s", settings.host, settings.port, WEBHOOK_PATH)
        else:
            await application.bot.delete_webhook()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            log.info("long polling; health check on %s:%s/healthz", settings.host, settings.port)
        sweeper = asyncio.create_task(channel.sweep_forever())
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            if application.updater and application.updater.running:
                await application.updater.stop()
            await runner.cleanup()  # no new webhook calls; those in flight finish first
            await channel.drain()
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await application.stop()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
