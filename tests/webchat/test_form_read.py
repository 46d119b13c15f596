"""Reading the web chat's forms (:func:`bot.webchat.uploads.read_form`) over real HTTP: which
bodies are urlencoded and which multipart, each part's headers as browsers write them and as
a hostile client might, the framing, and the caps. Each test posts raw bytes to a small
aiohttp application over loopback whose handler reads the form and answers what it read.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.helpers
import aiohttp.multipart
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.webchat import uploads
from bot.webchat.uploads import FIELD_MAX, FIELDS_MAX, BadForm, TooBig, is_multipart, read_form
from flows.evidence import MAX_FILES

B = "----WebKitFormBoundaryq7Zl2JmSvT3fXh9E"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = f"multipart/form-data; boundary={B}"
READING: list[bool] = []  # not empty while the test server's handler reads a form


def part(disposition: str | bytes, body: bytes = b"", *, mime: str | None = None) -> bytes:
    """One part: its Content-Disposition (str as UTF-8, or raw bytes) and body."""
    if isinstance(disposition, str):
        disposition = disposition.encode()
    head = b"Content-Disposition: " + disposition + b"\r\n"
    if mime is not None:
        head += f"Content-Type: {mime}\r\n".encode()
    return b"--" + B.encode() + b"\r\n" + head + b"\r\n" + body + b"\r\n"


def body(*parts: bytes, end: bytes = b"--" + B.encode() + b"--\r\n") -> bytes:
    return b"".join(parts) + end


def field(name: str, value: str) -> bytes:
    return part(f'form-data; name="{name}"', value.encode())


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    spool = tmp_path / "spool"
    spool.mkdir()

    async def read(request: web.Request) -> web.Response:
        try:
            READING.append(True)
            try:
                form = await read_form(request, spool)
            finally:
                READING.pop()
        except TooBig:
            return web.json_response({"refused": "too big"}, status=413)
        except BadForm as exc:
            return web.json_response({"refused": str(exc)}, status=400)
        files = [
            {
                "name": f.name,
                "mime": f.mime,
                "size": f.size,
                "sha256": f.sha256,
                "kept": f.path is not None and f.path.exists(),
            }
            for f in form.files
        ]
        form.discard()
        return web.json_response({"fields": form.fields, "files": files})

    app = web.Application()
    app.router.add_post("/", read)
    async with TestClient(TestServer(app)) as test_client:
        test_client.spool = spool  # type: ignore[attr-defined]
        yield test_client
    assert not list(spool.iterdir())  # every spooled file deleted, whatever happened


async def post(client: TestClient, data: Any, content_type: str = MULTIPART) -> dict[str, Any]:
    async with client.post("/", data=data, headers={"Content-Type": content_type}) as response:
        if response.content_type != "application/json":  # a server error
            return {"status": response.status, "text": await response.text()}
        answer = await response.json()
        answer["status"] = response.status
        return answer


# -- urlencoded or multipart ------------------------------------------------------------------

SHAPES = [
    "multipart/form-data; boundary=x",
    "Multipart/Form-Data;boundary=x",
    " multipart/form-data ; boundary=x",
    "\tMULTIPART/FORM-DATA\t; BOUNDARY=x",
    "multipart/form-data",
    "multipart/form-data;",
    "multipart/form-data,boundary=x",
    "multipart/form-data (comment); boundary=x",
    "multipart /form-data; boundary=x",
    'multipart/form-data"; boundary=x',
    '"multipart/form-data"; boundary=x',
    "multipart/form-dataX; boundary=x",
    "multipart/mixed; boundary=x",
    ";multipart/form-data",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded;charset=UTF-8",
    "text/plain",
    "application/json",
    "",
    " ",
]


@pytest.mark.parametrize("raw", SHAPES)
def test_multipart_is_decided_from_the_raw_header_as_aiohttp_would(raw: str):
    """The media type before ';', whitespace-trimmed, case-insensitive: the same answer as
    aiohttp's ``request.content_type`` (which parses it through the email package)."""
    assert is_multipart(raw) == (aiohttp.helpers.parse_content_type(raw)[0] == MULTIPART[:19])


def test_an_encoded_word_is_not_multipart():
    """The one shape where the rule differs: RFC 2047 is for mail, not HTTP. The email
    package decoded it to multipart (and the multipart reader then refused it); here it is
    read as urlencoded, and the form without a CSRF token is refused by the door."""
    assert not is_multipart("=?utf-8?q?multipart/form-data?=; boundary=x")


async def test_reading_a_form_never_parses_headers_through_the_email_package(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    """Regression: ``request.content_type`` parsed the Content-Type through the email package
    (about 0.1 ms for each new value: every upload's boundary is new), and each part's
    Content-Disposition went through aiohttp's parser twice (about 30 µs a time)."""
    calls: list[str] = []

    def counted(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if READING:  # not the client's reading of the answer
                calls.append(name)
            return real(*args, **kwargs)

        return call

    for module, name in (
        (aiohttp.helpers, "parse_content_type"),
        (aiohttp.multipart, "parse_content_disposition"),
        (aiohttp.multipart, "content_disposition_filename"),
    ):
        monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    urlencoded = await post(client, b"csrf=a&n=2", URLENCODED)
    assert urlencoded["fields"] == {"csrf": "a", "n": "2"}
    data = body(
        field("csrf", "a"),
        part('form-data; name="files"; filename="r.jpg"', b"jpeg", mime="image/jpeg"),
    )
    multipart = await post(client, data, f"multipart/form-data; boundary={B}")
    assert multipart["fields"] == {"csrf": "a"} and multipart["files"][0]["name"] == "r.jpg"
    assert calls == []


async def test_a_urlencoded_form_by_any_spelling_of_its_type(client: TestClient):
    for content_type in (URLENCODED, "Application/X-WWW-Form-Urlencoded; charset=UTF-8", ""):
        answer = await post(client, b"csrf=a&text=%ED%95%9C", content_type)
        assert answer["fields"] == {"csrf": "a", "text": "한"}


# -- part headers as browsers write them --------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        # Chromium, Firefox and Safari: a non-ASCII name raw in UTF-8, '"' as %22
        ('form-data; name="files"; filename="영수증 1.jpg"', "영수증 1.jpg"),
        ('form-data; name="files"; filename="say %22hi%22.jpg"', 'say "hi".jpg'),
        # aiohttp's client and some others: percent-escaped UTF-8
        ('form-data; name="files"; filename="%EC%98%81%EC%88%98%EC%A6%9D.jpg"', "영수증.jpg"),
        # a backslash-escaped quote (RFC 9110 quoted-pair), a ';' inside the quotes
        (r'form-data; name="files"; filename="say \"hi\"; ok.jpg"', 'say "hi"; ok.jpg'),
        # RFC 5987 filename* (wins over filename), the charset's case as it comes
        ("form-data; name=\"files\"; filename*=UTF-8''%EC%98%81.jpg", "영.jpg"),
        ('form-data; name="files"; filename="a.jpg"; filename*=utf-8\'\'b%20c.jpg', "b c.jpg"),
        # tokens without quotes, any case, spaces around ';' and '='
        ("Form-Data;NAME=files;FileName=plain.jpg", "plain.jpg"),
        ('form-data ;  name = "files" ; filename = "sp.jpg" ;', "sp.jpg"),
        # folders and Windows paths are never kept
        (r'form-data; name="files"; filename="C:\\Users\\me\\r.jpg"', "r.jpg"),
        ('form-data; name="files"; filename="../../etc/passwd"', "passwd"),
        # a file without a name of its own
        ('form-data; name="files"; filename=""', "file"),
        # Chromium, a name ending in a backslash (Linux, macOS): written as it is, unescaped
        ('form-data; name="files"; filename="scan\\"', "file"),
        ('form-data; name="files"; filename="a\\b\\"', "file"),
    ],
)
async def test_file_names_as_browsers_and_clients_send_them(
    client: TestClient, disposition: str, name: str
):
    """Regression (the last two): a file name ending in a backslash, which Chromium writes
    inside the quotes as it is (only '"', CR and LF are escaped, as %22, %0D, %0A), was read
    as an escaped closing quote and the whole upload refused (400); aiohttp's reader took
    it. It is read up to its closing quote (a folder separator, so "file", as before)."""
    answer = await post(client, body(field("csrf", "t"), part(disposition, b"x" * 10)))
    assert answer["status"] == 200, answer
    assert answer["fields"] == {"csrf": "t"}
    assert [(f["name"], f["size"], f["kept"]) for f in answer["files"]] == [(name, 10, True)]


async def test_a_browsers_evidence_form_with_an_empty_camera_input(client: TestClient):
    """What Chromium posts: two files in one input, the other file input empty (no file
    chosen: an empty part with an empty file name), which is no file at all."""
    one, two = b"\xff\xd8\xff\xe0" + b"1" * 5000, b"\x89PNG\r\n\x1a\n" + b"2" * 300
    data = body(
        field("csrf", "tok"),
        field("n", "7"),
        part('form-data; name="files"; filename="a.jpg"', one, mime="image/jpeg"),
        part('form-data; name="files"; filename="b.png"', two, mime="image/png"),
        part('form-data; name="files"; filename=""', mime="application/octet-stream"),
    )
    answer = await post(client, data)
    assert answer["fields"] == {"csrf": "tok", "n": "7"}
    assert answer["files"] == [
        {
            "name": "a.jpg",
            "mime": "image/jpeg",
            "size": len(one),
            "sha256": hashlib.sha256(one).hexdigest(),
            "kept": True,
        },
        {
            "name": "b.png",
            "mime": "image/png",
            "size": len(two),
            "sha256": hashlib.sha256(two).hexdigest(),
            "kept": True,
        },
    ]


async def test_the_empty_file_input_writes_no_file(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    """Regression: the empty file input of every evidence form (the camera's, when files
    were chosen) was spooled to a new file, then deleted: a file made for nothing."""
    made: list[str] = []
    real = uploads.tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        made.append("file")
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads.tempfile, "mkstemp", mkstemp)
    data = body(
        field("csrf", "tok"),
        part('form-data; name="files"; filename="a.jpg"', b"jpeg", mime="image/jpeg"),
        part('form-data; name="files"; filename=""', mime="application/octet-stream"),
    )
    answer = await post(client, data)
    assert [f["name"] for f in answer["files"]] == ["a.jpg"]
    assert made == ["file"]


async def test_fields_as_browsers_send_them(client: TestClient):
    """A field's value is its bytes as UTF-8 (text typed with line breaks, non-ASCII, bytes
    that are not UTF-8 as replacement characters); a later field of a name wins, as before;
    a part without a name is read and dropped."""
    data = body(
        field("text", "첫 줄\r\n둘째 줄 --" + B[:-1]),
        part('form-data; name="choice"', b"\xff"),
        field("n", "1"),
        field("n", "2"),
        part("form-data", b"nameless"),
        part('form-data; name=""', b"empty name"),
    )
    answer = await post(client, data)
    assert answer["fields"] == {
        "text": "첫 줄\r\n둘째 줄 --" + B[:-1],
        "choice": "\ufffd",
        "n": "2",
    }


async def test_a_file_whose_bytes_look_like_the_boundary_is_read_whole(client: TestClient):
    """Pieces of the delimiter inside a file, on both sides of where the reader's 64 KiB
    reads end: the file comes out byte for byte."""
    almost = b"\r\n--" + B.encode()[:-1]
    data = bytearray(b"z" * 200_000)
    for at in (0, 100, 65_530, 65_536 - len(almost) + 3, 65_536, 131_070, 199_000):
        data[at : at + len(almost)] = almost
    data[-4:] = b"\r\n--"
    data = bytes(data)
    answer = await post(client, body(part('form-data; name="f"; filename="z.bin"', data)))
    assert answer["files"][0]["size"] == len(data)
    assert answer["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_preamble_and_an_epilogue_are_ignored(client: TestClient):
    data = b"This is a preamble.\r\n" + body(field("csrf", "a")) + b"an epilogue\r\n"
    assert (await post(client, data))["fields"] == {"csrf": "a"}


async def test_an_empty_multipart_form_has_nothing(client: TestClient):
    answer = await post(client, b"--" + B.encode() + b"--\r\n")
    assert answer == {"fields": {}, "files": [], "status": 200}


async def test_a_chunked_upload_is_read_as_it_comes(client: TestClient):
    data = body(field("csrf", "a"), part('form-data; name="f"; filename="c.bin"', b"c" * 150_000))

    async def pieces() -> AsyncIterator[bytes]:
        for at in range(0, len(data), 7_001):
            yield data[at : at + 7_001]

    answer = await post(client, pieces())
    assert answer["fields"] == {"csrf": "a"} and answer["files"][0]["size"] == 150_000


# -- refused ------------------------------------------------------------------------------------

HOSTILE_DISPOSITIONS = [
    'form-data; name="files"; filename="open.jpg',  # an unterminated quote
    'form-data; name="a"; name="b"',  # a parameter twice
    'form-data; name="f"; filename="a.jpg"; FILENAME="b.jpg"',
    "form-data; name=\"f\"; filename*=UTF-8''a.jpg; filename*=UTF-8''b.jpg",
    'form-data; name="f"; filename="a\rb.jpg"',  # a bare CR or LF, a NUL, a DEL
    'form-data; name="f"; filename="a\nb.jpg"',
    'form-data; name="f"; filename="a\x00b.jpg"',
    'form-data; name="f"; filename="a\x7fb.jpg"',
    'form-data; name="f"; filename="' + "a" * 9000 + '.jpg"',  # past the header block's cap
    'form-data; name="f" junk',  # garbage after a parameter
    'form-data; name="f" filename="a.jpg"',  # no ';' between parameters
    'form-data; name="f"; =x',
    'form-data; name="f"; filename',
    "form-data; name=a b",
    "form-data; name=\"f\"; filename*=ISO-8859-1''%E9.jpg",  # only UTF-8 in filename*
    "form-data; name=\"f\"; filename*=UTF-8''%FF.jpg",  # escapes that are not UTF-8
    'form-data; name="f"; filename*=a.jpg',
    'attachment; name="f"; filename="a.jpg"',  # not form-data
    '; name="f"',
    "",
    b'form-data; name="f"; filename="\xff\xfe.jpg"',  # raw bytes that are not UTF-8
]


@pytest.mark.parametrize("disposition", HOSTILE_DISPOSITIONS)
async def test_a_part_header_no_browser_writes_is_refused(
    client: TestClient, disposition: str | bytes
):
    data = body(field("csrf", "a"), part(disposition, b"x" * 100))
    answer = await post(client, data)
    assert answer["status"] == 400, answer


@pytest.mark.parametrize(
    "head",
    [
        b"",  # no headers at all: no Content-Disposition
        b"Content-Type: text/plain\r\n",
        b'Content-Disposition: form-data; name="a"\r\nContent-Disposition: form-data; name="b"\r\n',
        b'Content-Disposition: form-data;\r\n name="folded"\r\n',  # an obsolete line fold
        b'Content-Disposition: form-data; name="a"\r\nBroken header line\r\n',
        b'Content-Disposition: form-data; name="a"\r\nX-Nul: a\x00b\r\n',
        b'Content-Disposition: form-data; name="a"\r\n' + b"X-Long: " + b"a" * 9000 + b"\r\n",
        b'Content-Disposition: form-data; name="a"\r\n' + b"X: y\r\n" * 2000,
        b'Content-Disposition: form-data; name="a"; filename="n.zip"\r\n'
        b"Content-Type: multipart/mixed; boundary=inner\r\n",  # a nested multipart
        b'Content-Disposition: form-data; name="a"; filename="n.zip"\r\n'
        b"Content-Type:  Multipart/Related\r\n",
    ],
)
async def test_part_headers_no_browser_writes_are_refused(client: TestClient, head: bytes):
    """Regression: a part header line over 8190 bytes, or over 128 header lines, raised
    aiohttp's BadHttpMessage out of read_form (a 500 and a traceback); a malformed
    Content-Disposition was ignored with a warning, and a file name's bytes that are not
    UTF-8 became surrogates. Each now refuses the form (400)."""
    data = b"--" + B.encode() + b"\r\n" + head + b"\r\nvalue\r\n--" + B.encode() + b"--\r\n"
    answer = await post(client, data)
    assert answer["status"] == 400, answer


# Header lines whose whitespace made the reader's old header pattern,
# ``(token):[ \t]*(.*?)[ \t]*``, backtrack: a run of spaces between two words (every lazy
# step rescanned the run: n squared), and one before a bare LF, which fails the match
# (each split of the run tried again: n cubed; 8,000 spaces, inside HEAD_MAX, were about
# 8 CPU-minutes).
BACKTRACKING_LINES = [
    ("X-Pad: a" + " " * 2_000_000 + "b", "read"),
    ("X-Pad:" + " " * 8_000 + "\n", "refused"),
    ("X-Pad:" + "\t " * 4_000 + "\n", "refused"),
]
# What may look at a whole header line: a search for one character of a class, which is
# one pass whatever the text (no pattern of alternatives or repeats to backtrack in).
ONE_PASS = {"CONTROL"}
WHITESPACE_RUN = re.compile(r"[ \t]{64}")


class OnlyOnePass:
    """A pattern of the reader's that refuses to run, with anything but ``ONE_PASS``, over
    text holding a run of spaces or tabs: the text a backtracking pattern would rescan."""

    def __init__(self, name: str, pattern: re.Pattern[str]) -> None:
        self.name, self.pattern = name, pattern

    def __getattr__(self, attribute: str) -> Any:
        method = getattr(self.pattern, attribute)
        if not callable(method):
            return method

        def run(text: Any = "", *args: Any, **kwargs: Any) -> Any:
            if self.name not in ONE_PASS and isinstance(text, str) and WHITESPACE_RUN.search(text):
                raise AssertionError(f"{self.name}.{attribute} run over a run of whitespace")
            return method(text, *args, **kwargs)

        return run


@pytest.mark.parametrize(("line", "outcome"), BACKTRACKING_LINES)
def test_a_part_header_line_costs_work_in_proportion_to_its_length(
    line: str, outcome: str, monkeypatch: pytest.MonkeyPatch
):
    """Regression: a part's header line was matched with a pattern that backtracks over a
    run of spaces or tabs, so one request of about 8 KB (a header line of spaces before a
    bare LF) held the event loop for minutes: every visitor and the Telegram webhook
    waited. Now a line is split at ':' and its value stripped, each one pass. Pinned
    without a clock: every pattern of the reader is watched, and none but a one-character
    search may run over the line's whitespace (the old header pattern did, and fails here
    at once instead of running for minutes)."""
    for name, value in vars(uploads).items():
        if isinstance(value, re.Pattern):
            monkeypatch.setattr(uploads, name, OnlyOnePass(name, value))
    head = 'Content-Disposition: form-data; name="a"\r\n' + line
    if outcome == "read":
        assert uploads._part_head(head) == ("a", None, "application/octet-stream")
    else:
        with pytest.raises(BadForm, match="unreadable part header"):
            uploads._part_head(head)


# A child process whose files may not grow past 4096 bytes (RLIMIT_FSIZE; SIGXFSZ ignored,
# so a write past it fails with EFBIG as on a full disk): it posts one file part of 6000
# bytes to a real server and prints what the spool folder holds after read_form gave up.
FULL_DISK_CHILD = """
import asyncio, os, resource, signal, sys, tempfile
from pathlib import Path
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from bot.webchat.uploads import read_form

B = "b0undary"
data = (
    f"--{B}\\r\\nContent-Disposition: form-data; name=\\"files\\"; filename=\\"a.jpg\\"\\r\\n\\r\\n"
).encode() + b"x" * 6000 + f"\\r\\n--{B}--\\r\\n".encode()
spool = Path(tempfile.mkdtemp())

async def read(request):
    try:
        await read_form(request, spool)
    except OSError as exc:
        return web.Response(text=f"{type(exc).__name__} {sorted(os.listdir(spool))}")
    return web.Response(text=f"read {sorted(os.listdir(spool))}")

async def main():
    app = web.Application()
    app.router.add_post("/", read)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    async with TestClient(TestServer(app)) as client:
        answer = await client.post(
            "/", data=data, headers={"Content-Type": f"multipart/form-data; boundary={B}"}
        )
        print(await answer.text())

asyncio.run(main())
"""


def test_a_file_part_that_cannot_be_written_out_leaves_no_spool_file():
    """Regression: the spool file's buffered last bytes were written out when it was
    closed, after the part's clean-up had stopped watching: a disk full (or quota) there
    raised out of read_form and left the spool file with part of the upload behind. It is
    deleted as on any other failure. (A real failing write: a child process whose files may
    not grow past 4096 bytes.)"""
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "OSError []"


@pytest.mark.parametrize(
    "data",
    [
        b"",  # no body at all
        b"just some bytes",  # no delimiter anywhere
        body(field("csrf", "a"), end=b""),  # no closing delimiter
        body(field("csrf", "a"), end=b"--" + B.encode()),  # cut after a delimiter
        body(part('form-data; name="f"; filename="a.jpg"', b"x" * 70_000), end=b"")[:-2],
        b"--" + B.encode() + b"\r\n" + b'Content-Disposition: form-data; name="a"\r\n',
        field("csrf", "a") + b"--" + B.encode() + b"X\r\n",  # the boundary, then more
        b"--" + B.encode() + b"junk\r\n" + field("csrf", "a")[len(B) + 4 :],
    ],
)
async def test_a_broken_body_is_refused_and_keeps_nothing(client: TestClient, data: bytes):
    answer = await post(client, data)
    assert answer["status"] == 400, answer


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",  # no boundary
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 71,  # RFC 2046: 70 at most
        "multipart/form-data; boundary=a{b}",  # not among RFC 2046's characters
    ],
)
async def test_a_multipart_type_without_a_usable_boundary_is_refused(
    client: TestClient, content_type: str
):
    answer = await post(client, body(field("csrf", "a")), content_type)
    assert answer["status"] == 400, answer


async def test_a_quoted_boundary_is_read(client: TestClient):
    answer = await post(client, body(field("csrf", "a")), f'multipart/form-data; boundary="{B}"')
    assert answer["fields"] == {"csrf": "a"}


async def test_too_many_parts_are_refused(client: TestClient):
    parts = [field(f"f{i}", "x") for i in range(FIELDS_MAX + MAX_FILES * 4 + 1)]
    assert (await post(client, body(*parts)))["status"] == 400
    answer = await post(client, body(*parts[:-1]))
    assert answer["status"] == 200 and len(answer["fields"]) == FIELDS_MAX


async def test_a_field_over_its_cap_is_refused(client: TestClient):
    assert (await post(client, body(field("text", "a" * FIELD_MAX))))["status"] == 200
    assert (await post(client, body(field("text", "a" * (FIELD_MAX + 1)))))["status"] == 400


async def test_a_chunked_body_past_all_an_answer_may_carry_is_refused_while_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    """Without a Content-Length the body is counted as it comes: past BODY_MAX, refused
    at once, the file written so far deleted (BODY_MAX made small for the test)."""
    monkeypatch.setattr(uploads, "BODY_MAX", 300_000)
    data = body(part('form-data; name="f"; filename="big.bin"', b"b" * 400_000))
    sent = []

    async def pieces() -> AsyncIterator[bytes]:
        for at in range(0, len(data), 50_000):
            sent.append(at)
            yield data[at : at + 50_000]

    answer = await post(client, pieces())
    assert answer["status"] == 413


async def test_a_urlencoded_form_is_not_read_past_its_length(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    """Regression: the script's answer (a body of its Content-Length) took one more read of
    the request stream after its last byte, only to learn that it had ended."""
    got: list[int] = []
    real = aiohttp.StreamReader.read

    async def read(self: aiohttp.StreamReader, n: int = -1) -> bytes:
        data = await real(self, n)
        if READING:
            got.append(len(data))
        return data

    monkeypatch.setattr(aiohttp.StreamReader, "read", read)
    answer = await post(client, b"csrf=a&n=2&choice=consent%3Ayes", URLENCODED)
    assert answer["fields"] == {"csrf": "a", "n": "2", "choice": "consent:yes"}
    assert got and sum(got) == 31 and 0 not in got  # no read that found only the end
