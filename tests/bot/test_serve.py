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

from bot.server import is_loopback
from bot.settings import ENV_VARS
from bot.staff.web.sessions import OneTimeSignIn
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


async def test_run_with_both_tokens_polls_telegram_and_serves_the_staff_web(tmp_path):
    """``make run`` with TELEGRAM_BOT_TOKEN (long polling) and STAFF_WEB_TOKEN: both doors and
    ``/healthz`` on one port, no console chat; SIGTERM stops it cleanly."""
    port, log_path = free_port(), tmp_path / "bot.log"
    async with BotAPIStandIn() as api:
        env = webhook_bot_env(api, port=port, data_dir=tmp_path / "data", secret="unused")
        del env["WEBHOOK_URL"], env["WEBHOOK_SECRET"]
        env["STAFF_WEB_TOKEN"] = STAFF_TOKEN
        async with bot_process([], env, log_path) as proc:
            await wait_healthy(proc, port, log_path)
            user = api.user(6200)
            api.queue(api.text_update(user, "/start"))
            assert await api.wait_for_messages(6200, 1, timeout=10)
            await sign_in(port, name="Lee")
            assert await stop(proc) == 0
    log = log_path.read_text()
    assert f"staff web: http://127.0.0.1:{port}/staff/" in log, log
    assert "Telegram: long polling" in log and "console chat" not in log, log
    assert "Traceback" not in log and api.token not in log, log


async def test_run_without_a_token_serves_the_web_chat_and_the_staff_page(tmp_path):
    """Regression: ``make run`` (``python -m bot``) without a bot token ran the console chat
    beside the server, and a newcomer had no page to open; now it prints the web chat's
    URL first and serves it at ``/`` (the console chat is ``make chat``)."""
    port, log_path = free_port(), tmp_path / "bot.log"
    env = plain_env(STAFF_WEB_TOKEN=STAFF_TOKEN, PORT=str(port), DATA_DIR=str(tmp_path / "data"))
    async with bot_process([], env, log_path) as proc:
        await wait_healthy(proc, port, log_path)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/") as response,
        ):
            assert response.status == 200 and "chat" in response.cookies
        assert await stop(proc) == 0
    log = log_path.read_text()
    assert f"web chat: http://127.0.0.1:{port}/" in log, log
    assert log.index("web chat:") < log.index("staff web:"), log
    assert "make chat" in log and "  [1] " not in log, log  # no console chat beside it
    assert f"staff web: http://127.0.0.1:{port}/staff/" in log, log
    assert "signin/once" not in log and "Traceback" not in log, log


ONE_TIME_LINK = re.compile(r"staff web: (http://127\.0\.0\.1:\d+/staff/signin/once\?token=\S+)")


async def wait_for_text(proc: subprocess.Popen[bytes], log_path: Path, pattern: re.Pattern[str]):
    async with asyncio.timeout(START_TIMEOUT_S):
        while (found := pattern.search(log_path.read_text())) is None:
            assert proc.poll() is None, f"exited at start-up:\n{log_path.read_text()}"
            await asyncio.sleep(0.05)
    return found


async def test_run_without_any_configuration_prints_a_one_time_staff_link(tmp_path):
    """Regression: with no configuration at all ``make run`` gave the console chat and no way
    into the staff web; now the staff web runs on loopback beside the web chat, opened by a
    one-time link printed to the terminal, which works once."""
    port, log_path = free_port(), tmp_path / "bot.log"
    env = plain_env(PORT=str(port), DATA_DIR=str(tmp_path / "data"))
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        link = (await wait_for_text(proc, log_path, ONE_TIME_LINK)).group(1)
        assert link.startswith(f"http://127.0.0.1:{port}/")
        await wait_for_text(proc, log_path, re.compile(r"web chat: http://127\.0\.0\.1:\d+/"))
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(link) as response:
                assert response.status == 200
                page = await response.text()
            form = {
                "csrf": CSRF.search(page).group(1),
                "token": re.search(r'name="token" value="([^"]+)"', page).group(1),
                "name": "",  # left empty: recorded as "local"
                "lang": "en",
            }
            async with http.post(f"{base}/staff/signin/once", data=form) as response:
                assert response.status == 200 and str(response.url) == f"{base}/staff/"
                page = await response.text()
                assert "/staff/stats" in page and "<span>local</span>" in page  # staff:local
            # The link is spent: neither opening it nor sending its form again signs in.
            async with http.get(link) as response:
                assert response.status == 403
            async with http.post(f"{base}/staff/signin/once", data=form) as response:
                assert response.status == 403
        async with (
            aiohttp.ClientSession() as http,  # another browser, without the session
            http.get(f"{base}/staff/", allow_redirects=False) as response,
        ):
            assert response.status == 303
        assert await stop(proc) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if not proc.stdin.closed:
            proc.stdin.close()
    log = log_path.read_text()
    assert "Traceback" not in log, log


async def test_no_one_time_link_off_loopback(tmp_path):
    """Without STAFF_WEB_TOKEN on a non-loopback HOST the staff web stays off: no link is printed."""
    port, log_path = free_port(), tmp_path / "bot.log"
    env = plain_env(HOST="0.0.0.0", PORT=str(port), DATA_DIR=str(tmp_path / "data"))
    async with bot_process(["serve"], env, log_path) as proc:
        await wait_healthy(proc, port, log_path)
        async with aiohttp.ClientSession() as http:
            for path in ("/staff/", "/staff/signin", "/staff/signin/once?token=x"):
                async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                    assert response.status == 404, path
        assert await stop(proc) == 0
    log = log_path.read_text()
    assert "signin/once" not in log and "staff web: off" in log, log


def test_one_time_link_expires_and_works_once():
    """The one-time sign-in works once, only with its own token, and not after it expires."""
    now = [1000.0]
    once = OneTimeSignIn(lambda: now[0], ttl=900)
    assert not once.use("wrong") and not once.use("")
    assert once.valid(once.token)
    assert once.use(once.token) and not once.use(once.token)
    late = OneTimeSignIn(lambda: now[0], ttl=900)
    now[0] += 900
    assert not late.valid(late.token) and not late.use(late.token)


def test_loopback_hosts():
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.0.10", "example.org", ""]))


async def test_run_says_when_the_port_is_taken(tmp_path):
    """A newcomer whose port 8080 is busy is told why there is no server, without a traceback."""
    log_path = tmp_path / "bot.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = plain_env(PORT=str(port), DATA_DIR=str(tmp_path / "data"))
        async with bot_process([], env, log_path) as proc:
            assert await asyncio.to_thread(proc.wait, START_TIMEOUT_S) == 1
    log = log_path.read_text()
    assert f"could not listen on 127.0.0.1:{port}" in log and "make chat" in log, log
    assert "Traceback" not in log, log
