"""Command-line entry point and composition root: ``python -m bot [run|serve|chat|migrate|...]``.

Settings are read once here and every object is built here and passed down;
nothing is built at import time.
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot import log_masking
from bot.errors import BotError
from bot.intake import IntakeService
from bot.settings import Settings, load_settings
from bot.staff import cli as staff_cli
from flows.conversation import IntakeFlow
from flows.errors import FlowError
from flows.policy import load_policy
from storage import Storage, StorageError

log = logging.getLogger("bot")


def build_storage(settings: Settings) -> Storage:
    """The PostgreSQL store when DATABASE_URL is set, else the TinyDB store under DATA_DIR.

    TinyDB is the embedded default (nothing to set up); PostgreSQL lets several
    processes share one store. Opening PostgreSQL applies its pending migrations.
    """
    if settings.database_url:
        from storage.postgres import PostgresStorage

        return PostgresStorage(settings.database_url)
    from storage.tinydb_store import TinyDBStorage

    return TinyDBStorage(settings.data_dir)


def build_service(settings: Settings, storage: Storage) -> IntakeService:
    """The intake every door shares (each person's channel picks their words, e.g. the
    consent's account)."""
    flow = IntakeFlow(load_policy(settings.policy), expire_days=settings.draft_expire_days)
    return IntakeService(
        flow, storage, default_lang=settings.default_lang, remind_after=settings.remind_after_s
    )


def run_chat(settings: Settings, lang: str | None) -> int:
    from bot.console import ConsoleChat

    storage = build_storage(settings)
    try:
        service = build_service(settings, storage)
        return ConsoleChat(service, lang=lang).run()
    finally:
        storage.close()


def run_default(settings: Settings) -> int:
    """``make run``: the one server with every configured door (:func:`run_serve`).

    The web chat at ``/`` needs no configuration, so it is what a newcomer opens; without
    Telegram the terminal says so (the console chat is ``make chat``). The staff web is
    there too (with STAFF_WEB_TOKEN, or on loopback through a one-time link).
    """
    if not settings.telegram_bot_token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: the web chat below is the way in (open it in a "
            "browser).\nSet TELEGRAM_BOT_TOKEN (see .env.example) for Telegram; `make chat` "
            "is the console chat.",
            file=sys.stderr,
            flush=True,
        )
    return run_serve(settings)


def run_serve(settings: Settings) -> int:
    """The one HTTP server: /healthz and every configured door, until SIGINT/SIGTERM."""
    import asyncio

    from bot.scheduler import Scheduler
    from bot.server import build_doors, serve

    storage = build_storage(settings)
    try:
        service = build_service(settings, storage)

        async def serve_all() -> None:
            doors = build_doors(settings, service)
            await serve(settings, doors, scheduler=Scheduler(service))

        try:
            asyncio.run(serve_all())
        except OSError as exc:  # the port is taken, or the address is not this machine's
            print(
                f"the server could not listen on {settings.host}:{settings.port} ({exc})",
                file=sys.stderr,
            )
            return 1
    finally:
        storage.close()
    return 0


def run_reindex(settings: Settings) -> int:
    from storage.tinydb_store import rebuild_index

    count = rebuild_index(settings.data_dir)
    print(f"index rebuilt from {count} case files in {settings.data_dir}")
    return 0


def run_migrate(settings: Settings) -> int:
    """Convert DATA_DIR from an earlier release's layout (see storage/migrate.py)."""
    from storage.migrate import migrate

    done = migrate(settings.data_dir)
    if done.backup is None:
        print(f"{settings.data_dir} is up to date: nothing to migrate")
        return 0
    print(
        f"migrated {settings.data_dir}: {done.conversations} conversations, {done.users} "
        f"language choices, {done.cases} cases, {done.audit_entries} audit entries, "
        f"{done.request_ids} processed request ids; "
        f"the directory as it was is kept in {done.backup}"
    )
    if done.quarantined:
        print(f"{done.quarantined} unreadable files were moved to quarantine/", file=sys.stderr)
    return 0


def run_migrate_store(settings: Settings) -> int:
    """Copy DATA_DIR into PostgreSQL (see storage/migrate_store.py)."""
    if not settings.database_url:
        raise BotError("DATABASE_URL is not set: it names the PostgreSQL database to copy into")
    if not settings.data_dir.is_dir():
        raise BotError(f"{settings.data_dir} is not a data directory (DATA_DIR)")
    from storage.migrate_store import migrate_store

    done = migrate_store(settings.data_dir, settings.database_url)
    print(
        f"copied {settings.data_dir} into PostgreSQL and verified it: {done.cases} cases, "
        f"{done.conversations} conversations, {done.users} language choices, "
        f"{done.evidence_files} evidence files ({done.evidence_bytes:,} bytes, sha256 checked), "
        f"{done.audit_entries} audit entries ({done.audit_copied_now} copied now), "
        f"{done.notices} notices, {done.request_ids} processed request ids, "
        f"{done.web_transcripts} web chat pages"
        f"{' and the web chat secret' if done.web_secret else ''}. "
        "Set DATABASE_URL for the bot from now on."
    )
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Outage damage-report intake bot"
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "run",
        help="the server with every configured door: the web chat at /, the staff web, Telegram",
    )
    sub.add_parser("telegram", help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser(
        "serve",
        help="the one HTTP server: /healthz, the web chat, the staff web and Telegram",
    )
    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--lang", choices=["ko", "en"], help="language of the conversation")
    sub.add_parser(
        "reindex", help="rebuild the case index and the evidence holds from the case files"
    )
    sub.add_parser(
        "migrate",
        help="convert DATA_DIR written by an earlier release (after upgrading; stop the bot first)",
    )
    move = sub.add_parser(
        "migrate-store",
        help="copy DATA_DIR (TinyDB) into the PostgreSQL database at DATABASE_URL and verify it "
        "(stop the bot first; running it again changes nothing)",
    )
    move.add_argument("--to", choices=["postgres"], required=True, help="the store to copy into")
    staff_cli.register(sub)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
        # A server logs what it does (sign-ins, review actions) at INFO; the console
        # chat and the staff commands share the terminal and say only what went wrong.
        server = args.command in (None, "run", "telegram", "serve")
        log_masking.install(
            secrets=settings.secrets(), level=logging.INFO if server else logging.WARNING
        )
        if server:  # the bot's own lines at LOG_LEVEL (DEBUG: each request's turn)
            for own in ("bot", "storage"):
                logging.getLogger(own).setLevel(settings.log_level)
        if args.command == "chat":
            return run_chat(settings, args.lang)
        if args.command == "reindex":
            return run_reindex(settings)
        if args.command == "migrate":
            return run_migrate(settings)
        if args.command == "migrate-store":
            return run_migrate_store(settings)
        if args.command == "serve":
            return run_serve(settings)
        if args.command in staff_cli.COMMANDS:
            return staff_cli.run(args, settings)
        if args.command == "telegram":
            if not settings.telegram_bot_token:
                raise BotError("TELEGRAM_BOT_TOKEN is not set (see .env.example)")
            return run_serve(settings)
        return run_default(settings)
    except (BotError, FlowError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
