"""Run the bot's HTTP server: with Telegram (long polling, or a webhook on this server) or without.

:func:`run_telegram` is the whole bot; :func:`run_web` serves only ``/healthz`` and
the staff web, for a machine without a bot token (``python -m bot serve``).
"""

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
from bot.web import STAFF_PREFIX, WEBHOOK_PATH, create_app
from flows.policy import Policy
from storage import Storage

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


def local_url(settings: Settings, path: str) -> str:
    """The URL of ``path`` on this server as seen from this machine (for start-up lines)."""
    host = settings.host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}{path}"


def _log_staff_url(settings: Settings) -> None:
    if settings.staff_web_token:
        log.info("staff web: %s", local_url(settings, f"{STAFF_PREFIX}/"))


class TelegramOff(Exception):
    """Raised by the notifier of a server running without Telegram."""


async def _cannot_notify(user_id: int, replies: object) -> None:
    raise TelegramOff("TELEGRAM_BOT_TOKEN is not set")


def review_without_telegram(storage: Storage, policy: Policy) -> ReviewService:
    """Review actions for a server without Telegram.

    Decisions are saved and audited as always; every notice fails and is recorded
    as ``review.notify_failed``, so staff can send it again once the bot runs. The
    confirmation page says so instead of promising a message.
    """
    return ReviewService(storage, notify=_cannot_notify, contact=policy.contact, delivers=False)


async def run_web(
    settings: Settings,
    service: IntakeService,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve ``/healthz`` and the staff web without Telegram until ``stop`` (or SIGINT/SIGTERM).

    Review decisions are saved and audited as always; telling the user fails (there
    is no bot), which is recorded as ``review.notify_failed`` and shown to staff.
    """
    if settings.webhook_url:
        log.warning("WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not: no webhook is served")
    staff = create_staff_app(
        storage=service.storage,
        policy=service.flow.policy,
        review=review_without_telegram(service.storage, service.flow.policy),
        settings=settings,
    )
    runner = web.AppRunner(create_app(staff=staff), access_log=None)
    stop = stop or _stop_on_signals()
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info(
            "serving without Telegram (TELEGRAM_BOT_TOKEN is not set); health check on %s",
            local_url(settings, "/healthz"),
        )
        _log_staff_url(settings)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        log.info("stopping")
        await runner.cleanup()


async def run_telegram(
    settings: Settings,
    service: IntakeService,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    channel: TelegramChannel | None = None,
) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM), then finish work in progress.

    ``ready`` is set once updates are being received. ``channel`` is the channel to
    run (tests pass one with their own timings); by default one is built here.
    """
    url = webhook_url(settings)
    channel = channel or TelegramChannel(service, settings)
    application = channel.build_application(polling=url is None)
    # The staff web shares this server in both modes; review news reaches users through the channel.
    staff = create_staff_app(
        storage=service.storage,
        policy=service.flow.policy,
        review=ReviewService(
            service.storage, notify=channel.notify, contact=service.flow.policy.contact
        ),
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
            log.info("long polling; health check on %s", local_url(settings, "/healthz"))
        _log_staff_url(settings)
        channel.start_sweeping()
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            if application.updater and application.updater.running:
                await application.updater.stop()
            await runner.cleanup()  # no new webhook calls; those in flight finish first
            await channel.drain()  # albums answered, work finished, the sweep stopped
            await application.stop()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
