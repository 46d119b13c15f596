"""The Telegram webhook on PostgreSQL while the database server is down, and once it is back.

A server of the test's own (durable), stopped with ``-m immediate`` as a crash stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from bot.intake import IntakeService
from bot.scheduler import Scheduler
from flows.conversation import IntakeFlow
from flows.identity import UserKey
from flows.messages import ChoiceInput, CommandInput
from flows.policy import load_policy
from storage.postgres import PostgresStorage
from tests.bot.test_kakao import running
from tests.support.bot_api import BotAPIStandIn
from tests.support.postgres_server import PostgresServer
from tests.support.running_bot import Person, RunningBot, bot_settings
from tests.support.users import tg

SORRY_KO = "잠시 뒤 다시 보내 주세요"
WAIT_KO = "다시 보내지 않으셔도 돼요"  # Telegram: its redelivery is processed by itself


class PostgresBot(RunningBot):
    url = ""

    def open_storage(self) -> Any:
        return PostgresStorage(self.url, pool_size=4, wait_s=1.0)


async def test_an_update_during_an_outage_is_answered_and_processed_when_delivered_again(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    """Regression: with the database down the webhook's first store call (the update id's
    check) raised out of the handler: Telegram got a 500 and the person no answer at all;
    and an update whose turn failed there was acknowledged after the apology, so it was
    lost (the two-instance test's "the bot never asked anything" for a /start sent
    during the crash). Now the person is told to wait, the webhook answers 503, and
    Telegram's redelivery once the server is back is processed."""
    async with BotAPIStandIn() as api:
        bot = PostgresBot(api, bot_settings(api, tmp_path / "data", "webhook"), "webhook")
        bot.url = own_server.create_database("outage")
        await bot.start()
        try:
            person = Person(bot, 7001)
            assert "동의하시나요?" in await person.say("/start")
            assert "어떤 분이신가요?" in await person.press("agree")  # acknowledged: kept

            message, data = person.find_button("small_business")
            update = api.callback_update(person.user, data, message_id=message["message_id"])
            before = len(api.messages_to(person.id))
            own_server.halt()
            assert await api.deliver(update) == 503  # not acknowledged: delivered again
            during = Person.text(api.messages_to(person.id)[before:])
            assert WAIT_KO in during and "Traceback" not in during

            own_server.resume()
            before = len(api.messages_to(person.id))
            assert await api.deliver(update) == 200  # Telegram's redelivery is processed
            after = Person.text(api.messages_to(person.id)[before:])
            assert after and WAIT_KO not in after
            assert bot.storage.load_conversation(tg(person.id)).state == "service"
            assert await api.deliver(update) == 200  # a duplicate changes nothing more
            assert bot.storage.load_conversation(tg(person.id)).state == "service"
        finally:
            await bot.stop()


async def test_an_update_during_an_outage_tells_the_person_once_that_it_will_be_answered(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    """Regression: while PostgreSQL was down Telegram's apology asked the person to send
    their message again, though the webhook's 503 makes Telegram deliver it again and the
    bot then processes it by itself: a person who did as told had their message processed
    twice, the copy taken as the answer to the next question. And every
    redelivery that met the outage sent the apology again. Now the person is told once
    per update that it will be answered and need not be sent again."""
    async with BotAPIStandIn() as api:
        bot = PostgresBot(api, bot_settings(api, tmp_path / "data", "webhook"), "webhook")
        bot.url = own_server.create_database("told_once")
        await bot.start()
        try:
            person = Person(bot, 7002)
            await person.say("/start")
            await person.press("agree")
            message, data = person.find_button("small_business")
            update = api.callback_update(person.user, data, message_id=message["message_id"])
            before = len(api.messages_to(person.id))
            own_server.halt()
            assert await api.deliver(update) == 503
            told = api.messages_to(person.id)[before:]
            assert len(told) == 1 and WAIT_KO in Person.text(told), Person.text(told)
            assert SORRY_KO not in Person.text(told)
            assert await api.deliver(update) == 503  # Telegram's redelivery, still down
            assert len(api.messages_to(person.id)) == before + 1  # not told again

            own_server.resume()
            assert await api.deliver(update) == 200
            after = Person.text(api.messages_to(person.id)[before + 1 :])
            assert after and WAIT_KO not in after
            assert bot.storage.load_conversation(tg(person.id)).state == "service"
        finally:
            with contextlib.suppress(RuntimeError):  # already running again
                own_server.resume()
            await bot.stop()


async def test_an_update_polled_during_an_outage_asks_the_person_to_send_it_again(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    """Regression: in polling mode an update is acknowledged by the next getUpdates
    whatever became of it, so nothing delivers one that met the database down again; the
    person was told not to send it again, and it was lost. Polling, the person is asked
    to send it again (and nothing was applied)."""
    async with BotAPIStandIn() as api:
        bot = PostgresBot(api, bot_settings(api, tmp_path / "data", "polling"), "polling")
        bot.url = own_server.create_database("polled")
        await bot.start()
        try:
            person = Person(bot, 7003)
            await person.say("/start")
            await person.press("agree")
            own_server.halt()
            during = await person.press("small_business")
            assert SORRY_KO in during and WAIT_KO not in during, during
            own_server.resume()
            assert "어떤 분이신가요?" not in await person.press("small_business")
            assert bot.storage.load_conversation(tg(person.id)).state == "service"
        finally:
            with contextlib.suppress(RuntimeError):  # already running again
                own_server.resume()
            await bot.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def _until(condition: Any, what: str, limit: float = 30.0) -> None:
    """Wait for ``condition()`` (a bound on a hang, not a timing the test asserts)."""
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.05)


async def test_the_scheduler_goes_on_after_a_rescan_during_an_outage(
    own_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: a rescan of the stored schedule (every 10 minutes with DATABASE_URL)
    that met the database down raised out of the scheduler's loop and ended it: that
    instance never reminded anyone again, nor retried a failed push."""
    url = own_server.create_database("rescan")
    clock = Clock()
    other = PostgresStorage(url, pool_size=2)  # the instance that hears the person
    mine = PostgresStorage(url, pool_size=2, wait_s=0.5)
    services = [IntakeService(IntakeFlow(load_policy()), s, clock=clock) for s in (other, mine)]
    scheduler = Scheduler(services[1], interval_s=0.05, rescan_s=0.2)
    rounds = asyncio.create_task(scheduler.run_forever())
    user = UserKey("testdoor", "heard-elsewhere")
    try:
        await asyncio.sleep(0.3)  # the start-up scan and a few rounds on a working server
        own_server.halt()
        await _until(lambda: rounds.done() or "rescan" in caplog.text, "a rescan met the outage")
        own_server.resume()
        services[0].handle(user, CommandInput("start"))
        services[0].handle(user, ChoiceInput("consent", "agree"))
        clock.now += 25 * 3600  # the draft is due a reminder; only a rescan finds it here
        await _until(lambda: rounds.done() or mine.undelivered_notices(user), "the reminder stored")
        assert not rounds.done(), rounds.exception()
        assert [n.kind for n in mine.undelivered_notices(user)] == ["reminder"]
    finally:
        rounds.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await rounds
        other.close()
        mine.close()


async def test_the_scheduler_starts_its_rounds_after_a_start_up_scan_during_an_outage(
    own_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: the start-up scan (Scheduler.load_schedule) that met the database down
    raised out of run_forever and ended it before its first round: an instance started
    (or restarted) during an outage never reminded anyone, nor retried a failed push.
    It is now tried again each round until it succeeds, as the periodic rescan is."""
    url = own_server.create_database("startscan")
    clock = Clock()
    other = PostgresStorage(url, pool_size=2)  # the instance that hears the person
    mine = PostgresStorage(url, pool_size=2, wait_s=0.5)
    services = [IntakeService(IntakeFlow(load_policy()), s, clock=clock) for s in (other, mine)]
    user = UserKey("testdoor", "heard-before-the-outage")
    services[0].handle(user, CommandInput("start"))
    services[0].handle(user, ChoiceInput("consent", "agree"))
    clock.now += 25 * 3600  # the draft is due a reminder; only a scan finds it here
    own_server.halt()
    scheduler = Scheduler(services[1], interval_s=0.05, rescan_s=None)
    rounds = asyncio.create_task(scheduler.run_forever())
    try:
        await _until(
            lambda: rounds.done() or "start-up scan" in caplog.text, "the start-up scan failed"
        )
        own_server.resume()
        await _until(lambda: rounds.done() or mine.undelivered_notices(user), "the reminder stored")
        assert not rounds.done(), rounds.exception()
        assert [n.kind for n in mine.undelivered_notices(user)] == ["reminder"]
    finally:
        with contextlib.suppress(RuntimeError):  # already running again
            own_server.resume()
        rounds.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await rounds
        other.close()
        mine.close()


async def test_a_kakao_answer_during_an_outage_can_be_sent_again_once_it_is_back(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    """Regression: the KakaoTalk door kept its 'please send that again' answer as the
    person's last answer, so sending the same words again within a minute (as it asks)
    was taken for Kakao's retry and got the same apology, with the database back."""
    store = PostgresStorage(own_server.create_database("kakao"), pool_size=4, wait_s=1.0)
    async with running(tmp_path / "data", storage=store, budget_s=30.0) as bot:
        person = bot.person()
        await person.type("안녕하세요")
        await person.press("동의해요")
        (quick,) = [q for q in person.quick_replies if q["label"] == "소상공인"]
        own_server.halt()
        during = await person.send(quick["messageText"], extra=quick.get("extra"))
        assert SORRY_KO in during and "Traceback" not in during
        own_server.resume()
        after = await person.send(quick["messageText"], extra=quick.get("extra"))
        assert SORRY_KO not in after
        assert store.load_conversation(UserKey("kakao", person.user_id)).state == "service"
