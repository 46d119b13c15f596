"""The Bot API stand-in, driven by the real python-telegram-bot over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.support.bot_api import (
    SECRET_HEADER,
    BotAPIStandIn,
    CommandsKey,
    GeneratedFile,
    parse_html,
)

KIM = 1001


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(api: BotAPIStandIn) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bot:
        yield bot


@contextlib.asynccontextmanager
async def webhook_server(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """Serve ``handler`` at POST /telegram on loopback; yield its URL."""
    app = web.Application()
    app.router.add_post("/telegram", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}/telegram"
    finally:
        await runner.cleanup()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


async def test_get_me_identifies_the_bot(api: BotAPIStandIn, bot: Bot) -> None:
    assert bot.bot.id == 123456
    assert bot.bot.is_bot
    assert bot.username == "intake_test_bot"
    assert api.calls[0].method == "getMe"


async def test_a_wrong_token_is_rejected(api: BotAPIStandIn) -> None:
    for token in ("654321:WRONG", "not-a-token"):  # 401 and 404, both InvalidToken in PTB
        with pytest.raises(InvalidToken):
            async with Bot(token, base_url=api.base_url, base_file_url=api.base_file_url):
                pass


async def test_an_unknown_method_is_not_found(api: BotAPIStandIn, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendPigeon", api_kwargs={"chat_id": KIM})
    assert api.calls[-1].method == "sendPigeon"
    assert api.calls[-1].error_code == 404


async def test_a_sent_message_reads_back_with_its_keyboard(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    markup = keyboard(("예", "yes"), ("아니요", "no"))

    message = await bot.send_message(KIM, "계속할까요?", reply_markup=markup)

    assert message.message_id == 1
    assert message.reply_markup == markup
    [record] = api.messages_to(KIM)
    assert record["text"] == "계속할까요?"
    assert record["reply_markup"] == markup.to_dict()
    call = api.calls[-1]
    assert call.params["chat_id"] == KIM
    assert call.params["reply_markup"] == markup.to_dict()  # sent as a JSON string, decoded


async def test_string_parameters_are_not_read_as_json(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    message = await bot.send_message(KIM, "123")
    assert message.text == "123"
    assert api.calls[-1].params["text"] == "123"


async def test_message_ids_are_one_sequence_per_chat(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    api.user(1002)
    assert api.text_update(kim, "hi")["message"]["message_id"] == 1
    assert (await bot.send_message(KIM, "a")).message_id == 2
    assert (await bot.send_message(1002, "b")).message_id == 1


async def test_reply_keyboards_are_recorded_but_not_echoed(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    markup = ReplyKeyboardMarkup([["1", "2"]], one_time_keyboard=True)
    message = await bot.send_message(KIM, "pick", reply_markup=markup)
    assert message.reply_markup is None
    assert api.messages_to(KIM)[0]["reply_markup"] == markup.to_dict()


async def test_edits_change_the_recorded_message(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    sent = await bot.send_message(KIM, "Paid?", reply_markup=keyboard(("Yes", "y"), ("No", "n")))

    await bot.edit_message_text(
        "Paid? Yes", KIM, sent.message_id, reply_markup=keyboard(("Undo", "u"))
    )
    assert api.messages_to(KIM)[0]["text"] == "Paid? Yes"
    assert api.messages_to(KIM)[0]["reply_markup"] == keyboard(("Undo", "u")).to_dict()

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(
            KIM, sent.message_id, reply_markup=keyboard(("Undo", "u"))
        )

    await bot.edit_message_reply_markup(KIM, sent.message_id)  # no markup: remove the keyboard
    assert "reply_markup" not in api.messages_to(KIM)[0]

    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", KIM, 99)

    assert await bot.delete_message(KIM, sent.message_id)
    assert api.messages_to(KIM) == []
    with pytest.raises(BadRequest, match="not found"):
        await bot.delete_message(KIM, sent.message_id)


async def test_editing_text_without_markup_drops_the_keyboard(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    sent = await bot.send_message(KIM, "Paid?", reply_markup=keyboard(("Yes", "y")))
    edited = await bot.edit_message_text("Paid? Yes", KIM, sent.message_id)
    assert edited.reply_markup is None
    assert "reply_markup" not in api.messages_to(KIM)[0]


async def test_sending_fails_as_on_telegram(api: BotAPIStandIn, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(KIM, "hello")
    api.user(KIM)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(KIM, " ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(KIM, "가" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(KIM, "x", reply_markup=keyboard(("long", "x" * 65)))
    api.block(KIM)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(KIM, "hello")
    assert api.messages_to(KIM) == []


async def test_chat_actions_are_checked(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    assert await bot.send_chat_action(KIM, ChatAction.UPLOAD_DOCUMENT)
    assert api.calls[-1].params == {"chat_id": KIM, "action": "upload_document"}
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(KIM, "dancing")


async def test_json_bodies_and_query_strings_are_read_too(api: BotAPIStandIn) -> None:
    api.user(KIM)
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    url = f"{api.base_url}{api.token}/sendMessage"
    async with ClientSession() as session:
        body = {"chat_id": str(KIM), "text": "json", "reply_markup": json.dumps(markup)}
        async with session.post(url, json=body) as response:
            assert (await response.json())["result"]["reply_markup"] == markup
        async with session.get(url, params={"chat_id": KIM, "text": "query"}) as response:
            assert (await response.json())["result"]["text"] == "query"
    assert [m["text"] for m in api.messages_to(KIM)] == ["json", "query"]


async def test_html_parse_mode_gives_text_and_entities(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    message = await bot.send_message(KIM, "<b>접수</b> &lt;완료&gt; & 끝", parse_mode="HTML")
    assert message.text == "접수 <완료> & 끝"
    assert message.entities == (MessageEntity(MessageEntity.BOLD, 0, 2),)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(KIM, "a <b>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(KIM, "1 < 2 <3", parse_mode="HTML")


def test_parse_html_counts_offsets_in_utf16() -> None:
    text, entities = parse_html('😀 <a href="https://x.test">link</a>')
    assert text == "😀 link"
    assert entities == [{"type": "text_link", "offset": 3, "length": 4, "url": "https://x.test"}]


async def test_get_updates_confirms_with_offset(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    for text in ("one", "two", "three"):
        api.queue(api.text_update(kim, text))

    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    again = await bot.get_updates()  # nothing confirmed yet: the same updates again
    assert [u.message.text for u in again] == ["one", "two", "three"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert api.pending_update_count == 0
    with pytest.raises(ValueError, match="order"):
        api.queue(api.text_update(kim, "late") | {"update_id": 1})


async def test_allowed_updates_drop_other_types(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    sent = await bot.send_message(KIM, "?", reply_markup=keyboard(("ok", "ok")))
    api.queue(api.text_update(kim, "text"))
    api.queue(api.callback_update(kim, "ok", message_id=sent.message_id))
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["ok"]


async def test_a_long_poll_returns_as_soon_as_an_update_is_queued(
    api: BotAPIStandIn, bot: Bot
) -> None:
    kim = api.user(KIM)
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for_call("getMe")
    await asyncio.sleep(0.05)
    started = time.monotonic()
    api.queue(api.text_update(kim, "wake up"))
    updates = await poll
    assert [u.message.text for u in updates] == ["wake up"]
    assert time.monotonic() - started < 2  # far below the 5 s poll timeout


async def test_a_newer_poll_ends_the_older_one(api: BotAPIStandIn) -> None:
    async with (
        Bot(api.token, base_url=api.base_url) as first,
        Bot(api.token, base_url=api.base_url) as second,
    ):
        older = asyncio.create_task(first.get_updates(timeout=5))
        await api.wait_for_call("getMe", since=1)
        await asyncio.sleep(0.05)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await older


async def test_builders_make_updates_ptb_reads(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM, username="kim")
    sent = await bot.send_message(KIM, "choose", reply_markup=keyboard(("A", "a")))

    def parse(update: dict) -> Update:
        return Update.de_json(update, bot)

    command = parse(api.command_update(kim, "/start sb")).message
    assert command.text == "/start sb"
    assert command.parse_entities([MessageEntity.BOT_COMMAND]) != {}
    assert parse(api.text_update(kim, "fwd", forward=True)).message.forward_origin is not None
    edited = parse(api.text_update(kim, "fixed", edited=True)).edited_message
    assert edited.message_id == command.message_id + 1  # the "fwd" message, the last one
    group = parse(api.text_update(kim, "hi all", chat_type="supergroup")).message
    assert group.chat.type == "supergroup"
    assert parse(api.sticker_update(kim)).message.sticker.emoji == "👍"
    assert parse(api.voice_update(kim)).message.voice.file_id
    assert parse(api.location_update(kim)).message.location.latitude == pytest.approx(37.4005)
    assert parse(api.contact_update(kim)).message.contact.user_id == KIM
    album = parse(api.photo_update(kim, b"jpeg", media_group_id="g1", caption="c")).message
    assert (album.media_group_id, album.caption, len(album.photo)) == ("g1", "c", 4)
    query = parse(api.callback_update(kim, "a", message_id=sent.message_id)).callback_query
    assert query.data == "a"
    assert query.message.reply_markup == keyboard(("A", "a"))
    with pytest.raises(LookupError):
        api.callback_update(kim, "a", message_id=999)


async def test_a_generated_file_streams_and_downloads_can_be_held(
    api: BotAPIStandIn, bot: Bot
) -> None:
    kim = api.user(KIM)
    generated = GeneratedFile(3 * 1024 * 1024 + 5, seed=7)
    api.queue(api.document_update(kim, generated, "big.pdf", "application/pdf"))
    [update] = await bot.get_updates()
    assert update.message.document.file_size == generated.size
    file = await bot.get_file(update.message.document.file_id)
    api.download_gate = asyncio.Event()
    download = asyncio.ensure_future(file.download_as_bytearray())
    await api._wait_until(lambda: api.downloads_in_flight == 1, 10)
    assert not download.done()
    api.download_gate.set()
    data = bytes(await download)
    assert data.startswith(b"%PDF-1.4") and len(data) == generated.size
    assert hashlib.sha256(data).hexdigest() == generated.sha256()
    assert (api.downloads_in_flight, api.max_downloads_in_flight) == (0, 1)
    assert GeneratedFile(100, seed=8).sha256() != GeneratedFile(100, seed=9).sha256()


async def test_a_photo_downloads_byte_for_byte(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    data = bytes(range(256)) * 40
    api.queue(api.photo_update(kim, data))
    [update] = await bot.get_updates()
    largest = update.message.photo[-1]
    assert largest.file_size == len(data)

    file = await bot.get_file(largest.file_id)
    assert file.file_path.startswith(f"{api.base_file_url}{api.token}/photos/")
    assert bytes(await file.download_as_bytearray()) == data
    thumbnail = await bot.get_file(update.message.photo[0].file_id)
    assert bytes(await thumbnail.download_as_bytearray()) != data
    assert len(api.downloads) == 2


async def test_a_file_over_20_mb_is_too_big(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    update = Update.de_json(
        api.document_update(kim, None, "video.zip", "application/zip", file_size=25 * 2**20), bot
    )
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(update.message.document.file_id)
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nonsense")


async def test_a_sent_document_keeps_its_bytes(api: BotAPIStandIn, bot: Bot) -> None:
    api.user(KIM)
    message = await bot.send_document(
        KIM, b"PK\x03\x04 xlsx", filename="cases.xlsx", caption="42건"
    )
    [document] = api.documents_sent
    assert (document.chat_id, document.file_name, document.data) == (
        KIM,
        "cases.xlsx",
        b"PK\x03\x04 xlsx",
    )
    assert document.caption == "42건"
    assert message.document.file_name == "cases.xlsx"
    assert api.messages_to(KIM)[0]["document"]["file_size"] == len(b"PK\x03\x04 xlsx")
    again = await bot.get_file(message.document.file_id)
    assert bytes(await again.download_as_bytearray()) == b"PK\x03\x04 xlsx"


async def test_callback_queries_take_one_answer(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    sent = await bot.send_message(KIM, "?", reply_markup=keyboard(("ok", "ok")))
    query_id = api.callback_update(kim, "ok", message_id=sent.message_id)["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="접수됐어요")
    assert api.callback_answers[query_id]["text"] == "접수됐어요"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_commands_are_kept_per_scope_and_language(api: BotAPIStandIn, bot: Bot) -> None:
    scope = BotCommandScopeAllPrivateChats()
    ko = [BotCommand("start", "피해 접수 시작")]
    await bot.set_my_commands(ko, scope=scope, language_code="ko")
    await bot.set_my_commands([BotCommand("start", "Start")])

    assert api.commands[CommandsKey("all_private_chats", "ko")] == [
        {"command": "start", "description": "피해 접수 시작"}
    ]
    assert api.commands[CommandsKey()] == [{"command": "start", "description": "Start"}]
    assert await bot.get_my_commands(scope=scope, language_code="ko") == tuple(ko)
    assert await bot.get_my_commands(scope=scope) == ()
    await bot.delete_my_commands()
    assert CommandsKey() not in api.commands
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "capitalised")])


async def test_webhook_delivery_carries_the_secret(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    seen: list[tuple[str | None, dict]] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append((request.headers.get(SECRET_HEADER), await request.json()))
        ok = request.headers.get(SECRET_HEADER) == "s3cret-token"
        return web.Response(status=200 if ok else 403)

    async with webhook_server(webhook) as url:
        await bot.set_webhook(url, secret_token="s3cret-token", allowed_updates=["message"])
        assert api.webhook is not None
        assert api.webhook["url"] == url
        assert api.webhook["allowed_updates"] == ["message"]
        info = await bot.get_webhook_info()
        assert (info.url, info.allowed_updates) == (url, ("message",))
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()

        update = api.text_update(kim, "via webhook")
        assert await api.deliver(update) == 200
        assert seen == [("s3cret-token", update)]

        await bot.delete_webhook(drop_pending_updates=True)
        assert api.webhook is None
        assert (await bot.get_webhook_info()).url == ""


async def test_a_method_in_the_webhook_response_is_run(api: BotAPIStandIn, bot: Bot) -> None:
    kim = api.user(KIM)
    sent = await bot.send_message(KIM, "?", reply_markup=keyboard(("ok", "ok")))
    answers: list[web.Response] = []

    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return answers.pop(0)

    async with webhook_server(webhook) as url:
        await bot.set_webhook(url, secret_token="s3cret")
        update = api.callback_update(kim, "ok", message_id=sent.message_id)
        query_id = update["callback_query"]["id"]
        answers.append(
            web.json_response({"method": "answerCallbackQuery", "callback_query_id": query_id})
        )
        since = len(api.calls)
        assert await api.deliver(update) == 200
        [call] = api.calls[since:]
        assert (call.method, call.via, call.ok) == ("answerCallbackQuery", "webhook_reply", True)
        assert query_id in api.callback_answers

        # As on Telegram, a second answer is refused (the bot never hears of it), and a
        # body that is not a method call is ignored.
        answers.append(
            web.json_response({"method": "answerCallbackQuery", "callback_query_id": query_id})
        )
        assert await api.deliver(update) == 200
        assert [(c.method, c.ok) for c in api.calls[since + 1 :]] == [
            ("answerCallbackQuery", False)
        ]
        answers.append(web.json_response({"ok": True}))
        answers.append(web.Response(text="thanks"))
        assert await api.deliver(api.text_update(kim, "a")) == 200
        assert await api.deliver(api.text_update(kim, "b")) == 200
        assert len(api.calls) == since + 2


async def test_flood_control_surfaces_as_retry_after(
    api: BotAPIStandIn, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, RetryAfter warns (PTBDeprecationWarning), an error under pytest here.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.user(KIM)
    api.fail_next("sendMessage", 429, retry_after=3)
    told_to_wait = dtm.timedelta(seconds=3)  # the value Telegram sends, not a measured time
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(KIM, "hello")
    assert caught.value.retry_after == told_to_wait
    assert (await bot.send_message(KIM, "hello")).text == "hello"
    assert [c.error_code for c in api.calls if c.method == "sendMessage"] == [429, None]

    api.fail_next("sendmessage", 502)
    api.fail_next("sendMessage", 500)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(KIM, "hello")
    assert len(api.messages_to(KIM)) == 1


async def test_a_real_application_polls_and_replies(api: BotAPIStandIn) -> None:
    kim = api.user(KIM)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer every text with its upper-case form."""
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text.upper())

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        api.queue(api.text_update(kim, "first"))
        api.queue(api.text_update(kim, "second"))
        messages = await api.wait_for_messages(KIM, 2, timeout=5)
        await app.updater.stop()
        await app.stop()
    assert sorted(m["text"] for m in messages) == ["FIRST", "SECOND"]
    assert [c.method for c in api.calls[:2]] == ["getMe", "deleteWebhook"]
    # At stop PTB confirms what it fetched with one more getUpdates that does not wait.
    assert any(c.method == "getUpdates" and c.params["timeout"] == 0 for c in api.calls)
    assert api.pending_update_count == 0
