"""The aiohttp Bot API client maps network trouble onto PTB's errors."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from telegram import Bot
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
