"""A hundred users (a quarter of them through the web chat) finish their reports while the real
bot process is SIGKILLed at least twenty times."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path

import pytest

from flows.conversation import ALBUM_KEY
from flows.record import ConversationRecord
from flows.texts import t
from storage.tinydb_store import TinyDBStorage
from tests.soak.kill_soak import (
    ALBUM_REPLY_TIMEOUT_S,
    REPLY_TIMEOUT_S,
    SECRET,
    BotProcess,
    Plan,
    Run,
    Shown,
    SimulatedUser,
    SoakStandIn,
    run_soak,
)
from tests.support.bot_api import JSONDict
from tests.support.legacy_data import DATA_V1
from tests.support.users import tg

pytestmark = pytest.mark.slow  # the real bot process, killed and restarted over and over

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
    assert result.counts["web_users"] == USERS // 4  # a quarter files through the web chat
    assert result.problems == [], result.report()
    # 25 runs of the real bot process logged to this file: no secret may be in it.
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert log, "the bot wrote no log at all"
    assert SoakStandIn().token not in log and SECRET not in log


async def test_every_promise_survives_twenty_kills_on_a_migrated_directory(tmp_path):
    """The same soak on tests/fixtures/data_v1 converted by ``python -m bot migrate``: the
    upgrade's directory keeps every promise, and its own cases come through untouched."""
    result = await run_soak(tmp_path, users=USERS, kills=KILLS, migrated_from=DATA_V1)
    print(result.report())
    assert result.counts["kills"] >= KILLS
    assert result.counts["legacy_cases"] == 3
    assert result.problems == [], result.report()
    assert result.counts["cases"] == result.counts["finished"] + 3


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


ALBUM_REPORT = Plan(
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
ALBUM_RECEIVED = t("ko", "file.received", names="")


class SendKillingStandIn(SoakStandIn):
    """The stand-in, killing the bot when it sends a message containing ``kill_on``.

    The message is not delivered: the bot died while its request was on the way.
    """

    def __init__(self) -> None:
        super().__init__()
        self.bot: BotProcess | None = None
        self.kill_on: str | None = None
        self.killed = False

    def _store(self, chat: JSONDict, fields: JSONDict, markup: JSONDict | None) -> JSONDict:
        if self.bot and self.kill_on and self.kill_on in (fields.get("text") or ""):
            self.kill_on = None
            self.killed = True
            os.kill(self.bot.pid, signal.SIGKILL)
            raise ConnectionResetError("the bot died sending this message")
        return super()._store(chat, fields, markup)


async def send_album_then_restart(
    api: SendKillingStandIn, bot: BotProcess, kill_on: str | None
) -> tuple[SimulatedUser, bool]:
    """Take the album report to its evidence question, send the album, restart the bot.

    Without ``kill_on`` the bot is killed right after the album's last item got its
    200, inside the quiet second before the album's reply; with it, when it sends a
    message containing ``kill_on``. Return the user and whether the album got a reply.
    """
    run = Run(api, deadline=time.monotonic() + 60)
    user = SimulatedUser(run, ALBUM_REPORT, start_at=0)
    album = user.answer(await answer_until(user, run, "evidence"))
    assert len(album) == 2
    before = len(user.log.messages)
    api.kill_on = kill_on
    for update in album:
        await run.deliver(update)  # each item saved before its 200
    if kill_on is None:
        await bot.kill()
    else:
        async with asyncio.timeout(10):
            while bot.alive():
                await asyncio.sleep(0.01)
        assert api.killed
    await bot.start()
    replied = await user.log.wait_beyond(before, ALBUM_REPLY_TIMEOUT_S)
    return user, replied


def saved_draft(data_dir: Path) -> ConversationRecord | None:
    store = TinyDBStorage(data_dir)
    try:
        return store.load_conversation(tg(ALBUM_REPORT.user_id))
    finally:
        store.close()


async def test_an_album_is_answered_when_the_bot_died_before_answering_it(tmp_path):
    """Regression: the album's reply timer lived only in memory (fixed in 828833e)."""
    async with SendKillingStandIn() as api:
        bot = api.bot = BotProcess(api, tmp_path / "data", tmp_path / "bot.log")
        await bot.start()
        try:
            user, replied = await send_album_then_restart(api, bot, kill_on=None)
        finally:
            await bot.stop()
    record = saved_draft(tmp_path / "data")
    assert record is not None and record.state == "evidence"
    assert len(record.answers["evidence"]) == 2
    assert replied, "no reply to the album after the restart"
    assert ALBUM_RECEIVED in user.log.messages[-1].text


async def test_an_album_is_answered_when_the_bot_died_sending_the_answer(tmp_path):
    async with SendKillingStandIn() as api:
        bot = api.bot = BotProcess(api, tmp_path / "data", tmp_path / "bot.log")
        await bot.start()
        try:
            user, replied = await send_album_then_restart(api, bot, kill_on=ALBUM_RECEIVED)
        finally:
            await bot.stop()
    record = saved_draft(tmp_path / "data")
    # The files are safe and the draft waits at the evidence question: no answer is lost...
    assert record is not None and record.state == "evidence"
    assert len(record.answers["evidence"]) == 2
    assert ALBUM_KEY not in record.answers  # ...but the album was closed before its reply
    # ...and the user is never told the album arrived.
    assert replied, "no reply to the album after the restart"
    assert ALBUM_RECEIVED in user.log.messages[-1].text
