"""A store whose every call waits on a server (PostgreSQL: ``Storage.remote``) never makes
the Telegram door's event loop wait: its seen check and its answered mark run in a worker
thread, as the turn itself does.

Regression: the door asked ``seen_request`` before each update and ``mark_request`` after
its replies on the event loop. On PostgreSQL the mark is a durable commit (a WAL flush):
every other person's update, the webhook's answers and the Bot API calls all waited for
it, so one instance stalled at about 130 updates/s with 40 % of a core busy
(bench/e2e.py --store postgres). A Gate holds the mark instead of a clock: the other
person's answer must arrive while it is still held.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from storage.tinydb_store import TinyDBStorage
from tests.support.bot_api import BotAPIStandIn
from tests.support.gate import HANG_S, Gate
from tests.support.running_bot import RunningBot, bot_settings


class ServerLikeStore(TinyDBStorage):
    """TinyDB that says it waits on a server, its marks held at ``gate`` while closed."""

    remote = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate()

    def mark_request(self, channel: str, request_id: str) -> None:
        with self.gate.hold():
            super().mark_request(channel, request_id)


class RunningOnServer(RunningBot):
    def open_storage(self) -> Any:
        return ServerLikeStore(self.settings.data_dir)


async def test_a_mark_waiting_on_the_server_holds_up_no_one_else(tmp_path: Path) -> None:
    async with BotAPIStandIn() as api:
        bot = RunningOnServer(api, bot_settings(api, tmp_path / "data", "webhook"), "webhook")
        await bot.start()
        try:
            store = bot.storage
            assert isinstance(store, ServerLikeStore)
            first, second = api.user(7001), api.user(7002)
            store.gate.close(calls=1)  # the first person's mark only
            update = api.text_update(first, "/start")
            held = asyncio.create_task(api.deliver(update))
            await store.gate.until_entered()  # the first person's mark is being made
            assert await api.deliver(api.text_update(second, "/start")) == 200
            replies = await api.wait_for_messages(7002, 1, timeout=HANG_S)
            assert "동의하시나요?" in replies[0]["text"]
            # Answered while the first mark was still held: the loop did not wait for it.
            assert not store.gate.left.is_set()
            store.gate.open()
            assert await held == 200
            assert store.seen_request("telegram", str(update["update_id"]))
        finally:
            store_gate = getattr(bot.storage, "gate", None)
            if store_gate is not None:
                store_gate.open()
            await bot.stop()
