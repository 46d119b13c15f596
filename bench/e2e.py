"""Benchmark whole conversations in webhook mode: our bot against a textbook PTB bot, over loopback.

Simulated users (a mix of small businesses, general users and companies) each
run a full report, from /start to the case number, against the Bot API stand-in
(``tests/support/bot_api.py``); each waits for the bot's reply before its next
update, as a person does, and at most ``--concurrency`` of them are mid-report
at once (``--burst``: all of them start together). ``--think-ms`` paces them like
people: random pauses between a reply and the next update, so the load is below
saturation and latency is processing time rather than queueing. Webhook POSTs go through at
most 40 connections, Telegram's default ``max_connections``.

Each bot runs in its own process, so its CPU time and peak RSS are its own and
it never shares an event loop with the load: ``python -m bot telegram`` (TinyDB
storage, durable after every step) and the peer in
``bench/peers/ptb_conversation.py`` (ConversationHandler + PicklePersistence),
each with its own stand-in and data directory, loaded in alternating rounds
(``--rounds``) so that other work on the machine hits both alike; only one is
loaded at a time. The stand-ins and the simulated users share this process:
the users build callback updates from the stand-in's record of sent messages,
and on two cores this leaves the bot one core and the harness the other (the
harness's CPU use is printed, to show when it, not the bot, is the limit).

Latency is from just before the webhook POST is sent to the moment the stand-in
receives that user's first sendMessage, both read from this process's monotonic
clock: an upper bound on "update received to reply requested". The rate
limiter is off (TELEGRAM_MAX_RATE=0): the stand-in is not Telegram and does not
throttle. Prints progress and tables and, as the last line, JSON (see
../shared/docs/benchmarks.md, section bench/e2e.py).

``--floor`` also measures ``bench/peers/ptb_floor.py``, a PTB bot that only
parses each update and sends one message: what the machine, the harness and the
framework allow before any bot logic, for reading the other figures against.

``--migrated`` starts our bot on a copy of an earlier release's data directory
(default tests/fixtures/data_v1) converted by ``python -m bot migrate``, as an
upgrade does; afterwards its cases must all still be there (``legacy_cases_missing``
in the JSON, and a non-zero exit when any is). The peers start empty as always.

``--profile`` runs the bots under cProfile (one profiler per thread, CPU time per
thread) and prints where their CPU time goes; their throughput is then not comparable.

``--store postgres --instances N`` starts a durable PostgreSQL server of its own
(tests/support/postgres_server.py, fsync and synchronous_commit on) and measures, in
alternating rounds of the same load: one TinyDB instance (``tinydb``), one PostgreSQL
instance alone (``pg-alone``, no balancer: like for like with TinyDB) and N PostgreSQL
instances behind HAProxy (``pg-lbN``, tests/support/haproxy.py, the README's
configuration), each PostgreSQL run on a database of its own. Each instance's CPU
time (utime+stime from /proc) is divided by the updates it handled: HAProxy's
per-server request count from its stats socket (health checks not counted), or
every POST for an instance alone. The PostgreSQL server's CPU (all its processes)
and HAProxy's are printed per update too, as the cost moved there. No peer is run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import itertools
import json
import os
import pstats
import random
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.web import WEBHOOK_PATH
from tests.support.bot_api import BotAPIStandIn, Call, JSONDict
from tests.support.bot_process import webhook_bot_env
from tests.support.haproxy import NO_HAPROXY, HAProxy, haproxy, haproxy_installed
from tests.support.legacy_data import (
    DATA_V1,
    LEGACY_USERS,
    legacy_cases,
    migrated_copy,
    missing_cases,
)
from tests.support.postgres_server import PostgresServer, find_bindir

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench" / "peers" / "ptb_conversation.py"
FLOOR = ROOT / "bench" / "peers" / "ptb_floor.py"
SECRET = "e2e-bench-secret"
TELEGRAM_CONNECTIONS = 40  # setWebhook's max_connections default
FIRST_USER_ID = 7_000_000_000
STEP_TIMEOUT_S = 30.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Step:
    """One thing a user does: press a button (``question:value``), type text or a command."""

    kind: str  # "press" | "text"
    value: str
    replies: int = 1  # sendMessage calls the step is answered with


def press(data: str, replies: int = 1) -> Step:
    return Step("press", data, replies)


def say(text: str, replies: int = 1) -> Step:
    return Step("text", text, replies)


# Three full reports; the amount confirmation is answered with the tier and the next question.
SCRIPTS: dict[str, tuple[Step, ...]] = {
    "small_business": (
        say("/start"),
        press("consent:agree"),
        press("reporter_type:small_business"),
        press("service:talk_channel"),
        press("paid:free"),
        press("monetary:yes"),
        say("예약 문의를 못 받았어요"),  # what happened
        say("35만 원"),
        press("amount_confirm:yes", replies=2),
        say("220-81-62517"),  # a Channel's own damage: running one is inferred, not asked
        press("evidence:skip"),
        press("summary:submit"),
    ),
    "general": (
        say("/start"),
        press("consent:agree"),
        press("reporter_type:general"),
        press("service:kakaomap"),
        press("monetary:yes"),
        press("description:skip"),
        say("50000"),
        press("amount_confirm:yes", replies=2),
        press("evidence:skip"),
        press("summary:submit"),
    ),
    "company": (
        say("/start"),
        press("consent:agree"),
        press("reporter_type:company"),
        press("service:kakao_t"),
        press("paid:paid"),
        press("monetary:yes"),
        press("description:skip"),
        say("1,200만원"),
        press("amount_confirm:yes", replies=2),
        press("evidence:skip"),
        press("summary:submit"),
    ),
}
KINDS = tuple(SCRIPTS)
SUBMITTED_MARK = "접수번호"  # in the last reply of a finished report, in both bots


# -- the stand-in, with O(1) bookkeeping per call ------------------------------------------------
@dataclass
class ChatLog:
    """What the bot did in one user's chat, as the simulated user needs it."""

    sends: list[float] = field(default_factory=list)  # arrival of each sendMessage
    events: list[tuple[str, float]] = field(default_factory=list)  # every call about this chat
    buttons: dict[str, int] = field(default_factory=dict)  # callback data -> newest message
    last_text: str = ""
    waiter: tuple[int, asyncio.Future[None]] | None = None

    async def wait_for_sends(self, count: int, timeout: float) -> None:
        if len(self.sends) >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self.waiter = (count, future)
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self.waiter = None


class RecordingStandIn(BotAPIStandIn):
    """The stand-in, also filing each call under its chat as it is recorded.

    ``wait_for_messages`` wakes every waiter on every call and rescans the chat
    (O(users x calls) with hundreds of users waiting), and ``messages_to`` deep
    copies a chat; this hooks the stand-in's two recording points instead, so
    the harness's cost per call stays constant.
    """

    def __init__(self) -> None:
        super().__init__()
        self.chats: dict[int, ChatLog] = {}
        self.query_chats: dict[str, int] = {}  # callback query id -> chat, for answers

    def _store(self, chat: JSONDict, fields: JSONDict, markup: JSONDict | None) -> JSONDict:
        message = super()._store(chat, fields, markup)
        log = self.chats.get(chat["id"])
        if log is not None:
            for row in (markup or {}).get("inline_keyboard", ()):
                for button in row:
                    log.buttons[button["callback_data"]] = message["message_id"]
            log.last_text = message.get("text") or ""
        return message

    def _record(self, call: Call) -> None:
        super()._record(call)
        if not call.ok:
            return
        if call.method == "answerCallbackQuery":
            chat_id = self.query_chats.pop(str(call.params.get("callback_query_id")), None)
        else:
            chat_id = call.params.get("chat_id")
        log = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if log is None:
            return
        log.events.append((call.method, call.at))
        if call.method == "sendMessage":
            log.sends.append(call.at)
            if log.waiter is not None and len(log.sends) >= log.waiter[0]:
                future = log.waiter[1]
                if not future.done():
                    future.set_result(None)


# -- the simulated users ------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """Timings of one delivered update, in seconds on this process's monotonic clock."""

    kind: str
    posted: float
    acked: float  # the webhook's 2xx arrived
    first_send: float
    last_send: float
    answer: float | None  # answerCallbackQuery
    edit: float | None  # the pressed message edited


@dataclass
class RunStats:
    samples: list[Sample] = field(default_factory=list)
    completed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    posts: int = 0  # webhook POSTs sent, answered or not


class Users:
    """Runs users' conversations against whichever bot set the stand-in's webhook."""

    def __init__(self, api: RecordingStandIn, think_s: float = 0.0, seed: int = 1015) -> None:
        self.api = api
        self.think_s = think_s
        self.rng = random.Random(seed)
        self.connections = asyncio.Semaphore(TELEGRAM_CONNECTIONS)

    async def run(self, user_ids: list[int], concurrency: int, progress: str = "") -> RunStats:
        stats = RunStats()
        queue = iter(user_ids)
        started = time.monotonic()
        total = len(user_ids)
        ticker = asyncio.create_task(self._progress(stats, total, started, progress))

        async def worker() -> None:
            for user_id in queue:
                kind = KINDS[user_id % len(KINDS)]
                try:
                    await self.converse(user_id, kind, stats)
                    stats.completed += 1
                except Exception as exc:  # counted and shown; the other users go on
                    stats.failures[f"{type(exc).__name__}: {exc}"[:160]] += 1

        try:
            await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, total)))))
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        stats.wall_s = time.monotonic() - started
        return stats

    async def _progress(self, stats: RunStats, total: int, started: float, label: str) -> None:
        if not label:
            return
        while True:
            await asyncio.sleep(10)
            done = stats.completed + sum(stats.failures.values())
            elapsed = time.monotonic() - started
            print(
                f"  {label}: {done}/{total} users, {len(stats.samples)} updates, "
                f"{len(stats.samples) / elapsed:.0f} updates/s",
                flush=True,
            )

    async def converse(self, user_id: int, kind: str, stats: RunStats) -> None:
        api = self.api
        user = api.user(user_id, first_name=f"User{user_id % 100_000}", language_code="ko")
        log = api.chats[user_id] = ChatLog()
        for n, step in enumerate(SCRIPTS[kind]):
            if self.think_s:
                # People neither start nor answer in step: a random start, then pauses of
                # think_s on average (exponential), so updates arrive spread out, not in waves.
                rng = self.rng
                await asyncio.sleep(
                    rng.uniform(0, self.think_s) if n == 0 else rng.expovariate(1 / self.think_s)
                )
            if step.kind == "press":
                message_id = log.buttons.get(step.value)
                if message_id is None:
                    raise AssertionError(f"no button {step.value} after {log.last_text[:40]!r}")
                update = api.callback_update(user, step.value, message_id=message_id)
                api.query_chats[update["callback_query"]["id"]] = user_id
            else:
                update = api.text_update(user, step.value)
            sends_before, events_before = len(log.sends), len(log.events)
            async with self.connections:
                posted = time.monotonic()
                stats.posts += 1
                status = await api.deliver(update, timeout=STEP_TIMEOUT_S)
                acked = time.monotonic()
            if status != 200:
                raise AssertionError(f"webhook answered {status} to {step.value}")
            try:
                await log.wait_for_sends(sends_before + step.replies, STEP_TIMEOUT_S)
            except TimeoutError:
                raise AssertionError(f"no reply to {step.value} in {STEP_TIMEOUT_S}s") from None
            events = log.events[events_before:]
            stats.samples.append(
                Sample(
                    kind=step.kind,
                    posted=posted,
                    acked=acked,
                    first_send=log.sends[sends_before],
                    last_send=log.sends[sends_before + step.replies - 1],
                    answer=next((at for m, at in events if m == "answerCallbackQuery"), None),
                    edit=next((at for m, at in events if m == "editMessageText"), None),
                )
            )
        if SUBMITTED_MARK not in log.last_text:
            raise AssertionError(f"report not submitted; last reply {log.last_text[:60]!r}")


def floor_script() -> str:
    """What the floor bot needs to carry the users' scripts through: FLOOR_SCRIPT."""
    presses = [step for steps in SCRIPTS.values() for step in steps if step.kind == "press"]
    return json.dumps(
        {
            "buttons": sorted({step.value for step in presses}),
            "replies": {step.value: step.replies for step in presses if step.replies != 1},
            "text": f"{SUBMITTED_MARK}: 다음 질문이에요. 아래 버튼 중 하나를 눌러 주세요.",
        },
        ensure_ascii=False,
    )


# -- the bots' processes ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A bot to measure: how to start it and what to call it."""

    name: str
    command: list[str]
    extra_env: dict[str, str] = field(default_factory=dict)
    instances: int = 1  # more than one: that many processes behind HAProxy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def proc_cpu_s(pid: int) -> float:
    """User plus system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s(server: PostgresServer) -> float:
    """CPU time of the PostgreSQL server so far: the postmaster, its live processes (backends,
    WAL writer, checkpointer, ...) and those that ended (their time is the postmaster's
    ``cutime``/``cstime``)."""
    pid_file = server.data / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster or ppid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick


class BotProcess:
    """One bot in its own process, pointed at the stand-in in webhook mode."""

    def __init__(
        self,
        target: Target,
        api: BotAPIStandIn,
        data_dir: Path,
        *,
        port: int | None = None,
        name: str | None = None,
        webhook_url: str | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.target = target
        self.name = name or target.name
        self.port = port or free_port()
        env = webhook_bot_env(api, port=self.port, data_dir=data_dir, secret=SECRET)
        env.update(target.extra_env)
        if webhook_url:  # behind a balancer: Telegram is told the balancer's URL
            env["WEBHOOK_URL"] = webhook_url
        self.log_path = data_dir.parent / f"{self.name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            command or target.command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self, api: BotAPIStandIn) -> None:
        """Wait until the bot set its webhook and its server accepts connections."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up: {self.log_tail()}")
            if api.webhook is not None:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    pass
                else:
                    writer.close()
                    await writer.wait_closed()
                    return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready in {START_TIMEOUT_S}s: {self.log_tail()}")

    def cpu_s(self) -> float:
        return proc_cpu_s(self.proc.pid)

    def peak_rss_mb(self) -> float:
        return proc_status_kb(self.proc.pid, "VmHWM") / 1024

    async def stop(self) -> int:
        """SIGTERM, as a deployment would stop it; SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self.proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


# -- one measured run ---------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values, in ms; values are in seconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


class Measured:
    """One bot under load: its stand-in, its process(es), and what its rounds added up to.

    A target of several instances runs that many processes behind HAProxy (the
    README's configuration, ``tests/support/haproxy.py``), every one told the
    balancer's URL as its webhook; HAProxy's per-server request count says exactly
    how many updates each instance handled, for its CPU time per update.
    """

    def __init__(
        self,
        target: Target,
        args: argparse.Namespace,
        work: Path,
        postgres: PostgresServer | None = None,
    ) -> None:
        self.target = target
        self.args = args
        self.work = work / target.name
        self.data_dir = self.work / "data"
        self.postgres = postgres
        self.api = RecordingStandIn()
        self.bots: list[BotProcess] = []
        self.balancer: HAProxy | None = None
        self._stack = contextlib.ExitStack()
        self.users = Users(self.api, args.think_ms / 1000)
        self.ids = itertools.count(FIRST_USER_ID)
        self.stats = RunStats()
        self.cpu_s = self.harness_cpu_s = 0.0
        self.cpu_by_bot = [0.0] * target.instances
        self.updates_by_bot = [0] * target.instances
        self.postgres_cpu_s = self.balancer_cpu_s = 0.0
        self.idle_cpu_per_s = [0.0] * target.instances  # CPU s per s with no update coming
        self.balancer_downs: list[int] = []
        self._downs_at_start: dict[str, int] = {}
        self.balancer_connects: list[int] = []
        self._connects_at_start: dict[str, tuple[int, int]] = {}
        self.calls = 0
        self.peak_rss_mb = 0.0
        # Our bot with --migrated: the cases the migrated directory held, then what of them
        # is missing once the bot stopped.
        self.legacy: dict[str, Any] | None = None
        self.legacy_missing: list[str] = []

    @property
    def bot(self) -> BotProcess | None:
        return self.bots[0] if self.bots else None

    async def start(self) -> None:
        """Start the stand-in and the bot(s), and warm the bot up with a few reports."""
        if self.args.migrated is not None and self.target.name == "ours":
            self.data_dir.parent.mkdir(parents=True)
            print(f"  {migrated_copy(self.data_dir, self.args.migrated, command=True)}")
            self.legacy = legacy_cases(self.data_dir)
            for user_id in LEGACY_USERS:  # the bot messages them as soon as it starts
                self.api.user(user_id)
        else:
            self.data_dir.mkdir(parents=True)
        await self.api.start()
        count = self.target.instances
        if count == 1:
            self.bots = [BotProcess(self.target, self.api, self.data_dir)]
        else:
            ports = [free_port() for _ in range(count)]
            self.balancer = self._stack.enter_context(haproxy(self.work, ports, stats=True))
            url = f"http://127.0.0.1:{self.balancer.port}{WEBHOOK_PATH}"
            for n, (port, name) in enumerate(zip(ports, self.balancer.servers, strict=True)):
                data_dir = self.work / f"data_{name}"
                data_dir.mkdir()
                command = list(self.target.command)
                if "--profile-child" in command:  # one profile per instance
                    command[-1] = str(Path(command[-1]).with_suffix(f".{n}.prof"))
                self.bots.append(
                    BotProcess(
                        self.target,
                        self.api,
                        data_dir,
                        port=port,
                        name=f"{self.target.name}-{name}",
                        webhook_url=url,
                        command=command,
                    )
                )
        for bot in self.bots:
            await bot.ready(self.api)
        if self.balancer is not None:
            await asyncio.to_thread(self.balancer.wait_all_up)
            # Down until the instances answered their first check: not counted.
            self._downs_at_start = self.balancer.downs_by_server()
            self._connects_at_start = self.balancer.connections_by_server()
        warmup = self.args.warmup
        if warmup:
            warm = await self.users.run([next(self.ids) for _ in range(warmup)], warmup)
            if warm.failures:
                raise RuntimeError(f"{self.target.name} warm-up failed: {dict(warm.failures)}")
        # bench/web.py measures through this class with arguments of its own (no --store).
        postgres = getattr(self.args, "store", None) == "postgres"
        idle_s = getattr(self.args, "idle_s", 0.0) if postgres else 0.0
        if idle_s > 0:
            # What an instance spends with nothing to do (its scheduler, the pool, the
            # balancer's health checks), to tell fixed costs from the cost of an update.
            before = [bot.cpu_s() for bot in self.bots]
            await asyncio.sleep(idle_s)
            self.idle_cpu_per_s = [
                (bot.cpu_s() - cpu) / idle_s for bot, cpu in zip(self.bots, before, strict=True)
            ]

    def _counts(self) -> list[int] | None:
        """Requests HAProxy forwarded to each instance so far (None without a balancer)."""
        if self.balancer is None:
            return None
        by_server = self.balancer.requests_by_server()
        return [by_server[name] for name in self.balancer.servers]

    async def round(self, users: int, label: str) -> None:
        """Run ``users`` more reports and add up their timings, CPU time and Bot API calls."""
        assert self.bots
        concurrency = users if self.args.burst else self.args.concurrency
        calls_before = len(self.api.calls)
        counts_before = self._counts()
        cpu_before = [bot.cpu_s() for bot in self.bots]
        own_before = time.process_time()
        pg_before = postgres_cpu_s(self.postgres) if self.postgres else 0.0
        lb_before = proc_cpu_s(self.balancer.pid) if self.balancer else 0.0
        stats = await self.users.run([next(self.ids) for _ in range(users)], concurrency, label)
        cpu = [bot.cpu_s() - before for bot, before in zip(self.bots, cpu_before, strict=True)]
        self.harness_cpu_s += time.process_time() - own_before
        if self.postgres:
            self.postgres_cpu_s += postgres_cpu_s(self.postgres) - pg_before
        if self.balancer:
            self.balancer_cpu_s += proc_cpu_s(self.balancer.pid) - lb_before
        counts_after = self._counts()
        if counts_before is None or counts_after is None:
            handled = [stats.posts]
        else:
            handled = [a - b for a, b in zip(counts_after, counts_before, strict=True)]
        self.cpu_s += sum(cpu)
        for n, (seconds, updates) in enumerate(zip(cpu, handled, strict=True)):
            self.cpu_by_bot[n] += seconds
            self.updates_by_bot[n] += updates
        # Requests the bot made; a method returned in a webhook response costs it none.
        self.calls += sum(c.via == "request" for c in self.api.calls[calls_before:])
        self.stats.samples += stats.samples
        self.stats.completed += stats.completed
        self.stats.failures += stats.failures
        self.stats.wall_s += stats.wall_s
        self.stats.posts += stats.posts

    async def stop(self) -> None:
        """Read the bots' peak RSS, then stop them (SIGTERM), the balancer and the stand-in."""
        if self.balancer is not None:
            with contextlib.suppress(OSError):
                downs = self.balancer.downs_by_server()
                self.balancer_downs = [
                    downs[name] - self._downs_at_start.get(name, 0)
                    for name in self.balancer.servers
                ]
                connects = self.balancer.connections_by_server()
                self.balancer_connects = [
                    connects[name][0] - self._connects_at_start.get(name, (0, 0))[0]
                    for name in self.balancer.servers
                ]
        for bot in self.bots:
            with contextlib.suppress(OSError):
                self.peak_rss_mb = max(self.peak_rss_mb, bot.peak_rss_mb())
            code = await bot.stop()
            if code not in (0, -signal.SIGTERM):
                print(f"  {bot.name} exited with {code}:\n{bot.log_tail()}")
        if self.legacy is not None:
            self.legacy_missing = missing_cases(self.data_dir, self.legacy)
            for problem in self.legacy_missing:
                print(f"  {self.target.name}: {problem}")
        self._stack.close()
        await self.api.close()

    def result(self) -> dict[str, Any]:
        samples = self.stats.samples
        updates = len(samples)
        wall = self.stats.wall_s or float("nan")
        latency = [s.first_send - s.posted for s in samples]
        per_update = 1000 / max(updates, 1)
        return {
            "name": self.target.name,
            "users": self.args.users,
            "completed": self.stats.completed,
            "failed": sum(self.stats.failures.values()),
            "failures": dict(self.stats.failures.most_common(5)),
            "updates": updates,
            "posts": self.stats.posts,
            "wall_s": wall,
            "updates_per_s": updates / wall,
            "p50_ms": pct(latency, 0.50),
            "p99_ms": pct(latency, 0.99),
            "max_ms": pct(latency, 1.0),
            "last_reply_p99_ms": pct([s.last_send - s.posted for s in samples], 0.99),
            "ack_p50_ms": pct([s.acked - s.posted for s in samples], 0.50),
            "ack_p99_ms": pct([s.acked - s.posted for s in samples], 0.99),
            "bot_cpu_pct": 100 * self.cpu_s / wall,
            "bot_cpu_ms_per_update": self.cpu_s * per_update,
            "instances": self.target.instances,
            "updates_by_instance": list(self.updates_by_bot),
            "cpu_ms_per_update_by_instance": [
                1000 * seconds / max(handled, 1)
                for seconds, handled in zip(self.cpu_by_bot, self.updates_by_bot, strict=True)
            ],
            "idle_cpu_ms_per_s_by_instance": [1000 * c for c in self.idle_cpu_per_s],
            # Each instance's CPU per update less what it would have spent idle meanwhile.
            "net_cpu_ms_per_update_by_instance": [
                1000 * max(0.0, seconds - idle * self.stats.wall_s) / max(handled, 1)
                for seconds, idle, handled in zip(
                    self.cpu_by_bot, self.idle_cpu_per_s, self.updates_by_bot, strict=True
                )
            ],
            "postgres_cpu_ms_per_update": self.postgres_cpu_s * per_update,
            "balancer_cpu_ms_per_update": self.balancer_cpu_s * per_update,
            "balancer_downs_by_instance": self.balancer_downs,
            "balancer_connects_by_instance": self.balancer_connects,
            "harness_cpu_pct": 100 * self.harness_cpu_s / wall,
            "api_calls_per_update": self.calls / max(updates, 1),
            "peak_rss_mb": self.peak_rss_mb,
            "stages": stages(samples),
            "legacy_cases": len(self.legacy) if self.legacy is not None else None,
            "legacy_cases_missing": len(self.legacy_missing),
        }


async def measure_all(
    targets: list[Target],
    args: argparse.Namespace,
    work: Path,
    postgres: PostgresServer | None = None,
) -> list[Any]:
    """Run the bots in alternating rounds, so a change in the machine's load hits both alike."""
    measured = [Measured(target, args, work, postgres) for target in targets]
    try:
        for m in measured:
            shown = " ".join(Path(c).name for c in m.target.command)
            if m.target.instances > 1:
                shown = f"{m.target.instances} x {shown} behind HAProxy"
            print(f"{m.target.name}: {shown}")
            await m.start()
        rounds = max(1, min(args.rounds, args.users))
        for n in range(rounds):
            users = args.users // rounds + (1 if n < args.users % rounds else 0)
            for m in measured:
                label = f"{m.target.name} round {n + 1}/{rounds}"
                print(f"  {label}: {users} users", flush=True)
                await m.round(users, label)
    finally:
        for m in measured:
            await m.stop()
    return [m.result() for m in measured]


def stages(samples: list[Sample]) -> dict[str, dict[str, float]]:
    """Median ms from the POST to each thing the bot did, for button presses and texts."""
    table: dict[str, dict[str, float]] = {}
    for kind in ("press", "text"):
        mine = [s for s in samples if s.kind == kind]
        if not mine:
            continue
        row = {
            "answer": [s.answer - s.posted for s in mine if s.answer is not None],
            "edit": [s.edit - s.posted for s in mine if s.edit is not None],
            "first_send": [s.first_send - s.posted for s in mine],
            "last_send": [s.last_send - s.posted for s in mine],
            "ack": [s.acked - s.posted for s in mine],
        }
        table[kind] = {k: round(pct(v, 0.5), 2) for k, v in row.items() if v}
        table[kind]["count"] = len(mine)
    return table


# -- profiling (a child mode of this script) ----------------------------------------------------------
def profiled_child(out: Path, run: Callable[[], object]) -> None:
    """Run ``run`` with a cProfile per thread (CPU time per thread) and merge them into ``out``.

    cProfile sees only the thread that enables it, and our bot does its storage
    work in asyncio.to_thread workers, so each new thread starts its own profiler.
    """
    profilers: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_thread(frame: Any, event: str, arg: Any) -> None:
        profiler = cProfile.Profile(time.thread_time)
        with lock:
            profilers.append(profiler)
        profiler.enable()

    main = cProfile.Profile(time.thread_time)
    threading.setprofile(start_in_thread)
    main.enable()
    try:
        run()
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = pstats.Stats(main)
        with lock:
            for profiler in profilers:
                stats.add(profiler)
        stats.dump_stats(str(out))


def run_bot(which: str) -> object:
    """Run one of the bots in this process, as its own command line would."""
    if which in ("peer", "floor"):
        return runpy.run_path(str(PEER if which == "peer" else FLOOR), run_name="__main__")
    from bot.__main__ import main

    return main(["telegram"])


HTTPX = "httpx + httpcore + h11 + anyio (PTB's Bot API client)"
FLOWS = "flows + transitions (the intake state machine, texts, parsing)"
STORAGE = "storage + tinydb (conversation files, logs, update ids)"
LOOP = "asyncio event loop, tasks, to_thread, threads"
PSYCOPG = "psycopg + psycopg_pool (the PostgreSQL client: statements, waits, the pool)"
# Where a file's own time goes: the first needle found in its path names the area.
CATEGORIES = (
    ("<frozen importlib", "import machinery (imports at run time)"),
    ("/importlib/", "import machinery (imports at run time)"),
    ("/telegram/", "PTB (Update.de_json, Bot methods, request building)"),
    ("/httpx/", HTTPX),
    ("/httpcore/", HTTPX),
    ("/h11/", HTTPX),
    ("/anyio/", HTTPX),
    ("/tornado/", "tornado server (the peer's webhook)"),
    ("/aiohttp/", "aiohttp server (webhook requests)"),
    ("/multidict/", "aiohttp server (webhook requests)"),
    ("/yarl/", "aiohttp server (webhook requests)"),
    ("/transitions/", FLOWS),
    ("/tinydb/", STORAGE),
    ("/psycopg/", PSYCOPG),
    ("/psycopg_pool/", PSYCOPG),
    ("/psycopg_binary/", PSYCOPG),
    ("/asyncio/", LOOP),
    ("/concurrent/", LOOP),
    ("/selectors.py", LOOP),
    ("/threading.py", LOOP),
    ("/json/", "json"),
    ("/logging/", "logging"),
    (f"{ROOT}/flows/", FLOWS),
    (f"{ROOT}/storage/", STORAGE),
    (f"{ROOT}/bot/", "bot (channel, sequencer, intake service, webhook route)"),
    (f"{ROOT}/bench/peers/", "the peer's handlers"),
)
FILE_CALLS = (
    "posix.fsync",
    "posix.write",
    "posix.replace",
    "posix.open",
    "posix.close",
    "posix.link",
    "posix.unlink",
    "posix.read",
    "posix.fstat",
)
SOCKET_CALLS = (
    "'send' of '_socket",
    "'recv' of '_socket",
    "'recv_into' of '_socket",
    "'sendto' of",
    "'poll' of 'select.epoll'",
    "'connect' of '_socket",
)
# (path ending, function, what it is): inclusive CPU time worth knowing about.
HOT_SPOTS = (
    ("bot/web.py", "telegram_webhook", "webhook route: parse, Update.de_json, accept, process"),
    ("bot/telegram.py", "_process", "channel: one update's turn (everything below)"),
    ("bot/intake.py", "handle", "intake: load, flow, save (in a worker thread)"),
    ("flows/conversation.py", "handle", "flows: IntakeFlow.handle"),
    ("storage/tinydb_store.py", "load_conversation", "storage: load_conversation"),
    ("storage/tinydb_store.py", "save_conversation", "storage: save_conversation (2 fsyncs)"),
    ("storage/tinydb_store.py", "mark_request", "storage: mark_request (written, no fsync)"),
    ("storage/tinydb_store.py", "create_case", "storage: create_case (on submit)"),
    ("storage/postgres_turns.py", "turn", "postgres: a person's turn (lock, claim, commit)"),
    ("storage/postgres.py", "seen_request", "postgres: seen_request"),
    ("storage/postgres.py", "load_conversation", "postgres: load_conversation"),
    ("storage/postgres.py", "save_conversation", "postgres: save_conversation"),
    ("storage/postgres.py", "release_evidence", "postgres: release_evidence"),
    ("storage/postgres.py", "undelivered_notices", "postgres: undelivered_notices (mailbox)"),
    ("storage/postgres.py", "mark_request", "postgres: mark_request (replied)"),
    ("storage/postgres.py", "create_case", "postgres: create_case (on submit)"),
    ("psycopg_pool/pool.py", "getconn", "psycopg_pool: a connection handed out"),
    ("psycopg_pool/pool.py", "putconn", "psycopg_pool: a connection given back"),
    ("psycopg/connection.py", "wait", "psycopg: waiting on the server (every round trip)"),
    ("telegram/ext/_utils/webhookhandler.py", "post", "peer: PTB's tornado webhook handler"),
    ("telegram/ext/_application.py", "process_update", "peer: Application.process_update"),
    ("bench/peers/ptb_conversation.py", "take_choice", "peer: answer, edit the pressed message"),
    ("bench/peers/ptb_conversation.py", "ask", "peer: send the next question"),
    ("telegram/_update.py", "de_json", "PTB: Update.de_json"),
    ("telegram/_bot.py", "_post", "PTB: every Bot API call, build + HTTP + parse"),
    ("telegram/request/_httpxrequest.py", "do_request", "PTB: the HTTP part (httpx)"),
    (
        "httpcore/_async/connection_pool.py",
        "_assign_requests_to_connections",
        "httpcore: pool scan per request (checks every pooled connection)",
    ),
    (
        "httpcore/_synchronization.py",
        "current_async_library",
        "httpcore: `import sniffio` (not installed) per lock/event/semaphore",
    ),
)


def category(filename: str) -> str:
    path = filename.replace("\\", "/")
    for needle, label in CATEGORIES:
        if needle in path:
            return label
    return "other Python (mostly the standard library, called by the above)"


def areas(func: Any, entry: Any) -> list[tuple[str, float]]:
    """Split a function's own time into areas; a built-in's goes to its callers' areas.

    System calls that move bytes to disk or sockets keep areas of their own.
    """
    filename, _, name = func
    tottime, callers = entry[2], entry[4]
    if filename != "~":
        return [(category(filename), tottime)]
    if any(call in name for call in FILE_CALLS):
        return [("file system calls (write, fsync, rename, open)", tottime)]
    if any(call in name for call in SOCKET_CALLS):
        return [("socket send/recv and epoll", tottime)]
    return [
        ("other built-ins" if caller[0] == "~" else category(caller[0]), edge[2])
        for caller, edge in callers.items()
    ] or [("other built-ins", tottime)]


def print_profile(path: Path, name: str, updates: int) -> dict[str, float]:
    """Print a bot's CPU time by area, its hot spots and costliest functions, per update."""
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_area: defaultdict[str, float] = defaultdict(float)
    for func, entry in raw.items():
        for area, seconds in areas(func, entry):
            by_area[area] += seconds
    total = sum(by_area.values())
    per = max(updates, 1)
    print(
        f"\n{name}: CPU time by area, {per} updates (cProfile per thread, CPU clock; "
        "the profiler inflates Python-heavy code, so read shares rather than ms)"
    )
    print(f"{'area':<66} {'ms/update':>10} {'share':>7}")
    for area, seconds in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"{area:<66} {1000 * seconds / per:>10.3f} {100 * seconds / total:>6.1f}%")
    print(f"{'total':<66} {1000 * total / per:>10.3f}")
    print(
        "\nhot spots, inclusive (callees too), ms/update and calls/update (resumes for coroutines)"
    )
    for suffix, name, label in HOT_SPOTS:
        found = [
            entry
            for (filename, _, fname), entry in raw.items()
            if fname == name and filename.replace("\\", "/").endswith(suffix)
        ]
        cumtime = sum(e[3] for e in found)
        calls = sum(e[1] for e in found)
        if not calls:
            continue
        print(f"  {1000 * cumtime / per:8.3f} {calls / per:7.1f}  {label}")
    print("\ncostliest functions by own time: own ms, inclusive ms, calls (all per update)")
    rows = sorted(raw.items(), key=lambda kv: -kv[1][2])[:20]
    for (filename, line, name), (_, calls, tottime, cumtime, _) in rows:
        where = name if filename == "~" else f"{_short(filename)}:{line}({name})"
        print(
            f"  {1000 * tottime / per:7.3f} {1000 * cumtime / per:8.3f} {calls / per:7.1f}  {where}"
        )
    return {area: round(1000 * s / per, 3) for area, s in by_area.items()}


def _short(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    for anchor in ("site-packages", "main", "lib"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor) :])
    return "/".join(parts[-2:])


# -- reporting -----------------------------------------------------------------------------------------
def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'bot':<8} {'users':>6} {'done':>6} {'failed':>6} {'updates':>8} {'wall s':>7} "
        f"{'upd/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'2xx p99':>8} "
        f"{'bot CPU':>8} {'CPU ms/upd':>10} {'harness':>8} {'calls/upd':>9} {'RSS MB':>7}"
    )
    print("\n" + head)
    for r in results:
        print(
            f"{r['name']:<8} {r['users']:>6} {r['completed']:>6} {r['failed']:>6} "
            f"{r['updates']:>8} {r['wall_s']:>7.1f} {r['updates_per_s']:>7.0f} "
            f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['max_ms']:>7.1f} {r['ack_p99_ms']:>8.2f} "
            f"{r['bot_cpu_pct']:>7.0f}% {r['bot_cpu_ms_per_update']:>10.2f} "
            f"{r['harness_cpu_pct']:>7.0f}% {r['api_calls_per_update']:>9.2f} "
            f"{r['peak_rss_mb']:>7.1f}"
        )
    print(
        "\nmedian ms from the webhook POST to each thing the bot did (press: a button; text: typed)"
    )
    print(
        f"{'bot':<8} {'update':<7} {'count':>6} {'answer':>7} {'edit':>7} {'1st send':>9} "
        f"{'last send':>10} {'2xx':>7}"
    )
    for r in results:
        for kind, row in r["stages"].items():
            cells = [
                f"{row[k]:>{w}.2f}" if k in row else f"{'-':>{w}}"
                for k, w in (
                    ("answer", 7),
                    ("edit", 7),
                    ("first_send", 9),
                    ("last_send", 10),
                    ("ack", 7),
                )
            ]
            print(f"{r['name']:<8} {kind:<7} {row['count']:>6} " + " ".join(cells))
    for r in results:
        if r["failures"]:
            print(f"\n{r['name']} failures (most common): {r['failures']}")


def print_goals(
    ours: dict[str, Any], peer: dict[str, Any] | None, in_flight: int, think_ms: float
) -> None:
    """Say which of the issue's goals this run met, and what bounds latency in a closed loop."""
    checks = [
        (f"{ours['updates_per_s']:.0f} updates/s (goal >= 500)", ours["updates_per_s"] >= 500),
        (f"p99 {ours['p99_ms']:.1f} ms (goal <= 20)", ours["p99_ms"] <= 20),
    ]
    if peer:
        ratio = ours["updates_per_s"] / peer["updates_per_s"]
        checks.append((f"{ratio:.2f}x the peer's updates/s (goal >= 0.9)", ratio >= 0.9))
    print("\ngoals: " + "; ".join(f"{text} {'met' if ok else 'MISSED'}" for text, ok in checks))
    if not think_ms:
        # Little's law: with every user answering at once, a saturated bot makes them queue.
        queueing = 1000 * in_flight / ours["updates_per_s"]
        print(
            f"closed loop without think time: {in_flight} updates in flight at "
            f"{ours['updates_per_s']:.0f} updates/s wait about {queueing:.0f} ms per update, "
            "mostly queueing; a p99 of 20 ms at this load needs "
            f"{in_flight / 0.020:.0f} updates/s, or fewer users in flight (--concurrency, --think-ms)"
        )


async def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    """``--store postgres --instances N``: N instances on one PostgreSQL behind HAProxy, next
    to one TinyDB instance and one PostgreSQL instance alone (no balancer), same load, same run.
    """
    if args.instances < 1:
        raise SystemExit("--instances must be at least 1")
    if args.instances > 1 and not haproxy_installed():
        raise SystemExit(NO_HAPROXY)
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit(
            "PostgreSQL's server is not installed (Debian: apt-get install postgresql)"
        )
    python = sys.executable
    lb = f"pg-lb{args.instances}"

    def command(name: str) -> list[str]:
        if not args.profile_dir:
            return [python, "-m", "bot", "telegram"]
        out = str(Path(args.profile_dir) / f"{name}.prof")
        return [python, str(Path(__file__).resolve()), "--profile-child", "ours", out]

    load = (
        "burst: every user starts at once"
        if args.burst
        else f"at most {args.concurrency} users mid-report at once"
    )
    print(
        f"e2e webhook bench, PostgreSQL: {args.users} users for each of: one TinyDB instance, "
        f"one PostgreSQL instance alone, {args.instances} PostgreSQL instances behind HAProxy "
        f"(balance random); {load}; webhook POSTs over at most {TELEGRAM_CONNECTIONS} "
        f"connections; PostgreSQL durable (fsync and synchronous_commit on), one server for "
        f"both, a database each; {os.cpu_count()} CPUs",
        flush=True,
    )
    load_before = os.getloadavg()[0]
    # Durable: fsync and synchronous_commit at their defaults (on), as bench/storage.py.
    server = PostgresServer(bindir, settings={}).start()
    try:
        single_url = server.create_database("e2e_alone")
        cluster_url = server.create_database("e2e_balanced")
        targets = [
            Target("tinydb", command("tinydb")),
            Target("pg-alone", command("pg-alone"), {"DATABASE_URL": single_url}),
            Target(lb, command(lb), {"DATABASE_URL": cluster_url}, instances=args.instances),
        ]
        with tempfile.TemporaryDirectory(prefix="e2e-bench-") as tmp:
            results = await measure_all(targets, args, Path(tmp), postgres=server)
    finally:
        server.stop()
    print_table(results)
    by_name = {r["name"]: r for r in results}
    tiny, alone, balanced = by_name["tinydb"], by_name["pg-alone"], by_name[lb]
    base = tiny["bot_cpu_ms_per_update"]
    print(
        "\nCPU ms per update: each instance's own (utime+stime from /proc, over the updates "
        "HAProxy forwarded to it), the PostgreSQL server's (all its processes) and HAProxy's, "
        "each over the updates of that row"
    )
    print(
        f"{'run':<9} {'upd/s':>7} {'p50 ms':>7} {'p99 ms':>8} {'instance(s)':>22} "
        f"{'x TinyDB':>14} {'PostgreSQL':>10} {'HAProxy':>8}"
    )
    print(
        f"{'':<9} {'':>7} {'':>7} {'':>8} {'less idle':>22} {'x TinyDB':>14}   (idle CPU "
        "ms/s: "
        + "; ".join(
            f"{r['name']} " + " / ".join(f"{v:.1f}" for v in r["idle_cpu_ms_per_s_by_instance"])
            for r in (tiny, alone, balanced)
        )
        + ")"
    )
    net_base = tiny["net_cpu_ms_per_update_by_instance"][0] or float("nan")
    for r in (tiny, alone, balanced):
        by = r["net_cpu_ms_per_update_by_instance"]
        shown = " / ".join(f"{v:.2f}" for v in by)
        ratios = " / ".join(f"{v / net_base:.2f}" for v in by)
        print(f"{r['name']:<9} {'':>7} {'':>7} {'':>8} {shown:>22} {ratios:>14}")
    for r in (tiny, alone, balanced):
        by = r["cpu_ms_per_update_by_instance"]
        shown = " / ".join(f"{v:.2f}" for v in by)
        ratios = " / ".join(f"{v / base:.2f}" for v in by)
        print(
            f"{r['name']:<9} {r['updates_per_s']:>7.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>8.2f} "
            f"{shown:>22} {ratios:>14} {r['postgres_cpu_ms_per_update']:>10.2f} "
            f"{r['balancer_cpu_ms_per_update']:>8.2f}"
        )
    print(
        f"updates per instance behind the balancer: {balanced['updates_by_instance']} "
        f"(HAProxy's req_tot) over {balanced['balancer_connects_by_instance']} connections it "
        "opened to them (warm-up included), taken out by its health check "
        f"{balanced['balancer_downs_by_instance']} times; TinyDB row's PostgreSQL column: the "
        "idle server meanwhile"
    )
    worst = max(alone["cpu_ms_per_update_by_instance"] + balanced["cpu_ms_per_update_by_instance"])
    goal_met = worst <= 1.25 * base
    print(
        f"goal: an instance on PostgreSQL costs at most 1.25x TinyDB's CPU per update: worst "
        f"{worst:.2f} ms against {base:.2f} ms ({worst / base:.2f}x) "
        f"{'met' if goal_met else 'MISSED'}"
    )
    load_after = os.getloadavg()[0]
    print(
        f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after, on "
        f"{os.cpu_count()} CPUs: above about 2, other work on the machine lowers every figure"
    )

    def rounded(values: list[float]) -> list[float]:
        return [round(v, 3) for v in values]

    summary: dict[str, Any] = {
        "bench": "e2e",
        "mode": "webhook",
        "store": "postgres",
        "instances": args.instances,
        "users": args.users,
        "updates": balanced["updates"],
        "updates_per_s": round(balanced["updates_per_s"], 1),
        "p50_ms": round(balanced["p50_ms"], 2),
        "p99_ms": round(balanced["p99_ms"], 2),
        "peer_updates_per_s": None,
        "ratio_vs_peer": None,
        "peak_rss_mb": round(balanced["peak_rss_mb"], 1),
        "load": "burst" if args.burst else "closed loop",
        "concurrency": args.users if args.burst else args.concurrency,
        "think_ms": args.think_ms,
        "failed_users": sum(r["failed"] for r in results),
        "max_ms": round(balanced["max_ms"], 2),
        "ack_p99_ms": round(balanced["ack_p99_ms"], 2),
        "bot_cpu_ms_per_update": round(balanced["bot_cpu_ms_per_update"], 3),
        "cpu_ms_per_update_by_instance": rounded(balanced["cpu_ms_per_update_by_instance"]),
        "updates_by_instance": balanced["updates_by_instance"],
        "postgres_cpu_ms_per_update": round(balanced["postgres_cpu_ms_per_update"], 3),
        "balancer_cpu_ms_per_update": round(balanced["balancer_cpu_ms_per_update"], 3),
        "balancer_downs_by_instance": balanced["balancer_downs_by_instance"],
        "balancer_connects_by_instance": balanced["balancer_connects_by_instance"],
        "api_calls_per_update": round(balanced["api_calls_per_update"], 2),
        "harness_cpu_pct": round(balanced["harness_cpu_pct"]),
        "single_instance_updates_per_s": round(alone["updates_per_s"], 1),
        "single_instance_p50_ms": round(alone["p50_ms"], 2),
        "single_instance_p99_ms": round(alone["p99_ms"], 2),
        "single_instance_cpu_ms_per_update": round(alone["bot_cpu_ms_per_update"], 3),
        "single_instance_postgres_cpu_ms_per_update": round(alone["postgres_cpu_ms_per_update"], 3),
        "tinydb_updates_per_s": round(tiny["updates_per_s"], 1),
        "tinydb_p50_ms": round(tiny["p50_ms"], 2),
        "tinydb_p99_ms": round(tiny["p99_ms"], 2),
        "tinydb_cpu_ms_per_update": round(base, 3),
        "idle_cpu_ms_per_s_by_instance": rounded(balanced["idle_cpu_ms_per_s_by_instance"]),
        "net_cpu_ms_per_update_by_instance": rounded(balanced["net_cpu_ms_per_update_by_instance"]),
        "single_instance_net_cpu_ms_per_update": round(
            alone["net_cpu_ms_per_update_by_instance"][0], 3
        ),
        "tinydb_net_cpu_ms_per_update": round(tiny["net_cpu_ms_per_update_by_instance"][0], 3),
        "cpu_ratio_vs_tinydb": round(alone["bot_cpu_ms_per_update"] / base, 3),
        "cpu_ratio_vs_tinydb_by_instance": [
            round(v / base, 3) for v in balanced["cpu_ms_per_update_by_instance"]
        ],
        "cpu_goal_met": goal_met,
        "synchronous_commit": "on",
        "rate_limiter": False,
        "loadavg_1m": [round(load_before, 2), round(load_after, 2)],
    }
    if args.profile_dir:
        summary["profiled"] = True
        for r in results:
            path = Path(args.profile_dir) / f"{r['name']}.prof"
            if r["instances"] > 1:  # the first instance's, over the updates it handled
                path = path.with_suffix(".0.prof")
            summary[f"{r['name']}_profile_ms_per_update"] = print_profile(
                path, r["name"], r["updates_by_instance"][0]
            )
    return summary


async def run(args: argparse.Namespace) -> dict[str, Any]:
    python = sys.executable
    commands = {
        "ours": [python, "-m", "bot", "telegram"],
        "peer": [python, str(PEER)],
        "floor": [python, str(FLOOR)],
    }
    if args.profile_dir:
        for name in commands:
            out = str(Path(args.profile_dir) / f"{name}.prof")
            commands[name] = [python, str(Path(__file__).resolve()), "--profile-child", name, out]
    peer_env = (
        {"PEER_CONCURRENT_UPDATES": str(args.peer_concurrent)} if args.peer_concurrent else {}
    )
    targets = [Target("ours", commands["ours"])]
    if not args.skip_peer:
        targets.append(Target("peer", commands["peer"], peer_env))
    if args.floor:
        targets.append(Target("floor", commands["floor"], {"FLOOR_SCRIPT": floor_script()}))
    load = (
        "burst: every user starts at once"
        if args.burst
        else f"at most {args.concurrency} users mid-report at once"
    )
    print(
        f"e2e webhook bench: {args.users} users ({', '.join(KINDS)} in turn), {load}; "
        f"webhook POSTs over at most {TELEGRAM_CONNECTIONS} connections; Bot API stand-in "
        "on 127.0.0.1, no rate limiter (TELEGRAM_MAX_RATE=0: the stand-in is not Telegram); "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    # Other work on the machine shows up in every figure; the load average hints at it.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="e2e-bench-") as tmp:
        results = await measure_all(targets, args, Path(tmp))
    print_table(results)
    by_name = {r["name"]: r for r in results}
    ours, peer, floor = by_name["ours"], by_name.get("peer"), by_name.get("floor")
    # Latency is timed from the POST, sent once one of Telegram's connections is free.
    users_in_flight = args.users if args.burst else min(args.users, args.concurrency)
    in_flight = min(users_in_flight, TELEGRAM_CONNECTIONS)
    print_goals(ours, peer, in_flight, args.think_ms)
    if floor:
        print(
            f"floor (a PTB bot that only parses each update and sends one message): "
            f"{floor['updates_per_s']:.0f} updates/s, p99 {floor['p99_ms']:.1f} ms, "
            f"{floor['bot_cpu_ms_per_update']:.2f} ms CPU per update, harness "
            f"{floor['harness_cpu_pct']:.0f}% CPU; ours reaches "
            f"{ours['updates_per_s'] / floor['updates_per_s']:.2f}x its updates/s"
        )
    load_after = os.getloadavg()[0]
    print(
        f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after, on "
        f"{os.cpu_count()} CPUs: above about 2, other work on the machine lowers every figure"
    )
    summary: dict[str, Any] = {
        "bench": "e2e",
        "mode": "webhook",
        "users": args.users,
        "updates": ours["updates"],
        "updates_per_s": round(ours["updates_per_s"], 1),
        "p50_ms": round(ours["p50_ms"], 2),
        "p99_ms": round(ours["p99_ms"], 2),
        "peer_updates_per_s": round(peer["updates_per_s"], 1) if peer else None,
        "ratio_vs_peer": round(ours["updates_per_s"] / peer["updates_per_s"], 3) if peer else None,
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "load": "burst" if args.burst else "closed loop",
        "concurrency": args.users if args.burst else args.concurrency,
        "think_ms": args.think_ms,
        "failed_users": ours["failed"] + (peer["failed"] if peer else 0),
        "max_ms": round(ours["max_ms"], 2),
        "ack_p99_ms": round(ours["ack_p99_ms"], 2),
        "bot_cpu_ms_per_update": round(ours["bot_cpu_ms_per_update"], 3),
        "api_calls_per_update": round(ours["api_calls_per_update"], 2),
        "harness_cpu_pct": round(ours["harness_cpu_pct"]),
        "peer_p50_ms": round(peer["p50_ms"], 2) if peer else None,
        "peer_p99_ms": round(peer["p99_ms"], 2) if peer else None,
        "peer_peak_rss_mb": round(peer["peak_rss_mb"], 1) if peer else None,
        "peer_bot_cpu_ms_per_update": round(peer["bot_cpu_ms_per_update"], 3) if peer else None,
        "peer_concurrent_updates": args.peer_concurrent or False,
        "floor_updates_per_s": round(floor["updates_per_s"], 1) if floor else None,
        "floor_p99_ms": round(floor["p99_ms"], 2) if floor else None,
        "floor_bot_cpu_ms_per_update": (
            round(floor["bot_cpu_ms_per_update"], 3) if floor else None
        ),
        "rate_limiter": False,
        "loadavg_1m": [round(load_before, 2), round(load_after, 2)],
        "migrated_from": str(args.migrated) if args.migrated is not None else None,
        "legacy_cases": ours["legacy_cases"],
        "legacy_cases_missing": ours["legacy_cases_missing"],
    }
    if args.profile_dir:
        summary["profiled"] = True
        for r in results:
            path = Path(args.profile_dir) / f"{r['name']}.prof"
            summary[f"{r['name']}_profile_ms_per_update"] = print_profile(
                path, r["name"], r["updates"]
            )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated users (default 200)")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="users mid-report at once (default 50)"
    )
    parser.add_argument("--burst", action="store_true", help="every user starts at once")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause (exponential) between a reply and the user's next update, and the "
        "longest random wait before a user's first (default 0: as fast as replies come)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="alternate the bots in this many rounds of users/rounds each (default 2)",
    )
    parser.add_argument(
        "--warmup", type=int, default=9, help="users run before measuring (default 9)"
    )
    parser.add_argument(
        "--peer-concurrent",
        type=int,
        default=0,
        metavar="N",
        help="run the peer with PTB's concurrent_updates=N (default: off, PTB's default)",
    )
    parser.add_argument("--skip-peer", action="store_true", help="do not measure the peer")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure the floor (bench/peers/ptb_floor.py): a PTB bot that only parses "
        "each update and sends one message, what the machine and harness allow",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the bots (cProfile per thread) and print where their CPU time goes",
    )
    parser.add_argument(
        "--migrated",
        nargs="?",
        type=Path,
        const=DATA_V1,
        metavar="LEGACY_DIR",
        help="start our bot on a copy of an earlier release's data directory, converted by "
        "python -m bot migrate (default: tests/fixtures/data_v1)",
    )
    parser.add_argument(
        "--store",
        choices=["tinydb", "postgres"],
        default="tinydb",
        help="postgres: --instances instances on one PostgreSQL behind HAProxy, next to one "
        "TinyDB instance and one PostgreSQL instance alone, in the same run (no peer)",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=2,
        help="with --store postgres: instances behind the balancer (default 2)",
    )
    parser.add_argument(
        "--idle-s",
        type=float,
        default=5.0,
        help="with --store postgres: seconds each bot idles after its warm-up, to measure "
        "its CPU with nothing to do (default 5, /proc's resolution is 10 ms; 0: not)",
    )
    parser.add_argument("--profile-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.profile_child:  # this process is one of the bots, run under the profiler
        which, out = args.profile_child
        profiled_child(Path(out), lambda: run_bot(which))
        return 0
    args.profile_dir = None
    if args.profile:
        args.profile_dir = tempfile.mkdtemp(prefix="e2e-profile-")
        print(f"profiles go to {args.profile_dir}")
    if args.store == "postgres":
        summary = asyncio.run(run_postgres(args))
        print(json.dumps(summary))
        return 1 if summary["failed_users"] else 0
    summary = asyncio.run(run(args))
    print(json.dumps(summary))
    return 1 if summary["legacy_cases_missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
