"""The real bot (run_telegram) as an asyncio task against the local Bot API stand-in, with people to talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.intake import IntakeService
from bot.server import run_telegram
from bot.settings import Settings
from bot.telegram import TelegramChannel
from flows.conversation import IntakeFlow
from flows.policy import load_policy
from storage.tinydb_store import TinyDBStorage
from tests.support.bot_api import BotAPIStandIn

SECRET = "s3cret-token_for-tests"
MODES = ("polling", "webhook")
# An album's reply comes this long after its last item (the bot's default is 1 s).
ALBUM_QUIET_S = 0.3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_settings(
    api: BotAPIStandIn, data_dir: Path, mode: str, *, staff_web_token: str | None = None
) -> Settings:
    """Settings that point the bot at the stand-in, on a free loopback port."""
    port = free_port()
    webhook = mode == "webhook"
    return Settings(
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        telegram_file_base_url=api.base_file_url,
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook" if webhook else None,
        webhook_secret=SECRET if webhook else None,
        telegram_max_rate=0,
        staff_web_token=staff_web_token,
    )


def chat_of(update: dict) -> int | None:
    """The chat an update's replies go to (None for updates without one)."""
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if key in update:
            return update[key]["chat"]["id"]
    if "callback_query" in update:
        return update["callback_query"]["message"]["chat"]["id"]
    return None


class RunningBot:
    """The real bot process logic (run_telegram) as a task, with helpers to talk to it."""

    def __init__(self, api: BotAPIStandIn, settings: Settings, mode: str) -> None:
        self.api = api
        self.settings = settings
        self.mode = mode
        self.storage: TinyDBStorage | None = None
        self.task: asyncio.Task | None = None
        self.stop_event = asyncio.Event()
        self.channel: TelegramChannel | None = None
        # The waits the bot's retry layer asked for (flood waits, backoff), not spent.
        self.waits: list[float] = []

    async def _no_wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)

    def open_storage(self) -> Any:
        """The store the bot runs on (a subclass may run it on another)."""
        return TinyDBStorage(self.settings.data_dir)

    async def start(self) -> None:
        self.storage = self.open_storage()
        service = IntakeService(IntakeFlow(load_policy()), self.storage)
        self.channel = TelegramChannel(
            service, self.settings, album_quiet_s=ALBUM_QUIET_S, sleep=self._no_wait
        )
        ready = asyncio.Event()
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(
            run_telegram(
                self.settings, service, stop=self.stop_event, ready=ready, channel=self.channel
            )
        )
        waiter = asyncio.ensure_future(ready.wait())
        done, _ = await asyncio.wait(
            {self.task, waiter}, timeout=15, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        if self.task in done:
            self.task.result()  # raise the start-up error
        assert ready.is_set()

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 15)
        self.storage.close()

    async def send(self, update: dict, *, replies: int = 1) -> list[dict]:
        """Deliver an update and wait for the bot's replies to the user's chat."""
        chat_id = chat_of(update)
        before = len(self.api.messages_to(chat_id))
        if self.mode == "webhook":
            assert await self.api.deliver(update) == 200
        else:
            self.api.queue(update)
        if replies:
            messages = await self.api.wait_for_messages(chat_id, before + replies, timeout=10)
            return messages[before:]
        return []

    async def process(self, update: dict, *, timeout: float = 10) -> list[dict]:
        """Deliver an update, wait until the bot is done with it, and return what it sent there.

        Works when no reply is the right answer: the webhook answers once the update is
        processed, and in polling mode every path ends by remembering the update id.
        """
        mark = len(self.api.calls)
        if self.mode == "webhook":
            assert await self.api.deliver(update) == 200
        else:
            self.api.queue(update)
            async with asyncio.timeout(timeout):
                while not self.storage.seen_request("telegram", str(update["update_id"])):
                    await asyncio.sleep(0.005)
        return self.sent_since(mark, chat_of(update))

    async def settle(self, updates: tuple[dict, ...] = (), *, timeout: float = 10) -> None:
        """Wait until ``updates`` were processed and the bot is idle: nothing more will come.

        Idle means no update in process, no background task pending and no album waiting
        for its quiet period (see ``TelegramChannel.idle``); what the bot sent by then is
        all it sends for these updates.
        """
        async with asyncio.timeout(timeout):
            while not all(
                self.storage.seen_request("telegram", str(u["update_id"])) for u in updates
            ):
                await asyncio.sleep(0.005)
            await self.channel.idle()

    def sent_since(self, mark: int, chat_id: int | None = None) -> list[dict]:
        """The sendMessage parameters (text, reply_markup…) since ``mark``, an index into api.calls.

        Cheaper than ``api.messages_to`` for long chats, which copies every message.
        """
        return [
            dict(call.params)
            for call in self.api.calls[mark:]
            if call.ok
            and call.method == "sendMessage"
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]


@contextlib.asynccontextmanager
async def running_bot(
    data_dir: Path,
    mode: str,
    *,
    staff_web_token: str | None = None,
    known_users: tuple[int, ...] = (),
) -> AsyncIterator[RunningBot]:
    """A stand-in plus the real bot talking to it, stopped (if still running) on exit.

    ``staff_web_token`` switches the staff web on. ``known_users`` are Telegram
    users the stand-in knows before the bot starts (the people of an existing data
    directory, whom the bot may message as soon as it starts).
    """
    async with BotAPIStandIn() as api:
        for user_id in known_users:
            api.user(user_id)
        settings = bot_settings(api, data_dir, mode, staff_web_token=staff_web_token)
        running = RunningBot(api, settings, mode)
        await running.start()
        try:
            yield running
        finally:
            if not running.task.done():
                await running.stop()


class Person:
    """A Telegram user talking to the bot."""

    def __init__(
        self,
        bot: RunningBot,
        user_id: int,
        language_code: str | None = "ko",
        *,
        username: str | None = None,
        first_name: str | None = None,
    ) -> None:
        self.bot = bot
        self.api = bot.api
        self.user = self.api.user(
            user_id,
            first_name=first_name or f"User{user_id}",
            language_code=language_code,
            username=username,
        )
        self.id = user_id

    async def say(self, text: str, replies: int = 1) -> str:
        if text.startswith("/"):
            update = self.api.command_update(self.user, text)
        else:
            update = self.api.text_update(self.user, text)
        return self.text(await self.bot.send(update, replies=replies))

    async def press(self, value: str, replies: int = 1) -> str:
        message, data = self.find_button(value)
        update = self.api.callback_update(self.user, data, message_id=message["message_id"])
        return self.text(await self.bot.send(update, replies=replies))

    def find_button(self, value: str) -> tuple[dict, str]:
        for message in reversed(self.api.messages_to(self.id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["callback_data"].split(":", 1)[1] == value:
                        return message, button["callback_data"]
        raise AssertionError(f"no button {value!r} in {self.last}")

    @property
    def last(self) -> str:
        return self.api.messages_to(self.id)[-1]["text"]

    @staticmethod
    def text(messages: list[dict]) -> str:
        return "\n".join(m.get("text", "") for m in messages)


# Button presses and texts that walk a small business (Kakao T, free use, 10만 원) from
# /start to each question; ("press", v) taps the button v, ("say", t) sends t, and the
# number is how many messages the bot answers with. (A KakaoTalk Channel would skip the
# Channel question: running one is inferred.)
WALK: tuple[tuple[str, str, str, int], ...] = (
    # (the step reached after this action, kind, value, replies)
    ("consent", "say", "/start", 1),
    ("reporter_type", "press", "agree", 1),
    ("service", "press", "small_business", 1),
    ("paid", "press", "kakao_t", 1),
    ("monetary", "press", "free", 1),
    ("description", "press", "yes", 1),  # what happened: optional on the money path
    ("amount", "say", "콜을 못 받아서 영업을 못 했어요", 1),
    ("amount_confirm", "say", "10만 원", 1),
    ("business_number", "press", "yes", 2),
    ("channel", "say", "220-81-62517", 1),
    ("evidence", "press", "no", 1),
    ("summary", "press", "skip", 1),
)
# Steps off the main walk: where they branch from, and the action that reaches them.
BRANCHES: dict[str, tuple[str, str, str, int]] = {
    "service_other": ("service", "press", "other", 1),
    "edit_menu": ("summary", "press", "edit", 1),
    "resume": ("amount", "say", "/start", 1),
    "submitted": ("summary", "press", "submit", 1),
}
# "no_draft": someone who talked to the bot before (their chat has its messages) and
# cancelled, so they have no conversation now.
STEPS = ("no_draft", *(step for step, *_ in WALK), *BRANCHES)


async def walk_to(person: Person, step: str) -> None:
    """Drive a person with no conversation to ``step`` through the real bot."""
    if step == "no_draft":
        await person.say("/start")
        await person.say("/cancel")
        return
    if step in BRANCHES:
        origin, kind, value, replies = BRANCHES[step]
        await walk_to(person, origin)
        await act(person, kind, value, replies)
        return
    for reached, kind, value, replies in WALK:
        await act(person, kind, value, replies)
        if reached == step:
            return
    raise ValueError(f"no walk to {step!r}")


async def act(person: Person, kind: str, value: str, replies: int) -> None:
    if kind == "press":
        await person.press(value, replies=replies)
    else:
        await person.say(value, replies=replies)
