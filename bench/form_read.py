"""Benchmark reading the web chat's forms: :func:`bot.webchat.uploads.read_form` alone.

Each call reads one real :class:`aiohttp.web.Request` (made with aiohttp's
``make_mocked_request``, its body fed through a real ``StreamReader``) of one of the
shapes the web chat gets: the script's urlencoded answer, and a browser's evidence upload
(multipart: the CSRF token, the request number, a 90 KB receipt and the camera's empty
file input). Prints microseconds per call for each, the fastest of ``--repeat`` runs of
``--calls`` calls, and every run's figure; the last line is JSON. One core, files written
to a temporary folder (deleted after each call, as the door does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request

CSRF = "Zk3mQ9vXr2LpT8sWn4Yb"
URLENCODED = (
    "application/x-www-form-urlencoded",
    f"csrf={CSRF}&n=7&choice=consent%3Ayes".encode(),
)
BOUNDARY = "----WebKitFormBoundary"  # and 16 random characters, new for every request
RECEIPT = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 350


def multipart(boundary: str) -> tuple[str, bytes]:
    """What Chromium posts for the evidence form with one receipt chosen."""
    b = boundary.encode()
    return f"multipart/form-data; boundary={boundary}", b"".join(
        [
            b"--" + b + b'\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n',
            CSRF.encode() + b"\r\n",
            b"--" + b + b'\r\nContent-Disposition: form-data; name="n"\r\n\r\n7\r\n',
            b"--" + b + b'\r\nContent-Disposition: form-data; name="files"; '
            b'filename="\xec\x98\x81\xec\x88\x98\xec\xa6\x9d.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n",
            RECEIPT + b"\r\n",
            b"--" + b + b'\r\nContent-Disposition: form-data; name="files"; filename=""\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n\r\n",
            b"--" + b + b"--\r\n",
        ]
    )


def shapes(name: str) -> Iterator[tuple[str, bytes]]:
    """Request after request of one shape (a browser's boundary is new each time)."""
    while True:
        yield URLENCODED if name == "urlencoded" else multipart(BOUNDARY + secrets.token_hex(8))


class Protocol:
    """The connection's side of the body stream (a plain object: a Mock would cost more
    than the reading being measured)."""

    _reading_paused = False
    connected = True

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self, resume_parser: bool = True) -> None:
        self._reading_paused = False


def request(content_type: str, body: bytes, loop: asyncio.AbstractEventLoop):
    payload = StreamReader(Protocol(), 2**16, loop=loop)  # type: ignore[arg-type]
    for i in range(0, len(body), 65536):  # as the socket hands it over
        payload.feed_data(body[i : i + 65536])
    payload.feed_eof()
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    return make_mocked_request("POST", "/say", headers=headers, payload=payload)


async def run(read_form: Any, shape: str, calls: int, spool: Path) -> float:
    """Microseconds of CPU per read_form call (the request built outside the timing)."""
    loop = asyncio.get_running_loop()
    spent = 0.0
    for _, sent in zip(range(calls), shapes(shape), strict=False):
        req = request(*sent, loop)
        start = time.process_time()
        form = await read_form(req, spool)
        spent += time.process_time() - start
        form.discard()
    return spent / calls * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--root",
        default=str(Path(__file__).resolve().parent.parent),
        help="the checkout whose read_form is measured (an A/B against another worktree)",
    )
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    from bot.webchat.uploads import read_form

    figures: dict[str, list[float]] = {"urlencoded": [], "multipart": []}
    with tempfile.TemporaryDirectory() as folder:
        spool = Path(folder)
        form = await read_form(
            request(*next(shapes("multipart")), asyncio.get_running_loop()), spool
        )
        assert form.get("csrf") == CSRF and [f.size for f in form.files] == [len(RECEIPT)]
        form.discard()
        for _ in range(args.repeat):  # the two shapes alternate, so noise hits both
            figures["urlencoded"].append(await run(read_form, "urlencoded", args.calls, spool))
            figures["multipart"].append(
                await run(read_form, "multipart", max(1, args.calls // 5), spool)
            )
    for name, runs in figures.items():
        shown = " ".join(f"{r:.1f}" for r in runs)
        print(f"{name:>10}: {min(runs):8.1f} us per read_form (runs: {shown})")
    print(
        json.dumps(
            {
                "bench": "form_read",
                "root": str(root),
                "urlencoded_us": round(min(figures["urlencoded"]), 1),
                "multipart_us": round(min(figures["multipart"]), 1),
                "urlencoded_runs_us": [round(r, 1) for r in figures["urlencoded"]],
                "multipart_runs_us": [round(r, 1) for r in figures["multipart"]],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
