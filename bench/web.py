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
web chat's CPU per step. A step's latency is from just before its request is sent to
the end of the response the visitor needs (the JSON; the page after the redirect). The
server's CPU time is read from /proc before and after each load. Prints progress, a
table and, as its last line, JSON (../shared/docs/benchmarks.md, section bench/web.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e

from bot.settings import ENV_VARS
from tests.support.web_chat import WebVisitor

ROOT = Path(__file__).resolve().parent.parent
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"receipt-bytes" * 2000  # ~26 KB
START_TIMEOUT_S = 30.0
SUBMITTED = re.compile(r"접수번호: (\S+)")


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
    cpu_before = server.cpu_s()
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
    return run


async def progress(run: WebRun, started: float) -> None:
    while True:
        await asyncio.sleep(10)
        elapsed = time.monotonic() - started
        print(
            f"  {run.label}: {run.completed}/{run.people} reports, {run.steps} steps, "
            f"{run.steps / elapsed:.0f} steps/s",
            flush=True,
        )


async def telegram_cpu(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """bench/e2e.py's users on ``python -m bot telegram`` (webhook): its CPU per update."""
    e2e_args = argparse.Namespace(
        users=args.telegram,
        concurrency=50,
        burst=False,
        think_ms=0.0,
        warmup=9,
        migrated=None,  # a fresh data directory, as the web chat's
    )
    target = e2e.Target("telegram", [sys.executable, "-m", "bot", "telegram"])
    measured = e2e.Measured(target, e2e_args, work)
    try:
        await measured.start()
        await measured.round(args.telegram, "telegram")
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
        telegram = await telegram_cpu(args, work / "tg")
    figures = [r.figures() for r in runs]
    print(
        f"\n{'load':<22}{'users':>6}{'done':>6}{'failed':>7}{'steps/s':>9}{'reports/s':>10}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'CPU ms/step':>12}"
    )
    for f in figures:
        print(
            f"{f['label']:<22}{f['users']:>6}{f['completed']:>6}{f['failed_users']:>7}"
            f"{f['steps_per_s']:>9}{f['reports_per_s']:>10}{f['p50_ms']:>8}{f['p99_ms']:>8}"
            f"{f['max_ms']:>8}{f['cpu_ms_per_step']:>12}"
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
    paced, plain, burst = figures[0], figures[1], figures[2]
    print(
        "goals: CPU per step (script) <= 1/3 of Telegram's per update: "
        f"{paced['cpu_ms_per_step']:.3f} vs {tg_cpu / 3:.3f} ms; "
        f"p99 <= 50 ms at {args.paced} paced: {paced['p99_ms']} ms; "
        f"{args.burst} at once, zero errors: {burst['failed_users']} failed; "
        f"peak RSS <= 200 MB: {peak:.0f} MB"
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
        "failed_users": sum(f["failed_users"] for f in figures) + telegram["failed"],
        "peak_rss_mb": round(peak, 1),
        "no_script": {
            k: plain[k]
            for k in ("steps_per_s", "reports_per_s", "p50_ms", "p99_ms", "cpu_ms_per_step")
        },
        "burst": {
            k: burst[k]
            for k in (
                "users",
                "failed_users",
                "steps_per_s",
                "reports_per_s",
                "p50_ms",
                "p99_ms",
                "cpu_ms_per_step",
            )
        },
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
    args = parser.parse_args(argv)
    summary = asyncio.run(main_async(args))
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["failed_users"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
