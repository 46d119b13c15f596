"""The floor: the least a webhook bot on python-telegram-bot v22 can do per update.

``bench/e2e.py`` measures it beside our bot to show what the machine, the
harness and the framework allow before any bot logic runs. Per update it parses
the webhook's JSON into PTB's ``Update`` and answers with one ``sendMessage``
(two where the script expects two replies), through the same aiohttp server and
aiohttp Bot API client our bot uses, then answers the webhook 200. It keeps no
state, writes nothing, answers no button and edits no message: a bot cannot do
less and still answer. Its reply carries every button the simulated users press,
so their scripts run through.

Configured by the environment ``bench/e2e.py`` gives every bot
(``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_API_BASE_URL``, ``WEBHOOK_URL``,
``WEBHOOK_SECRET``, ``HOST``, ``PORT``) plus ``FLOOR_SCRIPT``: JSON with the
``buttons`` to offer, the ``replies`` per button where that is not one, and the
``text`` every reply carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.telegram_http import AiohttpRequest
from bot.web import SECRET_HEADER


async def serve() -> None:
    env = os.environ
    script = json.loads(env["FLOOR_SCRIPT"])
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(data, callback_data=data)] for data in script["buttons"]]
    )
    replies: dict[str, int] = script.get("replies", {})
    text: str = script["text"]
    secret = env["WEBHOOK_SECRET"]
    bot = Bot(
        env["TELEGRAM_BOT_TOKEN"],
        base_url=env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != secret:
            return web.Response(status=403)
        update = Update.de_json(await request.json(), bot)
        chat = update.effective_chat
        if chat is None:
            return web.Response()
        query = update.callback_query
        for _ in range(replies.get(query.data or "", 1) if query else 1):
            await bot.send_message(chat.id, text, reply_markup=keyboard)
        return web.Response()

    app = web.Application()
    app.router.add_post(urlsplit(env["WEBHOOK_URL"]).path, webhook)
    runner = web.AppRunner(app, access_log=None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        await runner.setup()
        await web.TCPSite(runner, env.get("HOST", "127.0.0.1"), int(env["PORT"])).start()
        await bot.set_webhook(env["WEBHOOK_URL"], secret_token=secret)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
