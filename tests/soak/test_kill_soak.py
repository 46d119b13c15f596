"""A hundred users finish their reports while the real bot process is SIGKILLed at least twenty times."""

from __future__ import annotations

import logging
import time

import pytest

from flows.texts import t
from storage.tinydb_store import TinyDBStorage
from tests.soak.kill_soak import (
    ALBUM_REPLY_TIMEOUT_S,
    REPLY_TIMEOUT_S,
    BotProcess,
    Plan,
    Run,
    Shown,
    SimulatedUser,
    SoakStandIn,
    run_soak,
)

USERS = 100
KILLS = 20


@pytest.fixture(autouse=True)
def quiet_resets(caplog):
    # The bot dies mid-request on purpose; the stand-in's server would log every reset.
    caplog.set_level(logging.CRITICAL, logger="aiohttp.server")


async def test_every_promise_survives_twenty_kills(tmp_path):
    result = await run_soak(tmp_path, users=USERS, kills=KILLS)
    print(result.report())  # the counts, shown with -s or when the test fails
    assert result.counts["kills"] >= KILLS
    assert result.problems == [], result.report()


async def answer_until(user: SimulatedUser, run: Run, question: str) -> Shown:
    """Drive one user's report until the bot asks ``question``."""
    updates = [run.api.command_update(user.user, "/start")]
    while True:
        before = len(user.log.messages)
        for update in updates:
            await run.deliver(update)
        assert await user.log.wait_beyond(before, REPLY_TIMEOUT_S)
        shown = user.log.question()
        assert shown is not None
        if shown.question == question:
            return shown
        updates = user.answer(shown)


async def test_an_album_is_answered_when_the_bot_died_before_answering_it(tmp_path):
    plan = Plan(
        user_id=820_000_001,
        lang="ko",
        reporter_type="company",
        service="kakao_login",
        paid=False,
        monetary=True,
        asks_paid=False,
        amount=12_000_000,
        amount_text="1,200만원",
        photos=2,
        album=True,
    )
    async with SoakStandIn() as api:
        run = Run(api, deadline=time.monotonic() + 60)
        bot = BotProcess(api, tmp_path / "data", tmp_path / "bot.log")
        await bot.start()
        try:
            user = SimulatedUser(run, plan, start_at=0)
            album = user.answer(await answer_until(user, run, "evidence"))
            assert len(album) == 2
            before = len(user.log.messages)
            for update in album:
                await run.deliver(update)  # each item saved before its 200
            await bot.kill()  # inside the bot's one quiet second before the album's reply
            await bot.start()
            replied = await user.log.wait_beyond(before, ALBUM_REPLY_TIMEOUT_S)
        finally:
            await bot.stop()
    store = TinyDBStorage(tmp_path / "data")
    try:
        record = store.load_conversation(plan.user_id)
    finally:
        store.close()
    # What holds today: both photos are saved and the draft waits at the evidence question.
    assert record is not None and record.state == "evidence"
    assert len(record.answers["evidence"]) == 2
    # What does not: the user is never told the album arrived.
    assert replied, "no reply to the album after the restart"
    received = t("ko", "file.received", names="")
    assert received in user.log.messages[-1].text
