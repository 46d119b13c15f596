"""Staff commands in Telegram: /export and /stats for STAFF_IDS, nonexistent for everyone else."""

from __future__ import annotations

import csv
import io

import pytest
from telegram import Update

from bot.intake import IntakeService
from bot.settings import Settings
from bot.telegram import TelegramChannel
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput, CommandInput, TextInput
from flows.policy import load_policy
from storage.tinydb_store import TinyDBStorage
from tests.support.bot_api import BotAPIStandIn
from tests.support.users import tg

STAFF = 900


@pytest.fixture
async def channel(tiny: TinyDBStorage):
    async with BotAPIStandIn() as api:
        storage = tiny
        service = IntakeService(IntakeFlow(load_policy()), storage)
        for user in (tg(31), tg(32)):  # two users with a submitted non-monetary report each
            service.handle(user, CommandInput("start"))
            for value in ("agree", "general", "daum", "no"):
                service.handle(user, ChoiceInput(storage.load_conversation(user).state, value))
            service.handle(user, TextInput('=HYPERLINK("http://evil")'))
            service.handle(user, ChoiceInput("summary", "submit"))
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
            staff_ids=frozenset({STAFF}),
        )
        channel = TelegramChannel(service, settings)
        channel.api = api
        async with channel.build_application(polling=False) as application:
            channel.send = lambda update: channel.accept(Update.de_json(update, application.bot))
            yield channel


async def test_staff_export_sends_a_csv_for_excel(channel):
    api = channel.api
    staff = api.user(STAFF, language_code="ko")
    await channel.send(api.command_update(staff, "/export csv type=general"))
    (document,) = api.documents_sent
    assert document.file_name.endswith(".csv") and document.caption == "2건"
    assert document.data.startswith(b"\xef\xbb\xbf")  # the BOM Korean Excel needs
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert not any(cell.startswith("=") for row in rows for cell in row)  # injection neutralised


async def test_staff_export_explains_a_bad_filter(channel):
    api = channel.api
    staff = api.user(STAFF)
    await channel.send(api.command_update(staff, "/export status=lost"))
    text = api.messages_to(STAFF)[-1]["text"]
    assert "'lost'" in text and "사용법: /export" in text
    assert api.documents_sent == []


async def test_staff_export_usage_speaks_the_staffs_language(channel):
    """Regression: /export's usage and errors were English only; they follow the staff's
    language as the file and /stats do (BOT default, or the word `en`/`ko`)."""
    api = channel.api
    staff = api.user(STAFF, language_code="ko")
    await channel.send(api.command_update(staff, "/export nonsense"))
    text = api.messages_to(STAFF)[-1]["text"]
    assert "'nonsense'" in text and "사용법: /export" in text and "Usage" not in text
    await channel.send(api.command_update(staff, "/export from=2022-13-40"))
    text = api.messages_to(STAFF)[-1]["text"]
    assert "날짜" in text and "YYYY-MM-DD" in text and "month must be" not in text
    await channel.send(api.command_update(staff, "/export en nonsense"))
    assert "I can't use 'nonsense'. Usage: /export" in api.messages_to(STAFF)[-1]["text"]
    await channel.send(api.command_update(staff, "/export csv type=general"))
    assert api.documents_sent[-1].caption == "2건"
    await channel.send(api.command_update(staff, "/export csv en type=general"))
    assert api.documents_sent[-1].caption == "2 cases"


async def test_staff_stats_is_monospace(channel):
    api = channel.api
    staff = api.user(STAFF)
    await channel.send(api.command_update(staff, "/stats"))
    message = api.messages_to(STAFF)[-1]
    assert "2" in message["text"]
    assert any(e["type"] == "pre" for e in message.get("entities", []))


@pytest.mark.parametrize("command", ["/export", "/export csv", "/stats"])
async def test_staff_commands_do_not_exist_for_others(channel, command):
    api = channel.api
    await channel.send(api.command_update(api.user(31), command))
    assert "모르는 명령이에요" in api.messages_to(31)[-1]["text"]
    assert api.documents_sent == []


async def test_notify_a_user_who_blocked_the_bot_raises_so_review_can_record_it(channel):
    """Pins: notify() (now deliver()) used to swallow Forbidden, so a blocked user looked 'told'."""
    from telegram.error import Forbidden

    from flows.messages import Reply

    channel.api.user(31)
    channel.api.block(31)
    with pytest.raises(Forbidden):
        await channel.deliver(tg(31), [Reply("접수번호 안내")])


async def test_refused_requests_are_not_retried(channel):
    """Pins: BadRequest is a NetworkError in PTB and was retried with backoff for seconds."""
    from telegram.error import BadRequest

    from flows.messages import Reply

    before = len([c for c in channel.api.calls if c.method.lower() == "sendmessage"])
    with pytest.raises(BadRequest):
        await channel.deliver(tg(987_654), [Reply("nobody")])  # a chat Telegram does not know
    after = len([c for c in channel.api.calls if c.method.lower() == "sendmessage"])
    assert after - before == 1
