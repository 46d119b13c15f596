"""Benchmark whole reports through the web chat's HTTP interface, beside the Telegram webhook path.

Simulated people file whole reports (a small business, a general user and a company in
turn, as in bench/e2e.py, each with one receipt uploaded at the evidence step) against
``python -m bot serve`` in its own process (TinyDB, durable after every step), over
loopback, the way the page does it:

- **script**: what ``bot/webchat/static/chat.js`` sends: one POST per step, answered
  with a small JSON (the new bubbles and the next controls);
- **no script**: a browser without JavaScript: the POST, its 303 and the GET of the
  whole page per step.

Three loads: ``--paced`` people (default 200) pausing about ``--pace-s`` (default 1 s)
between steps, with the script and then without; then ``--burst`` people (default
1,000) all at once with the script. In the same run the Telegram webhook path of
bench/e2e.py (``python -m bot telegram`` against the Bot API stand-in, ``--telegram``
users) gives the CPU the server spends per Telegram update, for comparison with the
web chat's CPU per step; and once more paced like the web chat (``--paced`` users, each
mid-report, ~``--pace-s`` between updates), so the two doors are also compared at the same
pace: a server woken for each request spends more per request than one kept busy. A step's latency is from just before its request is sent to
the end of the response the visitor needs (the JSON; the page after the redirect). The
server's CPU time (its kernel part, the event-loop thread's part and the context switches
of its threads) is read from /proc before and after each load.

Also in the same run, to show where the CPU goes: the floor, the same steps through
:meth:`IntakeService.handle_input` alone, in-process on a fresh TinyDB data directory
(the web chat's steps and the Telegram users' steps), so that each door's own part is
its figure minus its floor (``web_door_cpu_ms_per_step``,
``telegram_door_cpu_ms_per_update``); and a bare aiohttp server answering a form post
with a small JSON, paced and at once, without and with one worker-thread call
(``bare_http``): what waking the server per request costs. Prints progress, a table
and, as its last line, JSON (../shared/docs/benchmarks.md, section bench/web.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e

from bot.__main__ import build_service, build_storage
from bot.intake import IncomingFile
from bot.settings import ENV_VARS, load_settings
from flows.commands import read_line
from flows.identity import UserKey
from flows.messages import CommandInput, Input, parse_callback
from tests.support.web_chat import WebVisitor

ROOT = Path(__file__).resolve().parent.parent
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"receipt-bytes" * 2000  # ~26 KB
START_TIMEOUT_S = 30.0
SUBMITTED = re.compile(r"접수번호: (\S+)")
# A load's figures the JSON gives for the no-script and the at-once loads.
LOAD_KEYS = (
    "steps_per_s",
    "reports_per_s",
    "p50_ms",
    "p99_ms",
    "cpu_ms_per_step",
    "sys_ms_per_step",
    "loop_cpu_ms_per_step",
    "workers_cpu_ms_per_step",
    "switches_per_step",
)


@dataclass
class WebRun:
    """One load's outcome."""

    label: str
    people: int
    completed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    sys_s: float = 0.0  # of cpu_s, in the kernel (system calls, wake-ups, the file system)
    loop_s: float = 0.0  # of cpu_s, the event-loop thread's (the rest: the worker threads')
    switches: int = 0  # context switches of the server's threads, voluntary or not

    @property
    def steps(self) -> int:
        return len(self.latencies)

    def figures(self) -> dict[str, Any]:
        wall = self.wall_s or float("nan")
        return {
            "label": self.label,
            "users": self.people,
            "completed": self.completed,
            "failed_users": sum(self.failures.values()),
            "steps": self.steps,
            "steps_per_s": round(self.steps / wall, 1),
            "reports_per_s": round(self.completed / wall, 2),
            "p50_ms": round(e2e.pct(self.latencies, 0.50), 2),
            "p99_ms": round(e2e.pct(self.latencies, 0.99), 2),
            "max_ms": round(e2e.pct(self.latencies, 1.0), 2),
            "cpu_ms_per_step": round(1000 * self.cpu_s / max(self.steps, 1), 3),
            "sys_ms_per_step": round(1000 * self.sys_s / max(self.steps, 1), 3),
            "loop_cpu_ms_per_step": round(1000 * self.loop_s / max(self.steps, 1), 3),
            "workers_cpu_ms_per_step": round(
                1000 * (self.cpu_s - self.loop_s) / max(self.steps, 1), 3
            ),
            "switches_per_step": round(self.switches / max(self.steps, 1), 1),
            "cpu_pct": round(100 * self.cpu_s / wall),
        }


def web_steps(kind: str) -> list[tuple[str, str]]:
    """bench/e2e.py's script for ``kind`` as web chat posts, with a receipt at the evidence step."""
    steps: list[tuple[str, str]] = []
    for step in e2e.SCRIPTS[kind]:
        if step.value == "/start":
            steps.append(("cmd", "start"))
        elif step.value == "evidence:skip":
            steps.append(("file", "receipt.jpg"))
            steps.append(("choice", "evidence:done"))
        elif step.kind == "press":
            steps.append(("choice", step.value))
        else:
            steps.append(("text", step.value))
    return steps


class Server:
    """``python -m bot serve`` on a free port, in its own process: the web chat alone."""

    def __init__(self, data_dir: Path) -> None:
        self.port = e2e.free_port()
        env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
        env.update(
            DATA_DIR=str(data_dir),
            PORT=str(self.port),
            HOST="127.0.0.1",
            WEB_ADDRESS_RATE="0",  # every simulated person comes from 127.0.0.1
            PYTHONPATH=str(ROOT),
        )
        data_dir.mkdir(parents=True)
        self.log_path = data_dir.parent / "serve.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited: {self.log_path.read_text()[-2000:]}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise TimeoutError("serve not ready")

    def cpu_s(self) -> float:
        return e2e.proc_cpu_s(self.proc.pid)

    def sys_s(self) -> float:
        return proc_sys_s(self.proc.pid)

    def loop_s(self) -> float:
        """The event-loop thread's CPU time (the process's first thread runs the loop)."""
        return thread_cpu_s(self.proc.pid, self.proc.pid)

    def switches(self) -> int:
        return proc_switches(self.proc.pid)

    def peak_rss_mb(self) -> float:
        return e2e.proc_status_kb(self.proc.pid, "VmHWM") / 1024

    async def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        for _ in range(600):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
        self._log.close()
        return self.proc.wait()


async def person(
    server: Server,
    connector: aiohttp.TCPConnector,
    n: int,
    script: bool,
    pace_s: float,
    rng: random.Random,
    run: WebRun,
) -> None:
    kind = e2e.KINDS[n % len(e2e.KINDS)]
    me = WebVisitor(server.url, script=script, connector=connector)
    try:
        if pace_s:
            await asyncio.sleep(rng.uniform(0, pace_s))
        await me.open()
        for what, value in web_steps(kind):
            if pace_s:
                await asyncio.sleep(rng.expovariate(1 / pace_s))
            started = time.monotonic()
            if what == "file":
                status = await me.attach((value, "image/jpeg", RECEIPT))
            else:
                status = await me.post("/say", {what: value})
            run.latencies.append(time.monotonic() - started)
            if status != 200:
                raise AssertionError(f"{what} {value}: HTTP {status}")
        if not SUBMITTED.search(me.screen.text()):
            raise AssertionError(f"not submitted: {me.screen.last_bot()[:60]!r}")
        run.completed += 1
    except Exception as exc:  # counted and shown; the others go on
        run.failures[f"{type(exc).__name__}: {exc}"[:160]] += 1
    finally:
        await me.close()


async def load(server: Server, label: str, people: int, script: bool, pace_s: float) -> WebRun:
    run = WebRun(label, people)
    rng = random.Random(1015)
    connector = aiohttp.TCPConnector(limit=0)
    cpu_before, sys_before = server.cpu_s(), server.sys_s()
    loop_before, switches_before = server.loop_s(), server.switches()
    started = time.monotonic()
    ticker = asyncio.create_task(progress(run, started))
    try:
        await asyncio.gather(
            *(person(server, connector, n, script, pace_s, rng, run) for n in range(people))
        )
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await connector.close()
    run.wall_s = time.monotonic() - started
    run.cpu_s = server.cpu_s() - cpu_before
    run.sys_s = server.sys_s() - sys_before
    run.loop_s = server.loop_s() - loop_before
    run.switches = server.switches() - switches_before
    return run


def proc_sys_s(pid: int) -> float:
    """System (kernel) CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


def thread_cpu_s(pid: int, tid: int) -> float:
    """User plus system CPU time of one thread of a process so far."""
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_switches(pid: int) -> int:
    """Context switches (voluntary and not) of a process's live threads so far: each time a
    thread stopped running, to wait (a wake-up, the GIL, the disk) or because it was put off."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that just ended
            for line in (task / "status").read_text().splitlines():
                if "ctxt_switches:" in line:
                    total += int(line.split()[1])
    return total


# -- the floor: the same steps through the intake alone, in-process ---------------------------
def web_input(what: str, value: str, spool: Path) -> Input | tuple[IncomingFile, ...]:
    """What the web chat hands the intake for one of :func:`web_steps`' posts."""
    if what == "cmd":
        return CommandInput(value)
    if what == "choice":
        message = parse_callback(value)
        assert message is not None, value
        return message
    if what == "file":  # as the door spools it: on disk, hashed on the way
        fd, name = tempfile.mkstemp(prefix="web-", suffix=".part", dir=spool)
        with os.fdopen(fd, "wb") as sink:
            sink.write(RECEIPT)
        digest = hashlib.sha256(RECEIPT).hexdigest()
        return (IncomingFile(value, "image/jpeg", len(RECEIPT), path=Path(name), sha256=digest),)
    return read_line(value)


def telegram_input(step: e2e.Step) -> Input:
    """What the Telegram door hands the intake for one of bench/e2e.py's steps."""
    if step.kind == "press":
        message = parse_callback(step.value)
        assert message is not None, step.value
        return message
    return read_line(step.value)


def intake_floor(data_dir: Path, channel: str, people: int) -> dict[str, Any]:
    """CPU per step of the intake alone: the loads' steps, no HTTP, on a fresh TinyDB store.

    ``channel`` "web": :func:`web_steps` (with the receipt); "telegram": bench/e2e.py's
    scripts. The people take their steps in turn (one step each, round after round), as
    the doors' loads interleave them, in this one thread: each step's CPU is this
    thread's (user and system) around :meth:`IntakeService.handle_input`, the call every
    door makes: the conversation read, the flow, the fsync'd save, the evidence.
    """
    settings = load_settings({"DATA_DIR": str(data_dir)})
    storage = build_storage(settings)
    service = build_service(settings, storage)
    spool = Path(storage.spool_dir() or tempfile.gettempdir())
    scripts: list[tuple[UserKey, list[Any]]] = []
    for n in range(people):
        kind = e2e.KINDS[n % len(e2e.KINDS)]
        if channel == "web":
            user = UserKey("web", f"vfloor{n}")
            steps: list[Any] = web_steps(kind)
        else:
            user = UserKey("telegram", str(e2e.FIRST_USER_ID + n))
            steps = list(e2e.SCRIPTS[kind])
        scripts.append((user, steps))
    cpu = kernel = 0.0
    count = 0
    submitted = 0
    try:
        for index in range(max(len(steps) for _, steps in scripts)):
            for user, steps in scripts:
                if index >= len(steps):
                    continue
                if channel == "web":
                    what, value = steps[index]
                    message = web_input(what, value, spool)
                    language = "ko-KR"
                else:
                    message = telegram_input(steps[index])
                    language = "ko"
                started, sys_before = time.thread_time(), thread_sys_s()
                handled = service.handle_input(
                    user, message, language_code=language, input_id=index + 1
                )
                cpu += time.thread_time() - started
                kernel += thread_sys_s() - sys_before
                count += 1
                if index == len(steps) - 1 and SUBMITTED.search(handled.replies[-1].text):
                    submitted += 1
    finally:
        storage.close()
    if submitted != people:
        raise AssertionError(f"intake floor ({channel}): {submitted} of {people} submitted")
    return {
        "steps": count,
        "cpu_ms_per_step": round(1000 * cpu / max(count, 1), 3),
        "sys_ms_per_step": round(1000 * kernel / max(count, 1), 3),
    }


def thread_sys_s() -> float:
    """This thread's system (kernel) CPU time so far."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_stime


async def progress(run: WebRun, started: float) -> None:
    while True:
        await asyncio.sleep(10)
        elapsed = time.monotonic() - started
        print(
            f"  {run.label}: {run.completed}/{run.people} reports, {run.steps} steps, "
            f"{run.steps / elapsed:.0f} steps/s",
            flush=True,
        )


# -- a bare aiohttp server: what an HTTP form post costs alone, paced and at once -------------
STEPS_PER_REPORT = 12  # about a report's posts (bench/e2e.py's scripts, a receipt added)


async def bare_say(request: aiohttp.web.Request) -> aiohttp.web.Response:
    """Read the form, answer a small JSON: no store, no templates."""
    form = await request.post()
    return aiohttp.web.json_response({"n": form.get("n", "")})


async def bare_hop(request: aiohttp.web.Request) -> aiohttp.web.Response:
    """The same, with one worker-thread call in between (as each web chat step makes)."""
    form = await request.post()
    n = await asyncio.to_thread(str, form.get("n", ""))
    return aiohttp.web.json_response({"n": n})


def run_bare_server(port: int) -> None:
    app = aiohttp.web.Application()
    app.router.add_get("/healthz", lambda request: bare_ok())
    app.router.add_post("/say", bare_say)
    app.router.add_post("/hop", bare_hop)
    aiohttp.web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def bare_ok() -> aiohttp.web.Response:
    return aiohttp.web.json_response({"status": "ok"})


class BareServer(Server):
    """:func:`run_bare_server` in its own process (``bench/web.py --bare-server PORT``)."""

    def __init__(self, work: Path) -> None:
        self.port = e2e.free_port()
        work.mkdir(parents=True)
        self.log_path = work / "bare.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(self.port)],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"


async def bare_load(server: BareServer, path: str, people: int, pace_s: float) -> dict[str, Any]:
    """``people`` posting a small form ``STEPS_PER_REPORT`` times each, paced as the web loads."""
    rng = random.Random(1015)
    connector = aiohttp.TCPConnector(limit=0)
    requests = 0

    async def one(n: int) -> None:
        nonlocal requests
        async with aiohttp.ClientSession(connector=connector, connector_owner=False) as http:
            if pace_s:
                await asyncio.sleep(rng.uniform(0, pace_s))
            for step in range(STEPS_PER_REPORT):
                if pace_s:
                    await asyncio.sleep(rng.expovariate(1 / pace_s))
                form = {"csrf": "c" * 24, "n": str(step + 1), "choice": "consent:agree"}
                async with http.post(server.url + path, data=form) as response:
                    await response.read()
                    if response.status != 200:
                        raise AssertionError(f"bare {path}: HTTP {response.status}")
                requests += 1

    cpu_before, sys_before = server.cpu_s(), server.sys_s()
    try:
        await asyncio.gather(*(one(n) for n in range(people)))
    finally:
        await connector.close()
    cpu, sys_ = server.cpu_s() - cpu_before, server.sys_s() - sys_before
    return {
        "requests": requests,
        "cpu_ms_per_request": round(1000 * cpu / max(requests, 1), 3),
        "sys_ms_per_request": round(1000 * sys_ / max(requests, 1), 3),
    }


async def bare_http(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The bare server's CPU per request: paced and at once, without and with a thread hop."""
    server = BareServer(work)
    try:
        await server.ready()
        await bare_load(server, "/hop", 9, 0.0)  # warm-up
        figures = {}
        for path in ("/say", "/hop"):
            hop = "_hop" if path == "/hop" else ""
            figures[f"paced{hop}"] = await bare_load(server, path, args.paced, args.pace_s)
            figures[f"at_once{hop}"] = await bare_load(server, path, args.paced, 0.0)
    finally:
        await server.stop()
    return figures


async def telegram_cpu(
    args: argparse.Namespace,
    work: Path,
    *,
    users: int,
    think_ms: float = 0.0,
    concurrency: int = 50,
) -> dict[str, Any]:
    """bench/e2e.py's users on ``python -m bot telegram`` (webhook): its CPU per update.

    By default bench/e2e.py's own load (50 users mid-report at once, each sending its next
    update as soon as the reply came); with ``think_ms`` every user is mid-report at once and
    pauses like the web chat's paced people, so both doors are measured at the same pace.
    """
    e2e_args = argparse.Namespace(
        users=users,
        concurrency=concurrency,
        burst=False,
        think_ms=think_ms,
        warmup=9,
        migrated=None,  # a fresh data directory, as the web chat's
        store="tinydb",  # the web chat's store; one instance, no idle measurement
        idle_s=0.0,
    )
    target = e2e.Target("telegram", [sys.executable, "-m", "bot", "telegram"])
    measured = e2e.Measured(target, e2e_args, work)
    try:
        await measured.start()
        await measured.round(users, "telegram")
    finally:
        await measured.stop()
    return measured.result()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    print(
        f"web chat bench: {args.paced} people paced ~{args.pace_s} s between steps (with and "
        f"without the script), {args.burst} at once (script); Telegram webhook path "
        f"{args.telegram} users for comparison; {os.cpu_count()} CPUs",
        flush=True,
    )
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="web-bench-") as tmp:
        work = Path(tmp)
        server = Server(work / "web" / "data")
        try:
            await server.ready()
            await load(server, "warm-up", 9, True, 0.0)
            runs = [
                await load(server, "paced, script", args.paced, True, args.pace_s),
                await load(server, "paced, no script", args.paced, False, args.pace_s),
                await load(server, "at once, script", args.burst, True, 0.0),
            ]
            if args.burst_no_script:
                runs.append(await load(server, "at once, no script", args.burst, False, 0.0))
            peak = server.peak_rss_mb()
        finally:
            code = await server.stop()
        if code not in (0, -signal.SIGTERM):
            print(f"  serve exited with {code}: {server.log_path.read_text()[-2000:]}")
        telegram = await telegram_cpu(args, work / "tg", users=args.telegram)
        print("  the Telegram webhook path paced like the web chat", flush=True)
        telegram_paced = await telegram_cpu(
            args,
            work / "tg-paced",
            users=args.paced,
            think_ms=1000 * args.pace_s,
            concurrency=args.paced,
        )
        print("  the floor: the same steps through the intake alone, in-process", flush=True)
        floor = await asyncio.to_thread(
            intake_floor, work / "floor-web" / "data", "web", args.paced
        )
        tg_floor = await asyncio.to_thread(
            intake_floor, work / "floor-tg" / "data", "telegram", args.telegram
        )
        print("  a bare aiohttp server: paced and at once", flush=True)
        bare = await bare_http(args, work / "bare")
    figures = [r.figures() for r in runs]
    print(
        f"\n{'load':<22}{'users':>6}{'done':>6}{'failed':>7}{'steps/s':>9}{'reports/s':>10}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'CPU ms/step':>12}{'of it sys':>10}"
        f"{'loop':>7}{'workers':>8}{'switches':>9}"
    )
    for f in figures:
        print(
            f"{f['label']:<22}{f['users']:>6}{f['completed']:>6}{f['failed_users']:>7}"
            f"{f['steps_per_s']:>9}{f['reports_per_s']:>10}{f['p50_ms']:>8}{f['p99_ms']:>8}"
            f"{f['max_ms']:>8}{f['cpu_ms_per_step']:>12}{f['sys_ms_per_step']:>10}"
            f"{f['loop_cpu_ms_per_step']:>7}{f['workers_cpu_ms_per_step']:>8}"
            f"{f['switches_per_step']:>9}"
        )
    print(
        "  (loop: the event-loop thread's CPU ms per step; workers: the worker threads'; "
        "switches: context switches of the server's threads per step)"
    )
    for r in runs:
        for failure, count in r.failures.most_common(3):
            print(f"  {r.label}: {count} x {failure}")
    tg_cpu = telegram["bot_cpu_ms_per_update"]
    print(
        f"telegram webhook path: {telegram['users']} users, {telegram['updates']} updates, "
        f"{telegram['updates_per_s']:.0f} updates/s, p99 {telegram['p99_ms']:.1f} ms, "
        f"{tg_cpu:.3f} ms CPU per update, failed {telegram['failed']}"
    )
    tg_paced = telegram_paced["bot_cpu_ms_per_update"]
    print(
        f"telegram webhook path paced like the web chat: {telegram_paced['users']} users "
        f"~{args.pace_s} s between updates, {telegram_paced['updates']} updates, "
        f"p99 {telegram_paced['p99_ms']:.1f} ms, {tg_paced:.3f} ms CPU per update, "
        f"failed {telegram_paced['failed']}"
    )
    paced, plain, burst = figures[0], figures[1], figures[2]
    print(
        "goals: CPU per step (script) <= 1/3 of Telegram's per update: "
        f"{paced['cpu_ms_per_step']:.3f} vs {tg_cpu / 3:.3f} ms; "
        f"p99 <= 50 ms at {args.paced} paced: {paced['p99_ms']} ms; "
        f"{args.burst} at once, zero errors: {burst['failed_users']} failed; "
        f"peak RSS <= 200 MB: {peak:.0f} MB"
    )
    intake = floor["cpu_ms_per_step"]
    tg_intake = tg_floor["cpu_ms_per_step"]
    web_door = round(paced["cpu_ms_per_step"] - intake, 3)
    tg_door = round(tg_cpu - tg_intake, 3)
    print(
        f"the floor, the intake alone in-process (same steps, same store): {intake:.3f} ms per "
        f"web step (of it sys {floor['sys_ms_per_step']:.3f}), {tg_intake:.3f} ms per Telegram "
        f"update (sys {tg_floor['sys_ms_per_step']:.3f}); a third of Telegram's figure is "
        f"{tg_cpu / 3:.3f} ms"
    )
    print(
        f"the doors' own CPU above it: web chat {web_door:.3f} ms per step (paced, script), "
        f"{burst['cpu_ms_per_step'] - intake:.3f} at once; Telegram webhook "
        f"{tg_door:.3f} ms per update"
    )
    tg_paced_door = round(tg_paced - tg_intake, 3)
    print(
        f"at the same pace: web chat {paced['cpu_ms_per_step']:.3f} ms per step against "
        f"Telegram's {tg_paced:.3f} per update ({paced['cpu_ms_per_step'] / tg_paced:.2f}x); "
        f"their own parts above the floor {web_door:.3f} against {tg_paced_door:.3f} "
        f"({web_door / tg_paced_door:.2f}x)"
    )
    print(
        "a bare aiohttp form post (CPU ms per request, of it sys): "
        + ", ".join(
            f"{name} {b['cpu_ms_per_request']:.3f} ({b['sys_ms_per_request']:.3f})"
            for name, b in bare.items()
        )
    )
    load_after = os.getloadavg()[0]
    print(f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after")
    return {
        "bench": "web",
        "users": args.paced,
        "steps_per_s": paced["steps_per_s"],
        "reports_per_s": paced["reports_per_s"],
        "p50_ms": paced["p50_ms"],
        "p99_ms": paced["p99_ms"],
        "cpu_ms_per_step": paced["cpu_ms_per_step"],
        "telegram_cpu_ms_per_update": round(tg_cpu, 3),
        "sys_ms_per_step": paced["sys_ms_per_step"],
        "intake_cpu_ms_per_step": intake,
        "intake_sys_ms_per_step": floor["sys_ms_per_step"],
        "telegram_intake_cpu_ms_per_update": tg_intake,
        "web_door_cpu_ms_per_step": web_door,
        "telegram_door_cpu_ms_per_update": tg_door,
        "bare_http": bare,
        "telegram_paced_cpu_ms_per_update": round(tg_paced, 3),
        "telegram_paced_door_cpu_ms_per_update": tg_paced_door,
        "loop_cpu_ms_per_step": paced["loop_cpu_ms_per_step"],
        "workers_cpu_ms_per_step": paced["workers_cpu_ms_per_step"],
        "switches_per_step": paced["switches_per_step"],
        "failed_users": sum(f["failed_users"] for f in figures)
        + telegram["failed"]
        + telegram_paced["failed"],
        "peak_rss_mb": round(peak, 1),
        "no_script": {k: plain[k] for k in LOAD_KEYS},
        "burst": {k: burst[k] for k in ("users", "failed_users", *LOAD_KEYS)},
        "pace_s": args.pace_s,
        "telegram_users": args.telegram,
        "telegram_updates_per_s": round(telegram["updates_per_s"], 1),
        "loadavg_1m": [round(load_before, 2), round(load_after, 2)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paced", type=int, default=200, help="people pacing (default 200)")
    parser.add_argument("--pace-s", type=float, default=1.0, help="mean pause between steps")
    parser.add_argument("--burst", type=int, default=1000, help="people at once (default 1000)")
    parser.add_argument(
        "--burst-no-script", action="store_true", help="also the burst without the script"
    )
    parser.add_argument(
        "--telegram", type=int, default=200, help="Telegram webhook users (default 200)"
    )
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)  # its own process
    args = parser.parse_args(argv)
    if args.bare_server:
        run_bare_server(args.bare_server)
        return 0
    summary = asyncio.run(main_async(args))
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["failed_users"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
