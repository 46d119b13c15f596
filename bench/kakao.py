"""Benchmark whole reports through the KakaoTalk skill endpoint, over loopback.

The bot runs in its own process (``python -m bot serve`` with ``KAKAO_SKILL_SECRET``,
TinyDB storage, durable after every step); simulated KakaoTalk people in this process
POST skill payloads shaped like Kakao's (``tests/support/kakao_platform.py``) and press
the quick replies they get back, as KakaoTalk does. A small business files a loss with
its registration number and one photo (fetched by the bot from a local stand-in of
Kakao's photo host); a general user files a question. Every response is checked
against Kakao's limits (3 outputs, 10 quick replies, text lengths).

``--think-ms`` paces people like people (a random pause, mean that long, between a
reply and the next request); ``--burst`` starts every person at once. A step's time
is from just before the POST to its whole response (Kakao gives up after 5 s; a
request answered by the callback or "이어서 보기" counts as that answer's time,
``callback_answers`` says how many; without ``--callback`` the person then taps
"이어서 보기" until the answer is there, each tap a step of its own). CPU is the bot process's (user + system) per
step. Prints progress and, as the last line, JSON (../shared/docs/benchmarks.md,
bench/kakao.py).

Goals (issue 15): p99 <= 50 ms and max <= 1 s with 200 people pacing 1 s
(``--users 200 --think-ms 1000``); no reply beyond 5 s with 1,000 at once
(``--users 1000 --burst``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.e2e import pct, proc_cpu_s, proc_status_kb  # noqa: E402
from tests.support.kakao_platform import (  # noqa: E402
    KakaoPerson,
    KakaoPlatform,
    Photo,
    kakao_platform,
)
from tests.support.running_bot import free_port  # noqa: E402

SECRET = "bench-kakao-skill-secret-0123456789"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 200  # ~51 KB
START_TIMEOUT_S = 30.0
SKILL_TIMEOUT_S = 5.0

SMALL_BUSINESS = (
    ("type", "안녕하세요"),
    ("press", "동의해요"),
    ("press", "소상공인"),
    ("press", "카카오톡 채널"),
    ("press", "무료로 이용했어요"),
    ("press", "네, 금전 피해가 있어요"),
    ("type", "단골 예약 문의를 못 받았어요"),
    ("type", "35만 원"),
    ("press", "네, 맞아요"),
    ("type", "220-81-62517"),
    ("photo", "receipt.jpg"),
    ("press", "다 보냈어요"),
    ("press", "접수하기"),
)
GENERAL_USER = (
    ("type", "안녕하세요"),
    ("press", "동의해요"),
    ("press", "일반 이용자"),
    ("press", "카카오톡"),
    ("press", "무료로 이용했어요"),
    ("press", "아니요, 문의·의견이에요"),
    ("type", "선물하기 메시지가 늦게 왔어요"),
    ("press", "접수하기"),
)


class Load:
    """What the simulated people saw."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.callback_answers = 0
        self.failed: list[str] = []
        self.done = 0


async def one_person(
    n: int,
    http: aiohttp.ClientSession,
    url: str,
    platform: KakaoPlatform,
    photo_url: str,
    load: Load,
    think_s: float,
    rng: random.Random,
    callback: bool,
) -> None:
    user_id = f"{n:064x}"
    person = KakaoPerson(http, url, SECRET, platform, user_id, callback=callback, follow_late=True)
    script = SMALL_BUSINESS if n % 5 < 2 else GENERAL_USER
    try:
        for kind, arg in script:
            if think_s:
                await asyncio.sleep(rng.expovariate(1 / think_s))
            if kind == "type":
                await person.type(arg)
            elif kind == "press":
                await person.press(arg)
            else:
                await person.photos(photo_url)
        if not re.search(r"접수번호: \S+", person.text):
            raise AssertionError(f"no case number: {person.text[:200]!r}")
        load.done += 1
    except Exception as exc:  # a failed person is counted, the run goes on
        load.failed.append(f"{n}: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        load.seconds.extend(person.seconds)
        load.callback_answers += person.late_answers


async def wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("the bot exited at start-up")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not start")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-kakao-") as work:
        async with kakao_platform() as platform:
            port = free_port()
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": os.environ.get("HOME", "/tmp"),
                "DATA_DIR": str(Path(work) / "data"),
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "KAKAO_SKILL_SECRET": SECRET,
                "KAKAO_IMAGE_HOSTS": platform.host,
                "STAFF_WEB_TOKEN": "bench-staff-token-0123456789",
            }
            log = (Path(work) / "bot.log").open("wb")
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
            )
            try:
                await wait_ready(proc, port)
                photo_url = platform.add_photo("receipt.jpg", Photo(JPEG))
                url = f"http://127.0.0.1:{port}/kakao/skill"
                load = Load()
                # Kakao's platform sends each person's request as it comes: as many
                # connections as people at once (--connections caps it).
                connections = args.connections or args.users
                connector = aiohttp.TCPConnector(limit=connections)
                timeout = aiohttp.ClientTimeout(total=60)
                think_s = 0.0 if args.burst else args.think_ms / 1000
                print(
                    f"{args.users} people, "
                    + ("all at once" if args.burst else f"pacing {args.think_ms:.0f} ms mean")
                    + f", {connections} connections"
                    + (", callback on" if args.callback else ""),
                    flush=True,
                )
                async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                    cpu_before = proc_cpu_s(proc.pid)
                    started = time.monotonic()
                    people = []
                    for n in range(args.users):
                        people.append(
                            asyncio.create_task(
                                one_person(
                                    n,
                                    http,
                                    url,
                                    platform,
                                    photo_url,
                                    load,
                                    think_s,
                                    rng,
                                    args.callback,
                                )
                            )
                        )
                        if not args.burst and args.ramp_s:
                            await asyncio.sleep(args.ramp_s / args.users)
                    await asyncio.gather(*people)
                    wall = time.monotonic() - started
                    cpu = proc_cpu_s(proc.pid) - cpu_before
                rss = proc_status_kb(proc.pid, "VmHWM") / 1024
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                log.close()
    steps = len(load.seconds)
    over = sum(1 for s in load.seconds if s > SKILL_TIMEOUT_S)
    for line in load.failed[:5]:
        print("failed:", line)
    result = {
        "bench": "kakao",
        "users": args.users,
        "mode": ("burst" if args.burst else f"think {args.think_ms:.0f} ms")
        + (", callback" if args.callback else ""),
        "steps": steps,
        "steps_per_s": round(steps / wall, 1),
        "p50_ms": round(pct(load.seconds, 0.50), 1),
        "p99_ms": round(pct(load.seconds, 0.99), 1),
        "max_ms": round(max(load.seconds, default=float("nan")) * 1000, 1),
        "cpu_ms_per_step": round(1000 * cpu / max(steps, 1), 2),
        "over_5s": over,
        "callback_answers": load.callback_answers,
        "reports": load.done,
        "failed_users": len(load.failed),
        "peak_rss_mb": round(rss, 1),
    }
    print(
        f"{steps} steps in {wall:.1f} s: {result['steps_per_s']} steps/s, p50 "
        f"{result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms, "
        f"{result['cpu_ms_per_step']} ms CPU per step, {over} over 5 s, "
        f"{load.done} reports, {len(load.failed)} failed"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated people (default 200)")
    parser.add_argument("--think-ms", type=float, default=1000, help="mean pause (default 1000)")
    parser.add_argument("--burst", action="store_true", help="everyone at once, no pauses")
    parser.add_argument("--ramp-s", type=float, default=1.0, help="spread the starts (paced)")
    parser.add_argument(
        "--connections", type=int, default=0, help="HTTP connections (default: one per person)"
    )
    parser.add_argument(
        "--callback", action="store_true", help="blocks with the callback on (callbackUrl)"
    )
    parser.add_argument("--seed", type=int, default=1015)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return 1 if result["failed_users"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
