"""The Telegram webhook on PostgreSQL while the database server is down, and once it is back.

A server of the test's own (durable), stopped with ``-m immediate`` as a crash stops it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.postgres import PostgresStorage
from tests.support.bot_api import BotAPIStandIn
from tests.support.postgres_server import PostgresServer, find_bindir
from tests.support.running_bot import Person, RunningBot, bot_settings
from tests.support.users import tg

SORRY_KO = "잠시 뒤 다시 보내 주세요"


@pytest.fixture
def own_server(pg_server: PostgresServer) -> Iterator[PostgresServer]:
    bindir = find_bindir()
    assert bindir is not None
    server = PostgresServer(bindir, settings={}).start()
    yield server
    server.stop()


class PostgresBot(RunningBot):
    url = ""

    def open_storage(self) -> Any:
        return PostgresStorage(self.url, pool_size=4, wait_s=1.0)


async def test_an_update_during_an_outage_gets_the_friendly_answer_and_the_next_is_served(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    """Regression: with the database down the webhook's first store call (the update id's
    check) raised out of the handler: Telegram got a 500 and the person no answer at all."""
    async with BotAPIStandIn() as api:
        bot = PostgresBot(api, bot_settings(api, tmp_path / "data", "webhook"), "webhook")
        bot.url = own_server.create_database("outage")
        await bot.start()
        try:
            person = Person(bot, 7001)
            assert "동의하시나요?" in await person.say("/start")
            assert "어떤 분이신가요?" in await person.press("agree")  # acknowledged: kept

            own_server.halt()
            during = await person.press("small_business")  # send() asserts the webhook's 200
            assert SORRY_KO in during and "Traceback" not in during

            own_server.resume()
            # The first update once the server is back is served where the person was.
            after = await person.press("small_business")
            assert SORRY_KO not in after
            assert bot.storage.load_conversation(tg(person.id)).state == "service"
        finally:
            await bot.stop()
