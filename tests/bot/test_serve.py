"""``python -m bot serve`` and the start-up log, as real processes on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aiohttp

from bot.settings import ENV_VARS
from tests.support.bot_api import BotAPIStandIn
from tests.support.bot_process import REPO, webhook_bot_env

STAFF_TOKEN = "serve-staff-token-0123456789abcdef"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain_env(**settings: str) -> dict[str, str]:
    """This environment without any bot setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env.update(settings)
    return env


@contextlib.asynccontextmanager
async def bot_process(
    args: list[str], env: Mapping[str, str], log_path: Path
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``python -m bot ARGS`` with stdout and stderr in ``log_path``; SIGTERM on exit."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def wait_healthy(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    url = f"http://127.0.0.1:{port}/healthz"
    async with aiohttp.ClientSession() as http, asyncio.timeout(START_TIMEOUT_S):
        while True:
            assert proc.poll() is None, f"exited at start-up:\n{log_path.read_text()}"
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)


async def sign_in(port: int, name: str) -> str:
    """Sign in to the staff web over HTTP; return the case list page."""
    base = f"http://127.0.0.1:{port}"
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address host
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/staff/signin") as response:
            assert response.status == 200
            nonce = CSRF.search(await response.text()).group(1)
        form = {"csrf": nonce, "name": name, "token": STAFF_TOKEN, "lang": "en"}
        async with http.post(f"{base}/staff/signin", data=form) as response:
            assert response.status == 200 and str(response.url) == f"{base}/staff/"
            return await response.text()


async def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(proc.wait, START_TIMEOUT_S)


async def test_serve_runs_the_staff_web_without_telegram(tmp_path):
    """Regression: the staff web ran only inside the Telegram bot, so it could not be opened
    without a bot token; nothing at start-up said where it was, and INFO lines (staff
    sign-ins) never reached the log because logging was set to WARNING first."""
    port, log_path = free_port(), tmp_path / "bot.log"
    env = plain_env(
        STAFF_WEB_TOKEN=STAFF_TOKEN,
        HOST="127.0.0.1",
        PORT=str(port),
        DATA_DIR=str(tmp_path / "data"),
    )
    async with bot_process(["serve"], env, log_path) as proc:
        await wait_healthy(proc, port, log_path)
        # Someone types the token into the name field: it is logged masked.
        page = await sign_in(port, name=STAFF_TOKEN)
        assert "/staff/stats" in page
        assert await stop(proc) == 0
    log = log_path.read_text()
    assert f"staff web: http://127.0.0.1:{port}/staff/" in log, log
    assert re.search(r"INFO bot\.staff\.web: staff '\*\*\*' signed in from 127\.0\.0\.1", log), log
    assert STAFF_TOKEN not in log
    assert "Traceback" not in log and "TELEGRAM_BOT_TOKEN" in log  # says Telegram is off


async def test_serve_with_a_bot_token_also_runs_telegram(tmp_path):
    """``serve`` with TELEGRAM_BOT_TOKEN is the whole bot: webhook, staff web and health."""
    port, log_path = free_port(), tmp_path / "bot.log"
    async with BotAPIStandIn() as api:
        env = webhook_bot_env(api, port=port, data_dir=tmp_path / "data", secret="serve-secret")
        env["STAFF_WEB_TOKEN"] = STAFF_TOKEN
        async with bot_process(["serve"], env, log_path) as proc:
            await wait_healthy(proc, port, log_path)
            async with asyncio.timeout(START_TIMEOUT_S):
                while api.webhook is None:  # set once the bot is ready for updates
                    await asyncio.sleep(0.05)
            user = api.user(6100)
            assert await api.deliver(api.text_update(user, "/start")) == 200
            assert await api.wait_for_messages(6100, 1, timeout=10)
            await sign_in(port, name="Kim")
            assert await stop(proc) == 0
    log = log_path.read_text()
    assert f"staff web: http://127.0.0.1:{port}/staff/" in log, log
    assert "webhook mode" in log and "signed in" in log
    assert api.token not in log and STAFF_TOKEN not in log and "serve-secret" not in log


async def test_run_without_a_token_says_where_the_staff_page_is(tmp_path):
    """Regression: ``make run`` (``python -m bot``) without a bot token started the console
    chat and said nothing of the staff web page or how to open it."""
    port, log_path = free_port(), tmp_path / "bot.log"
    env = plain_env(STAFF_WEB_TOKEN=STAFF_TOKEN, PORT=str(port), DATA_DIR=str(tmp_path / "data"))
    async with bot_process([], env, log_path) as proc:
        assert await asyncio.to_thread(proc.wait, START_TIMEOUT_S) == 0  # stdin is empty
    log = log_path.read_text()
    assert "python -m bot serve" in log and f"http://127.0.0.1:{port}/staff/" in log, log
