"""Kill soak: simulated users finish damage reports while the bot process is SIGKILLed and restarted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from flows.amount import format_amount
from flows.bizno import parse_business_number
from flows.conversation import MAX_DESCRIPTION
from flows.errors import BusinessNumberError
from flows.identity import UserKey
from flows.machine import DRAFT_STATES
from flows.policy import Policy, load_policy
from flows.texts import LANGS, t
from storage import Case, CaseFilter, CorruptFile
from storage.data_layout import DataLayout
from storage.tinydb_store import TinyDBStorage, rebuild_index
from tests.support.bot_api import BotAPIStandIn, JSONDict
from tests.support.bot_process import webhook_bot_env
from tests.support.legacy_data import (
    DATA_V1,
    LEGACY_USERS,
    legacy_cases,
    migrated_copy,
    missing_cases,
)

REPO = Path(__file__).resolve().parents[2]
SECRET = "kill-soak-secret"
FIRST_USER_ID = 810_000_001
# Every variable the bot reads (see .env.example).
# Telegram opens at most this many connections to a webhook (setWebhook's default).
TELEGRAM_CONNECTIONS = 40
# Longer than the bot ever needs for one update under this load; a timeout is a redelivery.
DELIVERY_TIMEOUT_S = 20.0
# After a 200 the bot has sent its replies already (it answers only when done), so
# this only has to cover the stand-in's bookkeeping.
REPLY_TIMEOUT_S = 10.0
# An album is answered once its items stop coming (the bot waits 1 s), or by the next
# bot process when one died in that second. A user waits this long for it, then goes
# on from the last question; the albums not answered by then are counted.
ALBUM_REPLY_TIMEOUT_S = 8.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
# A report takes 9-17 updates; far more means the user is going round in circles.
MAX_UPDATES_PER_USER = 80
# How often a fresh bot process is killed again while starting (settling the last crash).
STARTUP_KILL_CHANCE = 0.2
# Share of kills aimed at a case being created: from the index's first line for a
# case to the draft saved as submitted takes milliseconds, which kills at any moment
# rarely hit, and that is where a report could become two cases.
AIMED_KILL_SHARE = 0.5

# The shown case number, in both languages: "접수번호: K7F-3QX-9MZ", "case number K7F-3QX-9MZ".
CASE_NUMBER = re.compile(
    r"(?:접수번호|case number):? ([2-9A-Z]{3}-[2-9A-Z]{3}-[2-9A-Z]{3})", re.IGNORECASE
)
# Questions answered by typing carry no buttons; they are told apart by their text.
TYPED_QUESTIONS = ("service_other", "description", "amount", "business_number")
TYPED_PROMPTS = {
    t(lang, question, max=MAX_DESCRIPTION): question
    for lang in LANGS
    for question in TYPED_QUESTIONS
}
RECEIVED_COUNT = re.compile(
    "|".join(
        re.escape(t(lang, key, count="{n}")).replace(re.escape("{n}"), r"(\d+)")
        for lang in LANGS
        for key in ("evidence.count", "file.ack")  # the question, or the brief receipt
    )
)
TYPOS = {"ko": "잘 모르겠어요", "en": "not sure"}
# The bot's "sorry, please send that again in a moment" (it could not process a message).
SEND_AGAIN = frozenset(t(lang, "error.internal") for lang in LANGS)
# Its apologies: that one, or Telegram's "I will answer this, no need to send it again"
# (its database down: the 503 makes Telegram deliver the update again, and it is processed).
APOLOGIES = SEND_AGAIN | frozenset(t(lang, "error.wait") for lang in LANGS)
# How long a person told to send a message again waits before they do.
SEND_AGAIN_AFTER_S = 0.5


# -- what the users see ----------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """One message the bot sent a user, as the user reads it."""

    message_id: int
    text: str
    buttons: tuple[str, ...]  # callback data, "question:value"
    # What it asks ("submitted" for a finished report); None when it only informs.
    question: str | None


def read_question(text: str, buttons: tuple[str, ...]) -> str | None:
    """What a message asks the user, from its buttons or, for typed answers, its text.

    The "send documents" button under a finished review report asks nothing now.
    """
    if buttons and not buttons[0].startswith("docs:"):
        return buttons[0].split(":", 1)[0]
    for prompt, question in TYPED_PROMPTS.items():
        if prompt in text:
            return question
    if CASE_NUMBER.search(text):
        return "submitted"
    return None


def received_count(text: str) -> int:
    """How many evidence files the evidence question says the bot holds."""
    match = RECEIVED_COUNT.search(text)
    return int(next(g for g in match.groups() if g is not None)) if match else 0


class ChatLog:
    """Every message the bot sent one user, in order, and a way to wait for the next."""

    def __init__(self) -> None:
        self.messages: list[Shown] = []
        self._changed = asyncio.Event()

    def add(self, shown: Shown) -> None:
        self.messages.append(shown)
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_beyond(self, count: int, timeout: float) -> bool:
        """Wait until there are more than ``count`` messages; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.messages) <= count:
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    def question(self) -> Shown | None:
        """The bot's last message that asks something: what the user answers next."""
        return next((m for m in reversed(self.messages) if m.question), None)

    def apologised(self) -> bool:
        """The bot's last message is an apology (``error.internal``: it could not process
        the last message; ``error.wait``: its database is down, it will answer it)."""
        return bool(self.messages) and self.messages[-1].text in APOLOGIES

    def asked_to_send_again(self) -> bool:
        """The bot's last message asks to send the last message again (``error.internal``)."""
        return bool(self.messages) and self.messages[-1].text in SEND_AGAIN

    def reasked(self) -> int:
        """Questions sent twice running, word for word: asked again for a redelivered update."""
        questions = [m for m in self.messages if m.question]
        return sum(a.text == b.text for a, b in itertools.pairwise(questions))

    def case_numbers(self) -> set[str]:
        return {n.upper() for m in self.messages for n in CASE_NUMBER.findall(m.text)}


class SoakStandIn(BotAPIStandIn):
    """The Bot API stand-in, also filing each message under its user as it is sent.

    ``messages_to`` deep-copies a whole chat and ``wait_for_messages`` wakes every
    waiter on every call; a hundred users polling those would make this process,
    not the bot, the bottleneck.
    """

    def __init__(self) -> None:
        super().__init__()
        self.chats: dict[int, ChatLog] = {}

    def _store(self, chat: JSONDict, fields: JSONDict, markup: JSONDict | None) -> JSONDict:
        message = super()._store(chat, fields, markup)
        log = self.chats.get(chat["id"])
        if log is not None:
            rows = (markup or {}).get("inline_keyboard", ())
            buttons = tuple(b["callback_data"] for row in rows for b in row if "callback_data" in b)
            text = message.get("text") or ""
            log.add(Shown(message["message_id"], text, buttons, read_question(text, buttons)))
        return message


# -- who the users are ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """What one simulated person answers; their case must say exactly this."""

    user_id: int
    lang: str
    reporter_type: str
    service: str
    paid: bool
    monetary: bool
    asks_paid: bool
    amount: int | None = None
    amount_text: str = ""
    typo_first: bool = False  # types something that is not an amount first
    business_number: str | None = None
    has_channel: bool = False
    service_other: str | None = None
    description: str | None = None
    photos: int = 0
    album: bool = False  # sends the photos together, as one album
    quit_after: int | None = None  # stops after this many updates, mid-report

    @property
    def tier(self) -> str:
        """The tier the 1015 policy gives, worked out here independently of flows/."""
        if self.paid:
            return "paid_terms"
        if not self.monetary:
            return "non_monetary"
        if self.reporter_type == "small_business":
            assert self.amount is not None
            if self.amount <= 300_000:  # "이하": the boundary belongs to the lower bracket
                return "cash_30k"
            return "cash_50k" if self.amount <= 500_000 else "review"
        # Companies have no brackets: every company loss goes to the council.
        return "company_review" if self.reporter_type == "company" else "general_package"

    @property
    def steps(self) -> int:
        """Updates a full report takes."""
        count = 5  # /start, consent, reporter type, service, monetary
        count += (self.service_other is not None) + self.asks_paid
        count += 1  # description (typed, or skipped on the money path)
        if self.monetary:
            count += 2 + self.typo_first  # amount (and the typo), confirmation
            if self.reporter_type == "small_business":
                # number, and the Channel question unless the service is a Channel
                count += 1 + (self.service != "talk_channel")
            count += self.photos + 1  # photos, then done, skip or send later
        return count + 1  # submit

    @property
    def finishes(self) -> bool:
        return self.quit_after is None

    def photo(self, n: int) -> bytes:
        return b"\xff\xd8\xff\xe0" + f"kill soak: user {self.user_id}, photo {n}\n".encode() * 40

    @property
    def album_id(self) -> str:
        return f"album-{self.user_id}"


# (reporter type, service, paid, monetary, amount): every tier, both bracket boundaries.
TEMPLATES: tuple[tuple[str, str, bool, bool, int | None], ...] = (
    ("small_business", "talk_channel", False, True, 10_000),
    ("small_business", "talk_channel", False, True, 300_000),  # boundary: cash_30k
    ("small_business", "kakaomap", False, True, 300_001),
    ("small_business", "kakao_t", False, True, 350_000),
    ("small_business", "kakaotalk", False, True, 500_000),  # boundary: cash_50k
    ("small_business", "kakaomap", False, True, 500_001),
    ("small_business", "other", False, True, 1_200_000),
    ("small_business", "daum", False, False, None),
    ("small_business", "talk_channel", True, True, 800_000),
    ("general", "kakaomap", False, True, 50_000),
    ("general", "daum", False, False, None),
    ("general", "gifts", True, True, 23_000),  # paid only: the bot does not ask
    ("general", "other", False, False, None),
    ("company", "kakao_login", False, True, 12_000_000),
    ("company", "kakao_pay", True, True, 4_500_000),
    ("company", "emoticons", True, False, None),
)


def amount_text(amount: int, style: int, lang: str) -> str:
    """The amount as people type it: "35만 원", "350,000원", "350000"."""
    if lang == "ko" and style == 0 and amount % 10_000 == 0:
        return f"{amount // 10_000}만 원"
    if lang == "ko" and style == 1:
        return f"{amount:,}원"
    return f"{amount:,}" if style == 1 else str(amount)


def business_number(seed: int) -> str:
    """A valid business registration number, made from ``seed``."""
    for n in range(seed, seed + 1000):
        head = f"{200 + n % 700:03d}{10 + n % 80:02d}{n % 10_000:04d}"
        for check in range(10):
            with contextlib.suppress(BusinessNumberError):
                return parse_business_number(head + str(check))
    raise AssertionError("no valid business number found")


def make_plans(count: int, rng: random.Random, policy: Policy) -> list[Plan]:
    """Cycle through the templates, with languages, typos, photos, albums and quitters mixed in."""
    plans = []
    for i in range(count):
        reporter, service, paid, monetary, amount = TEMPLATES[i % len(TEMPLATES)]
        lang = "en" if i % 7 == 3 else "ko"
        small = reporter == "small_business"
        other = service == "other"
        plan = Plan(
            user_id=FIRST_USER_ID + i,
            lang=lang,
            reporter_type=reporter,
            service=service,
            paid=paid,
            monetary=monetary,
            asks_paid=policy.service(service).billing == "both",
            amount=amount,
            amount_text=amount_text(amount, i % 3, lang) if amount else "",
            typo_first=monetary and i % 9 == 4,
            business_number=business_number(i * 37) if small and monetary else None,
            # A Channel's own damage means running one: inferred, not asked.
            has_channel=small and monetary and (service == "talk_channel" or rng.random() < 0.5),
            service_other=("카카오웹툰" if lang == "ko" else "Kakao Webtoon") if other else None,
            # What happened: optional on the money path (every other one skips it).
            description=None
            if monetary and i % 2
            else f"장애 때문에 불편했어요. 사용자 {i}의 의견이에요.",
        )
        if monetary:  # a review without files is sent now and its documents asked for later
            review = plan.tier in ("review", "company_review")
            plan = replace(plan, photos=rng.randint(0, 3) if review else rng.choice((0, 0, 1, 2)))
        if plan.photos >= 2 and rng.random() < 0.5:
            plan = replace(plan, album=True)
        if i % 20 == 19:  # a few give up mid-report and never come back
            plan = replace(plan, quit_after=rng.randint(2, plan.steps - 2))
        plans.append(plan)
    return plans


# -- the run -------------------------------------------------------------------------------------
@dataclass
class Run:
    """What every part of one soak shares: the stand-in, counters and the deadline."""

    api: SoakStandIn
    deadline: float
    counts: Counter[str] = field(default_factory=Counter)
    failed_posts: Counter[str] = field(default_factory=Counter)
    connections: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(TELEGRAM_CONNECTIONS)
    )
    users_done: int = 0
    over: bool = False  # every user is done: no more kills

    async def deliver(self, update: JSONDict) -> None:
        """POST an update until the webhook answers 200, always the same update, as Telegram does."""
        self.counts["updates"] += 1
        reasons: set[str] = set()
        for attempt in itertools.count():
            status = None
            try:
                async with self.connections:
                    status = await self.api.deliver(update, timeout=DELIVERY_TIMEOUT_S)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = type(exc).__name__
            else:
                reason = f"HTTP {status}"
            self.counts["posts"] += 1
            if status == 200:
                self.counts["acked"] += 1
                self.counts["redelivered_updates"] += bool(reasons)
                # Refused connections never reached a bot; anything else reached one that died.
                self.counts["interrupted_updates"] += bool(reasons - {"ClientConnectorError"})
                return
            if status is not None and status < 500:
                # Telegram would not get a different answer by retrying: a bug, not a crash.
                raise AssertionError(f"webhook refused update {update['update_id']}: {status}")
            self.failed_posts[reason] += 1
            reasons.add(reason)
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"update {update['update_id']} undelivered at the deadline")
            await asyncio.sleep(min(0.05 * 2**attempt, 0.5) * random.uniform(0.5, 1.0))

    async def until_acked(self, count: float) -> bool:
        """Wait until ``count`` updates got their 200; False when the run is over first."""
        while self.counts["acked"] < count:
            if self.over or time.monotonic() > self.deadline:
                return False
            await asyncio.sleep(0.01)
        return True


class SimulatedUser:
    """One person: reads the bot's last question, answers it from their plan, until the case number."""

    def __init__(self, run: Run, plan: Plan, start_at: float) -> None:
        self.run = run
        self.api = run.api
        self.plan = plan
        self.start_at = start_at  # acked updates (of everyone) before this user arrives
        self.user = run.api.user(plan.user_id, f"User{plan.user_id % 1000}", plan.lang)
        self.log = run.api.chats[plan.user_id] = ChatLog()
        self.sent = 0
        self.typo_sent = False
        self.album_sent = False
        self.finished = False
        self.quit = False
        self.problem: str | None = None

    @property
    def key(self) -> UserKey:
        """Who this person is to the bot (their cases and conversation are filed under it)."""
        return UserKey.telegram(self.plan.user_id)

    async def converse(self) -> None:
        try:
            if await self.run.until_acked(self.start_at):
                await self._converse()
        except Exception as exc:  # reported with the others' results; the others go on
            self.problem = f"{type(exc).__name__}: {exc}"
        finally:
            self.run.users_done += 1

    async def _converse(self) -> None:
        updates = [self.api.command_update(self.user, "/start")]
        while True:
            before = len(self.log.messages)
            for update in updates:
                await self.run.deliver(update)
                self.sent += 1
            album = len(updates) > 1
            if not await self.log.wait_beyond(
                before, ALBUM_REPLY_TIMEOUT_S if album else REPLY_TIMEOUT_S
            ):
                # A person would look at the last question and go on; for a single
                # update it is still a bug (the bot answers 200 only after replying).
                self.run.counts["album_replies_missing" if album else "silent_acks"] += 1
            shown = self.log.question()
            if (
                shown is None
                and self.log.asked_to_send_again()
                and self.sent < MAX_UPDATES_PER_USER
            ):
                # The bot could not take the first message and said so, asking for it
                # again "in a moment": a person sends it again. (Told to wait instead, the
                # database down, they do not: Telegram's redelivery is answered.)
                self.run.counts["sent_again"] += 1
                await asyncio.sleep(SEND_AGAIN_AFTER_S)
                updates = [self.api.command_update(self.user, "/start")]
                continue
            if shown is None:
                raise AssertionError("the bot never asked anything")
            if shown.question == "submitted":
                self.finished = True
                return
            if self.plan.quit_after is not None and self.sent >= self.plan.quit_after:
                self.quit = True
                return
            if self.sent >= MAX_UPDATES_PER_USER:
                raise AssertionError(f"still at {shown.question!r} after {self.sent} updates")
            updates = self.answer(shown)

    def answer(self, shown: Shown) -> list[JSONDict]:
        """The next updates, decided from the question alone (whatever came before it)."""
        if shown.question == "evidence":
            received = received_count(shown.text)
            if self.plan.album and received == 0 and not self.album_sent:
                self.album_sent = True
                return [
                    self.api.photo_update(
                        self.user, self.plan.photo(n), media_group_id=self.plan.album_id
                    )
                    for n in range(self.plan.photos)
                ]
        return [self.answer_one(shown)]

    def answer_one(self, shown: Shown) -> JSONDict:
        p, question = self.plan, shown.question
        if question == "amount":
            assert p.amount is not None, "asked for an amount without a loss"
            if p.typo_first and not self.typo_sent:
                self.typo_sent = True
                return self.api.text_update(self.user, TYPOS[p.lang])
            return self.api.text_update(self.user, p.amount_text)
        if question == "evidence":
            received = received_count(shown.text)
            if received < p.photos:
                return self.api.photo_update(self.user, p.photo(received))
            for finish in ("done", "later", "skip"):
                if f"evidence:{finish}" in shown.buttons:
                    return self.press(shown, finish)
        typed = {
            "service_other": p.service_other,
            "description": p.description,
            "business_number": p.business_number,
        }
        if question == "description" and p.monetary and p.description is None:
            return self.press(shown, "skip")
        if question in typed:
            text = typed[question]
            assert text is not None, f"asked {question!r}, which this report does not need"
            return self.api.text_update(self.user, text)
        amount_shown = p.amount is not None and format_amount(p.amount, p.lang) in shown.text
        choices = {
            "consent": "agree",
            "reporter_type": p.reporter_type,
            "service": p.service,
            "paid": "paid" if p.paid else "free",
            "monetary": "yes" if p.monetary else "no",
            "amount_confirm": "yes" if amount_shown else "no",
            "channel": "yes" if p.has_channel else "no",
            "summary": "submit",
            "resume": "continue",
            "edit_menu": "summary",
        }
        if question not in choices:
            raise AssertionError(f"unexpected question {question!r}: {shown.text[:80]!r}")
        return self.press(shown, choices[question])

    def press(self, shown: Shown, value: str) -> JSONDict:
        data = f"{shown.question}:{value}"
        if data not in shown.buttons:
            raise AssertionError(f"no button {data!r} under {shown.text[:80]!r}")
        return self.api.callback_update(self.user, data, message_id=shown.message_id)


# -- the bot process -----------------------------------------------------------------------------
class WebForms:
    """What a web chat user's answers are: the same choices as a Telegram user's, as form posts.

    Stands in for the Bot API stand-in's update builders, so :class:`WebUser` answers
    with :meth:`SimulatedUser.answer` unchanged.
    """

    def text_update(self, user: JSONDict, text: str, **options: Any) -> tuple[str, Any]:
        return ("text", text)

    def photo_update(self, user: JSONDict, data: bytes, **options: Any) -> tuple[str, Any]:
        return ("file", data)

    def callback_update(self, user: JSONDict, data: str, **options: Any) -> tuple[str, Any]:
        return ("choice", data)


class WebUser(SimulatedUser):
    """The same person through the web chat at ``/`` of the same bot process, with the page's
    script (``script``) or without it. Each answer is posted until the server takes it (a
    refused connection, a dropped one, a 5xx: the same form again, with the same request
    number, as a browser's retry or a person pressing again); then the page is read again."""

    def __init__(self, run: Run, plan: Plan, start_at: float, base: str, script: bool) -> None:
        super().__init__(run, plan, start_at)
        self.forms = WebForms()
        self.api = self.forms  # type: ignore[assignment]  # answers become form posts
        self.base = base
        self.script = script
        self.visitor: str | None = None

    @property
    def key(self) -> UserKey:
        return UserKey("web", self.visitor or "none")

    async def _converse(self) -> None:
        from tests.support.web_chat import WebVisitor

        lang = "en-US" if self.plan.lang == "en" else "ko-KR"
        async with WebVisitor(self.base, script=self.script, lang=lang) as me:
            self.me = me
            await self._read()
            answers: list[tuple[str, Any]] = [("cmd", "start")]
            while True:
                await self._post(answers)
                self.sent += len(answers)
                await self._read()
                shown = self.log.question()
                if shown is None:
                    raise AssertionError("the page never asked anything")
                if shown.question == "submitted":
                    self.finished = True
                    return
                if self.plan.quit_after is not None and self.sent >= self.plan.quit_after:
                    self.quit = True
                    return
                if self.sent >= MAX_UPDATES_PER_USER:
                    raise AssertionError(f"still at {shown.question!r} after {self.sent} posts")
                answers = self.answer(shown)  # type: ignore[assignment]

    async def _read(self) -> None:
        """Open the page (again after a kill) and read what it shows, as the chat log."""
        while True:
            try:
                await self.me.open()
            except (aiohttp.ClientError, OSError):
                pass
            else:
                if self.me.last_status == 200:
                    break
            if time.monotonic() > self.run.deadline:
                raise TimeoutError("the page did not open again before the deadline")
            await asyncio.sleep(0.1)
        cookie = self.me.http.cookie_jar.filter_cookies(URL(self.base)).get("chat")
        self.visitor = cookie.value.rpartition(".")[0] if cookie else self.visitor
        bots = [text for kind, text in self.me.screen.bubbles if kind != "mine"]
        buttons = tuple(value for _, value in self.me.screen.buttons)
        self.log.messages = [
            Shown(i, text, buttons if i == len(bots) - 1 else (), None)
            for i, text in enumerate(bots)
        ]
        self.log.messages = [
            replace(m, question=read_question(m.text, m.buttons)) for m in self.log.messages
        ]

    async def _post(self, answers: list[tuple[str, Any]]) -> None:
        """Post one answer (files together) until the server takes it."""
        files = [data for kind, data in answers if kind == "file"]
        self.run.counts["updates"] += 1
        failed = False
        while True:
            self.run.counts["posts"] += 1
            try:
                if files:
                    status = await self.me.attach(
                        *((f"photo{n}.jpg", "image/jpeg", d) for n, d in enumerate(files))
                    )
                else:
                    ((kind, value),) = answers
                    status = await self.me.post("/say", {kind: value})
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.run.failed_posts[f"web {type(exc).__name__}"] += 1
                status = None
            if status == 200:
                self.run.counts["acked"] += 1
                self.run.counts["redelivered_updates"] += failed
                return
            if status is not None and status < 500 and status != 429:
                raise AssertionError(f"the web chat refused {answers[0][0]}: HTTP {status}")
            failed = True
            if time.monotonic() > self.run.deadline:
                raise TimeoutError("an answer was not taken before the deadline")
            await asyncio.sleep(random.uniform(0.05, 0.3))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    """``python -m bot telegram`` in webhook mode on one port, killed and started again at will."""

    def __init__(self, api: BotAPIStandIn, data_dir: Path, log_path: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.start_s: list[float] = []  # from spawn to a healthy server, per served start
        # The bot's own settings come only from here, whatever the caller's shell sets.
        env = webhook_bot_env(api, port=self.port, data_dir=data_dir, secret=SECRET)
        self.env = env

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- kill soak: start {self.starts} ---\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "telegram"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_healthy(self) -> None:
        url = f"http://127.0.0.1:{self.port}/healthz"
        deadline = time.monotonic() + START_TIMEOUT_S
        async with aiohttp.ClientSession() as session:
            while True:
                if not self.alive():
                    raise RuntimeError(f"the bot exited at start-up\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
                        if r.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the bot not healthy in {START_TIMEOUT_S}s\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.02)

    async def start(self) -> None:
        started = time.monotonic()
        self.spawn()
        await self.wait_healthy()
        self.start_s.append(time.monotonic() - started)

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed; the kernel drops the data-dir flock."""
        os.kill(self.pid, signal.SIGKILL)
        await self._reaped(float("inf"))

    async def stop(self) -> int | None:
        """SIGTERM, as a deployment stops it; None when it had to be killed after all."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        if await self._reaped(STOP_TIMEOUT_S):
            return self.proc.returncode
        await self.kill()
        return None

    async def _reaped(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.proc is not None and self.proc.poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no bot log)"
        return "\n".join(text.splitlines()[-lines:])


async def kill_and_restart(bot: BotProcess, run: Run, rng: random.Random) -> None:
    """Kill the serving bot, then start it again, now and then killing the new one mid-start."""
    await bot.kill()
    run.counts["kills"] += 1
    while True:
        started = time.monotonic()
        bot.spawn()
        if rng.random() < STARTUP_KILL_CHANCE:
            await asyncio.sleep(rng.uniform(0.05, 1.0))
            if bot.alive():
                await bot.kill()
                run.counts["startup_kills"] += 1
                continue
        await bot.wait_healthy()
        bot.start_s.append(time.monotonic() - started)
        return


async def killer(bot: BotProcess, run: Run, moments: list[float], rng: random.Random) -> None:
    """Kill at each moment (a count of acked updates), plus a random fraction of a second.

    Some kills wait for the case index to grow (a case being created: its number
    reserved, or its row written) and strike within milliseconds, in the middle of
    a submit.
    """
    index = DataLayout(bot.data_dir).index_file
    for moment in moments:
        if not await run.until_acked(moment):
            return
        if rng.random() < AIMED_KILL_SHARE:
            if await index_grows(index, timeout=3.0):
                run.counts["kills_at_submit"] += 1
            await asyncio.sleep(rng.uniform(0.0, 0.015))
        else:
            await asyncio.sleep(rng.uniform(0.0, 0.2))
        if run.over:
            return
        await kill_and_restart(bot, run, rng)


async def index_grows(path: Path, timeout: float) -> bool:
    """Wait until the file at ``path`` grows; False on timeout."""

    def size() -> int:
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return 0

    before, deadline = size(), time.monotonic() + timeout
    while size() == before:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.001)
    return True


async def report_progress(run: Run, users: int, total: int, started: float, show: bool) -> None:
    while show:
        await asyncio.sleep(5)
        c = run.counts
        print(
            f"  {time.monotonic() - started:5.1f}s: users done {run.users_done}/{users}, "
            f"updates acked {c['acked']}/~{total}, redelivered {c['redelivered_updates']}, "
            f"kills {c['kills']}+{c['startup_kills']}",
            flush=True,
        )


# -- the result -----------------------------------------------------------------------------------
@dataclass
class SoakResult:
    """The counts of one soak and every broken promise found."""

    counts: dict[str, Any]
    problems: list[str]
    log_tail: str

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"{key:>22}: {value}" for key, value in self.counts.items()]
        if self.problems:
            lines.append(f"{len(self.problems)} problems:")
            lines += [f"  - {p}" for p in self.problems[:40]]
            lines.append("tail of the bot's log:")
            lines.append(self.log_tail)
        lines.append(json.dumps({"soak": "kill", **self.counts, "problems": len(self.problems)}))
        return "\n".join(lines)


def check_case(plan: Plan, case: Case, store: TinyDBStorage) -> list[str]:
    """What in a case differs from what its user answered, evidence bytes included."""
    small_loss = plan.reporter_type == "small_business" and plan.monetary
    expected = {
        "lang": plan.lang,
        "reporter_type": plan.reporter_type,
        "service": plan.service,
        "service_other": plan.service_other,
        "paid": plan.paid,
        "monetary": plan.monetary,
        "tier": plan.tier,
        "amount": plan.amount if plan.monetary else None,
        "business_number": plan.business_number if small_loss else None,
        "channel_cash": small_loss and plan.has_channel,
        "description": plan.description,
    }
    wrong = [
        f"{key}={getattr(case, key)!r}, answered {value!r}"
        for key, value in expected.items()
        if getattr(case, key) != value
    ]
    photos = {hashlib.sha256(plan.photo(n)).hexdigest() for n in range(plan.photos)}
    kept = [ref.sha256 for ref in case.evidence]
    if sorted(kept) != sorted(photos):
        wrong.append(f"evidence {len(kept)} files, sent {len(photos)}")
    for digest in kept:
        try:
            with store.open_evidence(digest) as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    wrong.append(f"evidence {digest[:12]} damaged")
        except Exception as exc:
            wrong.append(f"evidence {digest[:12]} unreadable: {type(exc).__name__}")
    return wrong


def verify(
    data_dir: Path,
    users: list[SimulatedUser],
    legacy: dict[str, tuple[UserKey, tuple[str, ...]]] | None = None,
) -> tuple[Counter[str], list[str]]:
    """Check every promise against the data directory of the stopped bot.

    ``legacy``: the cases a migrated directory held before the run (see
    tests/support/legacy_data.py); each must still be there, untouched.
    """
    counts: Counter[str] = Counter()
    problems: list[str] = []
    if legacy:
        counts["legacy_cases"] = len(legacy)
        problems += missing_cases(data_dir, legacy)
    layout = DataLayout(data_dir)
    # Rebuilt from a copy taken before anything opens (and settles) the original.
    copy_dir = data_dir.with_name(data_dir.name + "-rebuilt")
    shutil.copytree(data_dir, copy_dir)
    store = TinyDBStorage(data_dir)
    try:
        rows = store.list_cases()
        counts["cases"] = len(rows)
        for user in users:
            plan = user.plan
            who = f"user {plan.user_id}"
            shown = user.log.case_numbers()
            counts["case_numbers_shown"] += len(shown)
            for number in sorted(shown):
                case = store.get_case(number)
                if case is None:
                    counts["lost_cases"] += 1
                    problems.append(f"{who} was shown {number}, which does not exist")
                elif case.user_id != user.key:
                    problems.append(f"{who} was shown {number} of user {case.user_id}")
            own = store.list_cases(CaseFilter(user_id=user.key))
            if len(own) > 1:
                counts["duplicates"] += len(own) - 1
                problems.append(f"{who} has {len(own)} cases: {[r.case_number for r in own]}")
            record = store.load_conversation(user.key)
            if user.problem and (user.finished or not plan.finishes):
                problems.append(f"{who}: {user.problem}")
            if not plan.finishes:
                counts["quitters"] += 1
                if not user.quit:
                    problems.append(f"{who} never got to where they meant to stop")
                if own:
                    problems.append(f"{who} stopped mid-report but has a case")
                if record is None or record.state not in DRAFT_STATES:
                    state = record.state if record else None
                    problems.append(f"{who} stopped mid-report; the draft is {state!r}")
                continue
            if not user.finished:
                counts["unfinished"] += 1
                last = user.log.question()
                at = last.question if last else None
                problems.append(f"{who} did not finish (at {at!r}): {user.problem}")
            if not own:
                if user.finished:
                    problems.append(f"{who} finished but has no case")
                continue
            case = store.get_case(own[0].case_number)
            assert case is not None
            counts["finished"] += user.finished
            counts["evidence_files"] += len(case.evidence)
            if user.finished and shown != {case.case_number}:
                problems.append(f"{who} was shown {sorted(shown)}, has {case.case_number}")
            wrong = check_case(plan, case, store)
            counts["wrong_answers"] += len(wrong)
            problems += [f"{who}, case {case.case_number}: {w}" for w in wrong]
            if record is None or (record.state, record.case_number) != (
                "submitted",
                case.case_number,
            ):
                problems.append(f"{who}'s conversation does not point at {case.case_number}")
        cases = [store.get_case(row.case_number) for row in rows]
        if [c.summary() if c else None for c in cases] != rows:
            problems.append("index rows differ from the case files")
        drafts = Counter(c.draft_id for c in cases if c)
        if twice := sorted(d for d, n in drafts.items() if n > 1):
            problems.append(f"drafts with more than one case: {twice}")
        audited = {e.case_number for e in store.iter_audit() if e.action == "case.created"}
        if missing := {r.case_number for r in rows} - audited:
            problems.append(f"cases without their creation audit entry: {sorted(missing)}")
        # Every file must read: an unreadable one would be quarantined here.
        for path in layout.iter_case_files():
            with contextlib.suppress(CorruptFile):
                store.get_case(path.name.removesuffix(".json"))
        counts["case_files"] = sum(1 for _ in layout.iter_case_files())
        counts["conversations"] = sum(1 for _ in store.iter_conversations())
    finally:
        store.close()

    counts["rebuilt_cases"] = rebuild_index(copy_dir)
    rebuilt = TinyDBStorage(copy_dir)
    try:
        index_equals_rebuild = rebuilt.list_cases() == rows
    finally:
        rebuilt.close()
    counts["index_equals_rebuild"] = index_equals_rebuild
    if not index_equals_rebuild:
        problems.append("the case index differs from one rebuilt from the case files")
    quarantined = [
        *layout.quarantine_dir.iterdir(),
        *DataLayout(copy_dir).quarantine_dir.iterdir(),
    ]
    counts["quarantined"] = len(quarantined)
    if quarantined:
        problems.append(f"quarantined: {sorted(p.name for p in quarantined)}")
    return counts, problems


async def run_soak(
    work_dir: Path,
    *,
    users: int = 100,
    kills: int = 20,
    seed: int | None = None,
    deadline_s: float = 300.0,
    progress: bool = False,
    migrated_from: Path | None = None,
    web_share: float = 0.25,
) -> SoakResult:
    """Run ``users`` reports against the real bot process while killing it ``kills`` times.

    The Bot API stand-in and the users run in this process; the bot runs as
    ``python -m bot telegram`` in webhook mode (its output goes to
    ``work_dir/bot.log``). Telegram's part is played faithfully: a user's next
    update goes out only after the webhook answered the previous one with 200, and
    a failed delivery is repeated with the same update (same update id) until it
    gets one. Users decide each step from the bot's last question, so a lost reply
    or a question asked again does not throw them off.

    Kill moments are drawn at random over the run's progress (counts of acked
    updates), so they fall during the conversations however fast the machine is;
    half the users arrive later, so some submit while others start. ``deadline_s``
    bounds the run: a user still going then is reported as stuck.

    ``web_share``: this share of the users files through the web chat at ``/`` of the
    same process (half of them with the page's script, half without), posting each
    answer again until the server takes it.

    ``migrated_from``: start on a copy of this earlier release's data directory
    (e.g. tests/fixtures/data_v1) converted by ``python -m bot migrate``, as an
    upgrade does; its cases must come through the run as they were.
    """
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)
    plans = make_plans(users, rng, load_policy())
    total = sum(p.steps if p.finishes else p.quit_after or 0 for p in plans)
    data_dir = work_dir / "data"
    bot_log = work_dir / "bot.log"
    if data_dir.exists():  # every check below assumes only this run's users wrote there
        raise FileExistsError(f"{data_dir} exists: the soak needs a fresh work directory")
    legacy = None
    if migrated_from is not None:
        print(migrated_copy(data_dir, migrated_from, command=True), flush=True)
        legacy = legacy_cases(data_dir)
    started = time.monotonic()
    async with SoakStandIn() as api:
        if legacy is not None:
            for user_id in LEGACY_USERS:  # the bot messages them as soon as it starts
                api.user(user_id)
        run = Run(api, deadline=started + deadline_s)
        bot = BotProcess(api, data_dir, bot_log)
        await bot.start()
        web_every = round(1 / web_share) if web_share else 0
        base = f"http://127.0.0.1:{bot.port}"
        people = [
            WebUser(run, plan, start, base, script=(i // web_every) % 2 == 0)
            if web_every and i % web_every == 1
            else SimulatedUser(run, plan, start)
            for i, plan in enumerate(plans)
            for start in [0.0 if i % 2 == 0 else rng.uniform(0.0, 0.5) * total]
        ]
        moments = sorted(rng.uniform(0.02, 0.97) * total for _ in range(kills))
        ticker = asyncio.create_task(report_progress(run, users, total, started, progress))
        killing = asyncio.create_task(killer(bot, run, moments, rng))
        talking = asyncio.gather(*(p.converse() for p in people))
        problems: list[str] = []
        try:
            # The killer failing (the bot would not start again) ends the run at once.
            await asyncio.wait({killing, talking}, return_when=asyncio.FIRST_EXCEPTION)
            if killing.done() and killing.exception():
                problems.append(f"restarting the bot failed: {killing.exception()}")
                talking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await talking
            # Let a restart in progress finish: SIGTERM during start-up is another test.
            run.over = True
            with contextlib.suppress(Exception):
                await killing
        finally:
            ticker.cancel()
            stop_code = await bot.stop()
        elapsed = time.monotonic() - started
    if stop_code != 0:
        problems.append(f"the bot did not stop cleanly on SIGTERM (exit code {stop_code})")
    checked, found = verify(data_dir, people, legacy)
    c = run.counts
    counts: dict[str, Any] = {
        "seed": seed,
        "migrated_from": str(migrated_from) if migrated_from else None,
        "legacy_cases": checked["legacy_cases"],
        "users": users,
        "web_users": sum(isinstance(p, WebUser) for p in people),
        "finished": checked["finished"],
        "quitters": checked["quitters"],
        "unfinished": checked["unfinished"],
        "updates": c["updates"],
        "redelivered_updates": c["redelivered_updates"],
        "interrupted_updates": c["interrupted_updates"],
        "redeliveries": c["posts"] - c["updates"],
        "posts": c["posts"],
        "failed_posts": dict(run.failed_posts.most_common()),
        "silent_acks": c["silent_acks"],
        "reasked": sum(p.log.reasked() for p in people),
        "albums": sum(p.album_sent for p in people),
        "album_replies_missing": c["album_replies_missing"],
        "kills": c["kills"],
        "kills_at_submit": c["kills_at_submit"],
        "startup_kills": c["startup_kills"],
        "bot_starts": bot.starts,
        "mean_start_s": round(sum(bot.start_s) / max(len(bot.start_s), 1), 2),
        "messages": sum(len(p.log.messages) for p in people),
        **{k: checked[k] for k in ("cases", "case_files", "case_numbers_shown", "conversations")},
        "lost_cases": checked["lost_cases"],
        "duplicates": checked["duplicates"],
        "wrong_answers": checked["wrong_answers"],
        "evidence_files": checked["evidence_files"],
        "quarantined": checked["quarantined"],
        "index_equals_rebuild": bool(checked["index_equals_rebuild"]),
        "elapsed_s": round(elapsed, 1),
    }
    if c["kills"] < kills:
        problems.append(f"only {c['kills']} of {kills} kills happened")
    if c["silent_acks"]:
        problems.append(f"{c['silent_acks']} updates got a 200 but no reply")
    return SoakResult(counts, problems + found, bot.log_tail())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.soak.kill_soak", description=run_soak.__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument(
        "--kills", type=int, default=20, help="SIGKILLs of a serving bot (at least)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="the users' answers and kill moments"
    )
    parser.add_argument(
        "--deadline", type=float, default=300.0, help="seconds before users count as stuck"
    )
    parser.add_argument(
        "--dir", type=Path, help="work directory to keep (default: a temporary one)"
    )
    parser.add_argument(
        "--web-share", type=float, default=0.25, help="share of users on the web chat"
    )
    parser.add_argument(
        "--migrated",
        nargs="?",
        type=Path,
        const=DATA_V1,
        metavar="LEGACY_DIR",
        help="start on a copy of an earlier release's data directory, converted by "
        "python -m bot migrate (default: tests/fixtures/data_v1)",
    )
    args = parser.parse_args(argv)
    if args.dir and (args.dir / "data").exists():
        parser.error(f"{args.dir} holds an earlier run; give a fresh --dir")
    # The bot dies mid-request on purpose; the stand-in's server would log every reset.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    with contextlib.ExitStack() as stack:
        work_dir = args.dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work_dir.mkdir(parents=True, exist_ok=True)
        print(f"kill soak: {args.users} users, {args.kills} kills, work dir {work_dir}", flush=True)
        result = asyncio.run(
            run_soak(
                work_dir,
                users=args.users,
                kills=args.kills,
                web_share=args.web_share,
                seed=args.seed,
                deadline_s=args.deadline,
                progress=True,
                migrated_from=args.migrated,
            )
        )
        print(result.report(), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
