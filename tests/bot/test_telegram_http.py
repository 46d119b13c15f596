"""The aiohttp Bot API client: JSON or multipart bodies, and network trouble as PTB's errors."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest

TOKEN = "123456:TEST-TOKEN"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens there once the socket is closed


async def test_connection_refused_is_a_network_error():
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{closed_port()}/bot", request=request)
    await request.initialize()  # Bot's own initialize() would call getMe first
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.send_message(1, "hi")
    finally:
        await request.shutdown()


async def test_a_slow_server_is_a_timeout():
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    request = AiohttpRequest(read_timeout=0.2)
    bot = Bot(
        TOKEN,
        base_url=f"http://127.0.0.1:{port}/bot",
        request=request,
        get_updates_request=AiohttpRequest(),
    )
    try:
        await request.initialize()
        with pytest.raises(TimedOut):
            await bot.send_message(1, "hi")
    finally:
        await request.shutdown()
        await runner.cleanup()


class Recorder:
    """A server that keeps each request's content type and body, and answers like Telegram."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def _handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.content_type, await request.read()))
        message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
        return web.json_response({"ok": True, "result": message})

    async def __aenter__(self) -> Recorder:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    @contextlib.asynccontextmanager
    async def bot(self) -> AsyncIterator[Bot]:
        """A Bot whose requests go here, through an initialised AiohttpRequest."""
        request = AiohttpRequest()
        await request.initialize()  # Bot's own initialize() would call getMe first
        try:
            yield Bot(TOKEN, base_url=f"http://127.0.0.1:{self.port}/bot", request=request)
        finally:
            await request.shutdown()


async def test_a_request_without_files_is_a_typed_json_body():
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("예", callback_data="q:yes")]])
    async with Recorder() as server, server.bot() as bot:
        await bot.send_message(7_000_000_001, "35만 원이 맞나요?", reply_markup=keyboard)
    [(content_type, body)] = server.seen
    assert content_type == "application/json"
    assert "35만 원이 맞나요?".encode() in body  # UTF-8, not \uXXXX escapes
    assert json.loads(body) == {
        "chat_id": 7_000_000_001,
        "text": "35만 원이 맞나요?",
        "reply_markup": {"inline_keyboard": [[{"text": "예", "callback_data": "q:yes"}]]},
    }


async def test_a_request_with_a_file_is_multipart_with_its_fields():
    async with Recorder() as server, server.bot() as bot:
        await bot.send_document(1, b"a,b\n1,2\n", filename="cases.csv", caption="접수 목록")
    [(content_type, body)] = server.seen
    assert content_type == "multipart/form-data"
    assert b'filename="cases.csv"' in body
    assert b"a,b\n1,2\n" in body
    assert "접수 목록".encode() in body
