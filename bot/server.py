"""The one HTTP server: ``/healthz`` and every configured door, on one port.

A *door* is one way in (:class:`Door`): the web chat at ``/`` (:class:`WebChatDoor`,
always), the staff web (:class:`StaffDoor`), Telegram, by webhook or long polling
(:class:`TelegramDoor`), and the KakaoTalk skill (:class:`KakaoDoor`). :func:`build_doors`
picks them from the settings and :func:`serve` runs them, with the one
:class:`~bot.scheduler.Scheduler` (reminders, expiry, notice retries) for all of them;
a new door is a :class:`Door` subclass added in :func:`build_doors`. Every door and the scheduler share the service's one
:class:`~bot.sequencer.UserSequencer` and :class:`~bot.notices.Notices`.

Without ``STAFF_WEB_TOKEN``, on a loopback ``HOST``, the staff web still opens
for whoever holds the one-time sign-in link printed at start-up
(:class:`~bot.staff.web.sessions.OneTimeSignIn`); on any other address it stays off.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import signal
import sys
import time
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.errors import ConfigError
from bot.intake import IntakeService
from bot.kakao import SKILL_PATH, KakaoSkill
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.staff.review import ReviewService
from bot.staff.web import create_staff_app
from bot.staff.web.sessions import ONE_TIME_SECONDS, OneTimeSignIn
from bot.telegram import ALLOWED_UPDATES, TelegramChannel
from bot.web import STAFF_PREFIX, WEBHOOK_PATH, add_staff, add_webhook, create_app

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


def is_loopback(host: str) -> bool:
    """``HOST`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def say(line: str) -> None:
    """A start-up line for the person at the terminal (not the log: it may hold a link)."""
    print(line, file=sys.stderr, flush=True)


class Door:
    """One way in to the bot, served by :func:`serve`. A door overrides what it needs.

    The server calls, in this order: :meth:`mount` (add routes, before anything
    runs), :meth:`open` (before the server listens), :meth:`start` (once it
    listens; say where the door is), :meth:`stop` (stop taking new work, before the
    server closes) and :meth:`close` (after the server closed and requests in flight
    finished: finish work in progress). A door whose :meth:`open` failed is neither
    stopped nor closed, so :meth:`open` cleans up after itself.
    """

    def mount(self, app: web.Application) -> None:
        """Add this door's routes to the one server's application."""

    async def open(self) -> None:
        """Get ready to take requests."""

    async def start(self) -> None:
        """The server is listening: start taking requests, and print where."""

    async def stop(self) -> None:
        """Take no new requests."""

    async def close(self) -> None:
        """Finish the work in progress."""

    def schedule(self, scheduler: Scheduler) -> None:
        """Ask the server's scheduler for what this door needs (before it starts)."""


class WebChatDoor(Door):
    """The web chat at ``/``: the conversation on a phone's browser (:mod:`bot.webchat`).

    Always on: it needs no configuration (``WEB_SECRET`` is made in ``DATA_DIR`` when
    unset) and is what a newcomer opens.
    """

    def __init__(self, settings: Settings, service: IntakeService) -> None:
        from bot.webchat.app import WebChat

        self.settings = settings
        self.chat = WebChat(service, settings)

    def mount(self, app: web.Application) -> None:
        self.chat.mount(app)

    async def start(self) -> None:
        say(f"web chat: {local_url(self.settings, '/')}  (open it in a browser)")


class StaffDoor(Door):
    """The staff web under ``/staff`` (``STAFF_WEB_TOKEN``, or the printed one-time link)."""

    def __init__(self, settings: Settings, service: IntakeService, review: ReviewService) -> None:
        self.settings = settings
        self.one_time: OneTimeSignIn | None = None
        if not settings.staff_web_token and is_loopback(settings.host):
            self.one_time = OneTimeSignIn(time.time)
        self.app = create_staff_app(
            storage=service.storage,
            policy=service.flow.policy,
            review=review,
            settings=settings,
            one_time=self.one_time,
        )

    def mount(self, app: web.Application) -> None:
        add_staff(app, self.app)

    async def start(self) -> None:
        if self.settings.staff_web_token:
            say(f"staff web: {local_url(self.settings, f'{STAFF_PREFIX}/')}")
        elif self.one_time is not None:
            query = urlencode({"token": self.one_time.token})
            link = local_url(self.settings, f"{STAFF_PREFIX}/signin/once?{query}")
            minutes = round(ONE_TIME_SECONDS / 60)
            say(
                f"staff web: {link}\n"
                f"  (a one-time sign-in link: it works once, for {minutes} minutes; "
                "set STAFF_WEB_TOKEN for lasting sign-ins)"
            )
        else:
            say(f"staff web: off (set STAFF_WEB_TOKEN; HOST {self.settings.host} is not loopback)")


class TelegramDoor(Door):
    """Telegram: updates by webhook on this server (``WEBHOOK_URL``) or by long polling."""

    def __init__(
        self, settings: Settings, service: IntakeService, channel: TelegramChannel | None = None
    ) -> None:
        self.settings = settings
        self.url = webhook_url(settings)
        self.channel = channel or TelegramChannel(service, settings)
        self.application = self.channel.build_application(polling=self.url is None)

    def mount(self, app: web.Application) -> None:
        if self.url:
            add_webhook(app, self.channel, self.settings.webhook_secret or "")

    async def open(self) -> None:
        await self.application.initialize()
        try:
            await self.channel.setup()
            await self.application.start()
        except BaseException:
            await self.application.shutdown()
            raise

    async def start(self) -> None:
        bot = self.application.bot
        if self.url:
            await bot.set_webhook(
                url=self.url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info(
                "webhook mode on %s:%s%s", self.settings.host, self.settings.port, WEBHOOK_PATH
            )
            say(f"Telegram: webhook at {self.url}")
        else:
            await bot.delete_webhook()
            assert self.application.updater is not None
            await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            log.info("long polling")
            say("Telegram: long polling")

    def schedule(self, scheduler: Scheduler) -> None:
        scheduler.scanners.append(self.channel.album_due)  # albums a stop left unanswered

    async def stop(self) -> None:
        updater = self.application.updater
        if updater and updater.running:
            await updater.stop()

    async def close(self) -> None:
        try:
            await self.channel.drain()  # albums answered, work finished, the sweep stopped
            await self.application.stop()
        finally:
            await self.application.shutdown()


class KakaoDoor(Door):
    """The KakaoTalk skill at ``POST /kakao/skill`` (on with ``KAKAO_SKILL_SECRET``)."""

    def __init__(self, settings: Settings, service: IntakeService, skill: KakaoSkill | None = None):
        self.settings = settings
        self.skill = skill or KakaoSkill(service, settings)

    def mount(self, app: web.Application) -> None:
        self.skill.mount(app)

    async def open(self) -> None:
        await self.skill.open()

    async def start(self) -> None:
        say(
            f"KakaoTalk skill: {local_url(self.settings, SKILL_PATH)} "
            "(the secret as the X-Kakao-Skill-Secret header, or as /kakao/skill/<secret>)"
        )

    async def close(self) -> None:
        await self.skill.close()


def build_doors(
    settings: Settings, service: IntakeService, *, channel: TelegramChannel | None = None
) -> list[Door]:
    """Every door the settings configure; the one place a new door is added.

    Review news reaches a person through ``service.notices``: pushed by a channel
    that pushes (Telegram registers itself), else kept in the person's mailbox.
    """
    doors: list[Door] = []
    review = ReviewService(
        service.storage, notices=service.notices, contact=service.flow.policy.contact
    )
    if settings.telegram_bot_token:
        doors.append(TelegramDoor(settings, service, channel))
    elif settings.webhook_url:
        log.warning("WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not: no webhook is served")
    if settings.kakao_skill_secret:
        doors.append(KakaoDoor(settings, service))
    doors.insert(0, StaffDoor(settings, service, review))
    doors.insert(0, WebChatDoor(settings, service))
    return doors


async def serve(
    settings: Settings,
    doors: list[Door],
    *,
    scheduler: Scheduler | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve ``/healthz`` and ``doors`` on HOST:PORT until ``stop`` (or SIGINT/SIGTERM).

    ``scheduler`` (reminders, expiry, notice retries; one for all doors) runs once
    every door takes requests. ``ready`` is set then. On stopping, each door stops
    taking new work, the scheduler stops (a round under way is cancelled: what it
    stored stays, what it did not is done by the next start), the server finishes
    the requests in flight, then each door finishes its work in progress.
    """
    app = create_app()
    for door in doors:
        door.mount(app)
        if scheduler is not None:
            door.schedule(scheduler)
    stop = stop or _stop_on_signals()
    runner = web.AppRunner(app, access_log=None)
    opened: list[Door] = []
    rounds: asyncio.Task[None] | None = None
    try:
        for door in doors:
            await door.open()
            opened.append(door)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        say(
            f"serving on {local_url(settings, '/')} (health check {local_url(settings, '/healthz')})"
        )
        if not settings.telegram_bot_token:
            log.info("serving without Telegram (TELEGRAM_BOT_TOKEN is not set)")
        for door in doors:
            await door.start()
        if scheduler is not None:
            rounds = asyncio.create_task(scheduler.run_forever(), name="scheduler")
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        log.info("stopping")
        for door in opened:
            await door.stop()
        if rounds is not None:
            rounds.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await rounds
        await runner.cleanup()  # no new requests; those in flight finish first
        for door in reversed(opened):
            await door.close()


async def run_telegram(
    settings: Settings,
    service: IntakeService,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    channel: TelegramChannel | None = None,
) -> None:
    """The whole bot with Telegram (tests pass a ``channel`` with their own timings)."""
    doors = build_doors(settings, service, channel=channel)
    # Several instances may share PostgreSQL: each reads the stored schedule again now and then.
    rescan = RESCAN_S if settings.database_url else None
    scheduler = Scheduler(service, rescan_s=rescan)
    await serve(settings, doors, scheduler=scheduler, stop=stop, ready=ready)


# How often an instance on a shared store (DATABASE_URL) rescans the stored schedule.
RESCAN_S = 600.0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
