"""Benchmark the bot's memory while many large evidence files arrive at once.

``python -m bot telegram`` runs in its own process (webhook mode, TinyDB under a
temporary DATA_DIR) against the Bot API stand-in in this one. ``--users`` people
are walked to the evidence question; then ``--files`` documents of ``--file-mb``
MiB each (spread evenly over them; a draft takes at most 10) are posted to the
webhook all at once, through at most 40 connections as Telegram does. The
stand-in makes each file's bytes on the fly and streams them, so this process
does not hold them either.

The bot's peak RSS (``VmHWM``) is read before the files (``baseline_rss_mb``,
after the walk) and after every file was answered (``peak_rss_mb``). The stated
bound is ``rss_bound_mb`` = baseline + ``--allowance-mb``: what streaming to disk
costs must not grow with the number or size of the files. ``stored`` counts the
evidence files in the store, ``spool_left`` the temporary files left behind.
The last line is JSON:

    {"bench": "downloads", "files": 100, "file_mb": 20, "users": 10,
     "baseline_rss_mb": ..., "peak_rss_mb": ..., "rss_bound_mb": ...,
     "within_bound": true, "stored": 100, "spool_left": 0, "wall_s": ...}

The exit status is 1 when the bound is exceeded or a file was not stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.bot_api import BotAPIStandIn, GeneratedFile  # noqa: E402
from tests.support.bot_process import webhook_bot_env  # noqa: E402
from tests.support.running_bot import Person, RunningBot, free_port, walk_to  # noqa: E402

SECRET = "bench-downloads-secret"
FIRST_USER_ID = 7_000_001
WEBHOOK_CONNECTIONS = 40  # Telegram's default max_connections
START_TIMEOUT_S = 30


def status_mb(pid: int, key: str) -> float:
    """A memory figure of /proc/PID/status (VmRSS, VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait_ready(proc: subprocess.Popen, api: BotAPIStandIn, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited at start-up:\n{log.read_text()[-2000:]}")
        if api.webhook is not None:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                pass
            else:
                writer.close()
                await writer.wait_closed()
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the bot was not ready in {START_TIMEOUT_S}s:\n{log.read_text()[-2000:]}")


async def run(args: argparse.Namespace, work: Path) -> dict:
    data_dir = work / "data"
    log_path = work / "bot.log"
    size = int(args.file_mb * 1024 * 1024)
    async with BotAPIStandIn() as api:
        port = free_port()
        env = webhook_bot_env(api, port=port, data_dir=data_dir, secret=SECRET)
        if args.downloads_max:
            env["DOWNLOADS_MAX"] = str(args.downloads_max)
        if args.downloads_per_user:
            env["DOWNLOADS_PER_USER"] = str(args.downloads_per_user)
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "telegram"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            await wait_ready(proc, api, port, log_path)
            driver = RunningBot(api, None, "webhook")  # only its send(): the bot is proc
            people = [Person(driver, FIRST_USER_ID + n) for n in range(args.users)]
            for person in people:
                await walk_to(person, "evidence")
            baseline = status_mb(proc.pid, "VmHWM")
            print(
                f"{args.users} users at the evidence question; bot peak RSS so far "
                f"{baseline:.1f} MiB (now {status_mb(proc.pid, 'VmRSS'):.1f})"
            )
            updates = [
                api.document_update(
                    people[k % args.users].user,
                    GeneratedFile(size, seed=k),
                    f"ledger-{k}.pdf",
                    "application/pdf",
                )
                for k in range(args.files)
            ]
            connections = asyncio.Semaphore(WEBHOOK_CONNECTIONS)

            async def post(update: dict) -> int:
                async with connections:
                    return await api.deliver(update, timeout=args.timeout_s)

            print(f"posting {args.files} files of {args.file_mb} MiB at once")
            started = time.monotonic()
            statuses = await asyncio.gather(*(post(u) for u in updates))
            wall = time.monotonic() - started
            peak = status_mb(proc.pid, "VmHWM")
            failed = sum(s != 200 for s in statuses)
            stored = sum(len(files) for _, _, files in os.walk(data_dir / "evidence"))
            spool_left = len(os.listdir(data_dir / "tmp"))
            print(
                f"all answered in {wall:.1f}s ({args.files * args.file_mb / wall:.0f} MiB/s); "
                f"{failed} webhook failures; {stored} files stored, {spool_left} left in tmp/; "
                f"bot peak RSS {peak:.1f} MiB"
            )
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    bound = baseline + args.allowance_mb
    expected = min(args.files, 10 * args.users)  # a draft holds at most 10 files
    return {
        "bench": "downloads",
        "files": args.files,
        "file_mb": args.file_mb,
        "users": args.users,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_bound_mb": round(bound, 1),
        "within_bound": peak <= bound,
        "stored": stored,
        "expected_stored": expected,
        "spool_left": spool_left,
        "webhook_failures": failed,
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--file-mb", type=float, default=20)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument(
        "--allowance-mb",
        type=float,
        default=48,
        help="how far above the baseline the peak RSS may go (the stated bound)",
    )
    parser.add_argument("--downloads-max", type=int, help="DOWNLOADS_MAX for the bot")
    parser.add_argument("--downloads-per-user", type=int, help="DOWNLOADS_PER_USER for the bot")
    parser.add_argument("--timeout-s", type=float, default=600)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-downloads-") as work:
        result = asyncio.run(run(args, Path(work)))
    ok = result["within_bound"] and result["stored"] == result["expected_stored"]
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
