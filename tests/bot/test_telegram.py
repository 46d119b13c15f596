"""The Telegram bot end to end: real update JSON, the real Application, a local Bot API over HTTP.

Every scripted conversation runs four times: with long polling and with the webhook on
the bot's own aiohttp server, each on a new data directory and on one migrated from an
earlier release's (tests/support/legacy_data.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
import pytest
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.intake import IntakeService
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.telegram_send import marking as _marking
from flows.conversation import IntakeFlow
from flows.policy import load_policy
from storage.tinydb_store import TinyDBStorage
from tests.support.bot_api import BotAPIStandIn
from tests.support.legacy_data import (
    EXPIRED_AT_START,
    LEGACY_USERS,
    legacy_cases,
    migrated_copy,
    missing_cases,
)
from tests.support.running_bot import MODES, SECRET, Person, running_bot
from tests.support.users import tg


@pytest.fixture(
    params=[(mode, start) for start in ("fresh", "migrated") for mode in MODES], ids="-".join
)
async def bot(request, tmp_path):
    """The bot in each mode, on a new data directory and on one migrated from the release
    before UserKey (tests/fixtures/data_v1): its people and cases must not get in the way,
    and must all be there afterwards."""
    mode, start = request.param
    data_dir = tmp_path / "data"
    legacy = {}
    if start == "migrated":
        migrated_copy(data_dir)
        legacy = legacy_cases(data_dir)
        assert len(legacy) == 3
        async with running_bot(data_dir, mode, known_users=LEGACY_USERS) as running:
            # What starting on old data does first (expiring 2022's drafts, reminding of
            # documents) is done before the test's own calls are counted.
            async with asyncio.timeout(10):
                while not all(running.api.messages_to(u) for u in EXPIRED_AT_START):
                    await asyncio.sleep(0.01)
            await running.channel.idle()
            yield running
        assert missing_cases(data_dir, legacy) == []
        return
    async with running_bot(data_dir, mode) as running:
        yield running


async def start_small_business(person: Person) -> None:
    assert "동의하시나요?" in await person.say("/start")
    assert "어떤 분이신가요?" in await person.press("agree")
    await person.press("small_business")
    await person.press("talk_channel")
    await person.press("free")
    assert "무슨 일이 있었는지" in await person.press("yes")
    assert "피해 금액을 적어 주세요" in await person.say("예약 문의를 못 받았어요")


async def test_small_business_report_with_an_album(bot):
    person = Person(bot, 5001)
    await start_small_business(person)
    assert "350,000원 맞으신가요?" in await person.say("35만 원")
    text = await person.press("yes", replies=2)
    assert "현금 5만 원 지원 대상" in text and "사업자등록번호" in text
    assert "채널 메시지 캐시 5만 원" in text  # a Channel's own damage: not asked, inferred
    text = await person.say("220-81-62517")
    assert "증빙 자료" in text and "채널을 운영하고" not in text

    # An album of two receipts: two updates with one media_group_id, one reply.
    api = bot.api
    before = len(api.messages_to(person.id))
    album = tuple(
        api.photo_update(person.user, b"\xff\xd8receipt-%d" % n, media_group_id="album-1")
        for n in (1, 2)
    )
    for update in album:
        await bot.send(update, replies=0)
    # Idle includes the album's quiet period: once settled, its reply is out, and alone.
    await bot.settle(album)
    (reply,) = api.messages_to(person.id)[before:]  # one reply for the album, not two
    assert reply["text"].startswith("받았어요: photo_")
    assert reply["text"].count("photo_") == 2

    assert "접수 내용을 확인해 주세요" in await person.press("done")
    text = await person.press("submit")
    assert "접수번호:" in text and "현금 50,000원 + 채널 메시지 캐시 50,000원" in text
    case_number = text.split("접수번호: ")[1].split()[0]
    case = bot.storage.get_case(case_number)
    assert case.tier == "cash_50k" and len(case.evidence) == 2
    status = await person.say("/status")
    assert case_number in status and "현금 50,000원" in status and "접수됨" in status


async def test_pressed_buttons_are_cleared_and_marked(bot):
    person = Person(bot, 5002)
    await person.say("/start")
    consent = bot.api.messages_to(person.id)[-1]
    since = len(bot.api.calls)
    await person.press("agree")
    # The edit goes out beside the next question, not before it: wait for it.
    await bot.api.wait_for_call("editMessageText", since=since)
    edited = next(
        m for m in bot.api.messages_to(person.id) if m["message_id"] == consent["message_id"]
    )
    assert not (edited.get("reply_markup") or {}).get("inline_keyboard")
    assert edited["text"].endswith("✓ 동의해요")
    # The press is answered once. With a webhook the edit is the webhook's response
    # (Telegram makes the call: one request fewer per press).
    await bot.api.wait_for_call("answerCallbackQuery", since=since)
    calls = [
        (c.method, c.ok, c.via)
        for c in bot.api.calls[since:]
        if c.method in ("answerCallbackQuery", "editMessageText", "editMessageReplyMarkup")
    ]
    edit_via = "webhook_reply" if bot.mode == "webhook" else "request"
    assert sorted(calls) == [
        ("answerCallbackQuery", True, "request"),
        ("editMessageText", True, edit_via),
    ]


async def test_a_double_tap_is_not_shown_as_the_choice(bot):
    # Both presses are made on the consent question before the bot has answered either.
    person = Person(bot, 5010)
    await person.say("/start")
    consent = bot.api.messages_to(person.id)[-1]
    agree = bot.api.callback_update(person.user, "consent:agree", message_id=consent["message_id"])
    decline = bot.api.callback_update(
        person.user, "consent:decline", message_id=consent["message_id"]
    )
    since = len(bot.api.calls)
    assert "어떤 분이신가요?" in Person.text(await bot.send(agree))
    await bot.api.wait_for_call("editMessageText", since=since)
    assert "지나간 질문" in Person.text(await bot.process(decline))
    assert bot.storage.load_conversation(tg(person.id)).state == "reporter_type"
    shown = next(
        m for m in bot.api.messages_to(person.id) if m["message_id"] == consent["message_id"]
    )
    assert shown["text"].endswith("✓ 동의해요")  # what counted, not the second tap
    assert "동의하지 않아요" not in shown["text"]


async def test_general_user_free_service_gets_the_package(bot):
    person = Person(bot, 5003, language_code="en")
    await person.say("/start")
    await person.press("agree")
    await person.press("general")
    await person.press("kakaomap")
    await person.press("yes")
    assert "How much did you lose?" in await person.press("skip")
    await person.say("50000")
    text = await person.press("yes", replies=2)
    assert "package every user gets" in text
    await person.press("skip")
    text = await person.press("submit")
    assert "Case number:" in text and "All-user package" in text
    assert "emoticon sets" in text


async def test_company_above_500k_goes_to_review(bot):
    person = Person(bot, 5004)
    await person.say("/start")
    await person.press("agree")
    await person.press("company")
    await person.press("kakao_login")
    await person.press("yes")
    await person.say("거래처 주문을 받지 못했어요")
    await person.say("1,200만원")
    text = await person.press("yes", replies=2)
    assert "기업 피해는" in text and "협의체" in text and "통장 사본" in text
    assert "소상공인 확인서" not in text
    doc = bot.api.document_update(person.user, b"%PDF-1.4 sales", "매출.pdf", "application/pdf")
    assert "받았어요: 매출.pdf" in Person.text(await bot.send(doc))
    await person.press("done")
    text = await person.press("submit")
    assert "협의체 심사" in text


async def test_restart_mid_conversation_resumes(bot):
    person = Person(bot, 5005)
    await start_small_business(person)
    await bot.stop()
    await bot.start()
    # The draft survived: the amount question is still the one being answered.
    assert "350,000원 맞으신가요?" in await person.say("35만 원")


async def test_same_update_twice_has_one_effect(bot):
    if bot.mode != "webhook":
        pytest.skip("polling redelivers only after a crash; webhook retries are the everyday case")
    person = Person(bot, 5006)
    await person.say("/start")
    await person.press("agree")
    await person.press("general")
    await person.press("daum")
    update = bot.api.callback_update(
        person.user, "monetary:no", message_id=bot.api.messages_to(person.id)[-1]["message_id"]
    )
    await bot.send(update)
    count = len(bot.api.messages_to(person.id))
    await bot.send(update, replies=0)
    await bot.settle((update,))  # a wrong second reply would be out by then
    assert len(bot.api.messages_to(person.id)) == count
    assert bot.storage.load_conversation(tg(person.id)).state == "description"


async def test_forged_and_stale_buttons_are_refused_politely(bot):
    person = Person(bot, 5007)
    await person.say("/start")
    await person.press("agree")
    message_id = bot.api.messages_to(person.id)[-1]["message_id"]
    forged = bot.api.callback_update(person.user, "amount:9999999", message_id=message_id)
    assert "버튼" in Person.text(await bot.send(forged))
    junk = bot.api.callback_update(person.user, "no-separator", message_id=message_id)
    assert "지나간 질문" in Person.text(await bot.send(junk))
    assert bot.storage.load_conversation(tg(person.id)).state == "reporter_type"


async def test_unsupported_messages_and_groups_get_clear_hints(bot):
    person = Person(bot, 5008)
    await person.say("/start")
    assert "스티커" in Person.text(await bot.send(bot.api.sticker_update(person.user)))
    group = bot.api.text_update(person.user, "/start", chat_type="group", chat_id=-100123)
    if bot.mode == "webhook":
        assert await bot.api.deliver(group) == 200
    else:
        bot.api.queue(group)
    messages = await bot.api.wait_for_messages(-100123, 1)
    assert "1:1 대화" in messages[0]["text"]
    assert bot.storage.load_conversation(tg(person.id)).state == "consent"


async def test_too_big_document_is_explained(bot):
    person = Person(bot, 5009)
    await start_small_business(person)
    await person.say("10만")
    await person.press("yes", replies=2)
    assert "증빙 자료" in await person.say("220-81-62517")  # a Channel: no Channel question
    big = bot.api.document_update(
        person.user, None, "장부.pdf", "application/pdf", file_size=25 * 1024 * 1024
    )
    assert "장부.pdf: 파일이 너무 커요(25MB)" in Person.text(await bot.send(big))


async def test_command_menus_are_set_in_both_languages(bot):
    languages = {key.language_code for key in bot.api.commands}
    assert {"ko", "en"} <= languages
    for commands in bot.api.commands.values():
        names = {c["command"] for c in commands}
        assert "start" in names and "export" not in names


async def test_webhook_refuses_a_wrong_secret(bot):
    if bot.mode != "webhook":
        pytest.skip("webhook only")
    url = f"http://127.0.0.1:{bot.settings.port}/telegram/webhook"
    update = bot.api.text_update(bot.api.user(5010), "/start")
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        ) as r:
            assert r.status == 403
        async with session.post(url, json=update) as r:
            assert r.status == 403
        async with session.get(f"http://127.0.0.1:{bot.settings.port}/healthz") as r:
            assert r.status == 200 and (await r.json())["status"] == "ok"
    assert bot.api.messages_to(5010) == []
    assert bot.api.webhook["secret_token"] == SECRET


def test_settings_replace_is_available():
    assert replace(Settings(), port=1).port == 1


async def test_flood_control_and_server_errors_are_retried_without_losing_the_reply(bot):
    person = Person(bot, 5011)
    bot.api.fail_next("sendMessage", 429, retry_after=1)
    assert "동의하시나요?" in await person.say("/start")
    bot.api.fail_next("sendMessage", 502, times=2)
    assert "어떤 분이신가요?" in await person.press("agree")
    sends = [c for c in bot.api.calls if c.method.lower() == "sendmessage"]
    assert sum(not c.ok for c in sends) == 3  # the failures happened and were retried
    # The waits asked for: the flood wait Telegram named, then backoff; none was spent
    # (the timing is injected), where real sleeps cost 2.5 s per mode.
    assert bot.waits == pytest.approx([1.0, 0.5, 1.0], abs=0.2)


async def test_reminder_and_expiry_reach_the_chat_and_survive_a_restart(tmp_path):
    """The schedule comes from stored timestamps: a new channel (after a restart) finds the draft."""
    from bot.telegram import TelegramChannel
    from flows.messages import ChoiceInput, CommandInput

    now = [1_700_000_000.0]
    async with BotAPIStandIn() as api:
        api.user(77)
        storage = TinyDBStorage(tmp_path / "data")
        service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
        service.handle(tg(77), CommandInput("start"))
        service.handle(tg(77), ChoiceInput("consent", "agree"))
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        channel = TelegramChannel(service, settings)  # as after a restart: nothing in memory
        scheduler = Scheduler(service)
        async with channel.build_application(polling=False):
            await scheduler.load_schedule()
            await scheduler.sweep_due_now()
            assert api.messages_to(77) == []  # not due yet
            now[0] += 25 * 3600
            await scheduler.sweep_due_now()
            (reminder,) = api.messages_to(77)
            assert (
                "아직 끝나지 않았어요" in reminder["text"]
                and reminder["reply_markup"]["inline_keyboard"]
            )
            now[0] += 14 * 24 * 3600
            await scheduler.sweep_due_now()
            assert "14일 동안 멈춰 있어서 지웠어요" in api.messages_to(77)[-1]["text"]
        assert storage.load_conversation(tg(77)) is None
        storage.close()


async def test_documents_reminder_reaches_the_chat_after_a_restart(tmp_path):
    """A review report sent without its documents is reminded of them once, 3 days on.

    The schedule comes from the cases, so a restart (nothing in memory) keeps it.
    """
    from bot.telegram import TelegramChannel
    from flows.messages import ChoiceInput, CommandInput, TextInput

    now = [1_700_000_000.0]
    async with BotAPIStandIn() as api:
        api.user(80)
        storage = TinyDBStorage(tmp_path / "data")
        service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
        service.handle(tg(80), CommandInput("start"))
        for question, value in (
            ("consent", "agree"),
            ("reporter_type", "company"),
            ("service", "kakao_login"),
            ("monetary", "yes"),
            ("description", "skip"),
        ):
            service.handle(tg(80), ChoiceInput(question, value))
        service.handle(tg(80), TextInput("80만원"))
        service.handle(tg(80), ChoiceInput("amount_confirm", "yes"))
        service.handle(tg(80), ChoiceInput("evidence", "later"))
        service.handle(tg(80), ChoiceInput("summary", "submit"))
        number = storage.load_conversation(tg(80)).case_number
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        channel = TelegramChannel(service, settings)  # as after a restart: nothing in memory
        scheduler = Scheduler(service)
        async with channel.build_application(polling=False):
            await scheduler.load_schedule()
            now[0] += 2 * 24 * 3600
            await scheduler.sweep_due_now()
            assert api.messages_to(80) == []  # not due yet
            now[0] += 24 * 3600 + 1
            await scheduler.sweep_due_now()
            (reminder,) = api.messages_to(80)
            assert number in reminder["text"] and "통장 사본" in reminder["text"]
            (button,) = reminder["reply_markup"]["inline_keyboard"][0]
            assert button["callback_data"] == f"docs:{number}"
            now[0] += 24 * 3600
            await scheduler.sweep_due_now()
            assert len(api.messages_to(80)) == 1  # once
        storage.close()


async def test_documents_asked_for_on_the_web_are_reminded_without_a_restart(tmp_path):
    """Regression: the channel scheduled a user's check only at start-up or after the
    user's own turn, so documents staff asked for (on the web) were never reminded of
    unless the user wrote again or the bot restarted."""
    from bot.staff.review import ReviewService
    from bot.telegram import TelegramChannel
    from flows.messages import ChoiceInput, CommandInput, TextInput

    now = [1_700_000_000.0]
    async with BotAPIStandIn() as api:
        api.user(82)
        storage = TinyDBStorage(tmp_path / "data")
        service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
        service.handle(tg(82), CommandInput("start"))
        for question, value in (
            ("consent", "agree"),
            ("reporter_type", "general"),
            ("service", "kakaotalk"),
            ("paid", "free"),
            ("monetary", "no"),
        ):
            service.handle(tg(82), ChoiceInput(question, value))
        service.handle(tg(82), TextInput("메시지가 하루 동안 안 갔어요"))
        service.handle(tg(82), ChoiceInput("summary", "submit"))
        number = storage.load_conversation(tg(82)).case_number
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        channel = TelegramChannel(service, settings)
        scheduler = Scheduler(service)
        review = ReviewService(storage, notices=service.notices, clock=lambda: now[0])
        async with channel.build_application(polling=False):
            await scheduler.load_schedule()  # the bot runs: nothing is due for user 82
            await review.request_documents(number, staff="staff:김담당", documents="통화 기록")
            (request,) = api.messages_to(82)
            assert "통화 기록" in request["text"]
            await scheduler.sweep_due_now()
            now[0] += 3 * 24 * 3600 + 1  # the user stays silent; the bot keeps running
            await scheduler.sweep_due_now()
            reminder = api.messages_to(82)[-1]
            assert len(api.messages_to(82)) == 2
            assert number in reminder["text"] and "통화 기록" in reminder["text"]
        storage.close()


async def test_a_forwarded_command_is_quoted_text_not_an_order(bot):
    """Pins: a forwarded message reading /cancel cancelled the draft."""
    person = Person(bot, 5012)
    await start_small_business(person)
    forwarded = bot.api.text_update(person.user, "/cancel", forward=True)
    text = Person.text(await bot.send(forwarded))
    assert "금액을 찾지 못했어요" in text  # read as an (unreadable) amount, not as /cancel
    assert bot.storage.load_conversation(tg(person.id)).state == "amount"


async def test_a_full_width_slash_command_is_a_command(bot):
    """Regression: '／cancel' (a Korean keyboard in full-width mode) was read as an amount."""
    person = Person(bot, 5013)
    await start_small_business(person)
    text = Person.text(await bot.send(bot.api.text_update(person.user, "／ＣＡＮＣＥＬ")))
    assert "금액을 찾지 못했어요" not in text
    assert bot.storage.load_conversation(person.id) is None  # cancelled: the draft is gone


async def test_one_users_failed_reminder_does_not_stop_the_sweep(tmp_path, caplog):
    """Pins: a send that gave up ended the sweep task, so nobody got reminders any more.

    The reminder that could not be pushed is kept as an undelivered notice and tried
    again later (it was dropped and re-made each round before notices were stored)."""
    from bot.telegram import TelegramChannel
    from flows.messages import ChoiceInput, CommandInput

    now = [1_700_000_000.0]
    async with BotAPIStandIn() as api:
        api.user(78)  # user 79 is unknown to Telegram: sending to them is refused
        storage = TinyDBStorage(tmp_path / "data")
        service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
        for user in (tg(79), tg(78)):
            service.handle(user, CommandInput("start"))
            service.handle(user, ChoiceInput("consent", "agree"))
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        channel = TelegramChannel(service, settings)
        scheduler = Scheduler(service)
        async with channel.build_application(polling=False):
            await scheduler.load_schedule()
            now[0] += 25 * 3600
            with caplog.at_level("WARNING", logger="bot.notices"):
                await scheduler.sweep_due_now()
        assert "아직 끝나지 않았어요" in api.messages_to(78)[-1]["text"]
        assert "for telegram:79 not delivered" in caplog.text
        (kept,) = storage.undelivered_notices(tg(79))  # not dropped: retried later
        assert kept.kind == "reminder" and kept.attempts == 1
        assert "아직 끝나지 않았어요" in kept.replies[0]["text"]
        storage.close()


def test_a_marking_that_would_be_too_long_only_clears_the_keyboard():
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("예", callback_data="q:yes")]])
    chat = Chat(1, Chat.PRIVATE)
    when = datetime(2022, 10, 15, tzinfo=UTC)
    short = Message(7, when, chat, text="질문", reply_markup=keyboard)
    assert _marking(short, "q:yes", shown=True) == {
        "method": "editMessageText",
        "chat_id": 1,
        "message_id": 7,
        "text": "질문\n\n✓ 예",
    }
    assert _marking(short, "q:yes", shown=False)["method"] == "editMessageReplyMarkup"
    full = Message(8, when, chat, text="가" * 4096, reply_markup=keyboard)
    assert _marking(full, "q:yes", shown=True)["method"] == "editMessageReplyMarkup"
    assert _marking(Message(9, when, chat, text="x"), "q:yes", shown=True) is None


def live_question_keyboards(api, chat_id: int) -> list[int]:
    """Ids of the user's messages that still carry buttons of a conversation question."""
    from flows.machine import STATES

    return [
        m["message_id"]
        for m in api.messages_to(chat_id)
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])[:1]
        if row and row[0]["callback_data"].split(":", 1)[0] in STATES
    ]


async def test_a_question_asked_again_takes_the_old_keyboard_away(bot):
    """Regression (issue 10, item 18): after Continue or /lang the question came again with
    its buttons, and the old copy's buttons stayed live beside it."""
    person = Person(bot, 5020)
    api = bot.api

    def last() -> int:
        return api.messages_to(person.id)[-1]["message_id"]

    async def press(value: str) -> str:
        message, data = person.find_button(value)
        update = api.callback_update(person.user, data, message_id=message["message_id"])
        return Person.text(await bot.process(update))

    await bot.process(api.command_update(person.user, "/start"))
    await press("agree")
    assert live_question_keyboards(api, person.id) == [last()]  # "who are you?"
    # /start mid-draft asks to continue or restart: the old question's buttons go.
    await bot.process(api.command_update(person.user, "/start"))
    assert live_question_keyboards(api, person.id) == [last()]
    assert "어떤 분이신가요?" in await press("continue")
    assert live_question_keyboards(api, person.id) == [last()]
    asked = last()
    # /lang: the language buttons are not a question of the report and stay until pressed.
    await bot.process(api.command_update(person.user, "/lang"))
    assert live_question_keyboards(api, person.id) == [asked]
    assert "Who are you reporting as?" in await press("en")
    assert live_question_keyboards(api, person.id) == [last()]
    # A typed answer: the next question's buttons replace the answered one's.
    await bot.process(api.text_update(person.user, "General user"))
    assert live_question_keyboards(api, person.id) == [last()]


async def test_with_the_rate_limiter_on_a_message_is_tried_at_most_send_attempts_times(tmp_path):
    """Regression: the channel retried flood waits on top of PTB's AIORateLimiter(max_retries=3),
    so one message could be tried up to 16 times (4 x 4), and tests ran with the limiter off.

    With the limiter on (as in production), a message Telegram keeps refusing with 429 is
    tried SEND_ATTEMPTS times in all, then the failure reaches the caller.
    """
    from telegram.error import RetryAfter

    from bot.telegram import TelegramChannel
    from bot.telegram_send import SEND_ATTEMPTS
    from flows.messages import Reply

    async with BotAPIStandIn() as api:
        api.user(81)
        storage = TinyDBStorage(tmp_path / "data")
        service = IntakeService(IntakeFlow(load_policy()), storage)
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=30,  # the rate limiter on
        )
        waits: list[float] = []

        async def no_wait(seconds: float) -> None:
            waits.append(seconds)

        channel = TelegramChannel(service, settings, sleep=no_wait)
        api.fail_next("sendMessage", 429, retry_after=1, times=100)
        async with channel.build_application(polling=False):
            with pytest.raises(RetryAfter):
                await channel.deliver(tg(81), [Reply("접수번호 안내")])
        tries = [c for c in api.calls if c.method == "sendMessage"]
        assert len(tries) == SEND_ATTEMPTS == 4
        assert not any(c.ok for c in tries)
        # Each retry waited the flood wait Telegram named (here asked for, not spent).
        assert waits == pytest.approx([1.0] * (SEND_ATTEMPTS - 1), abs=0.2)
        storage.close()
