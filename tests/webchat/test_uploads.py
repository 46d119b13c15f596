"""Evidence through the web chat: several files per answer, the same rules as Telegram,
bytes capped before they reach memory, and nothing partial kept."""

from __future__ import annotations

import asyncio
import re

import pytest
from yarl import URL

from bot.webchat.uploads import BODY_MAX, FORM_MAX
from flows.evidence import MAX_FILE_BYTES
from flows.identity import UserKey
from tests.support.gate import HANG_S
from tests.webchat.conftest import ChatSite
from tests.webchat.test_page import MODES, to_evidence, visitor_id

JPEG = b"\xff\xd8\xff\xe0" + b"receipt" * 100


@MODES
async def test_two_receipts_in_one_answer_and_a_refused_file(site: ChatSite, script: bool):
    async with site.visitor(script=script) as me:
        await to_evidence(me)
        assert me.screen.takes_files
        await me.attach(
            ("영수증1.jpg", "image/jpeg", JPEG),
            ("receipt-2.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"x" * 300),
            ("run.exe", "application/x-msdownload", b"MZ" + b"\0" * 100),
        )
        text = me.screen.text()
        assert "영수증1.jpg" in text and "receipt-2.png" in text
        assert "run.exe" in me.screen.last_bot() or "run.exe" in text
        await me.press("다 보냈어요")
        await me.press("접수하기")
        number = re.search(r"접수번호: (\S+)", me.screen.text()).group(1)
    case = site.service.storage.get_case(number)
    assert sorted(e.name for e in case.evidence) == ["receipt-2.png", "영수증1.jpg"]
    stored = {e.name: e.sha256 for e in case.evidence}
    with site.service.storage.open_evidence(stored["영수증1.jpg"]) as file:
        assert file.read() == JPEG
    spool = site.service.storage.spool_dir()
    assert not list(spool.iterdir())  # every spooled file was taken over or deleted


async def test_a_file_over_the_limit_is_refused_by_name_and_not_kept(site: ChatSite):
    async with site.visitor(script=True) as me:
        await to_evidence(me)
        big = b"\0" * (MAX_FILE_BYTES + 1)
        await me.attach(("big.pdf", "application/pdf", big), ("ok.jpg", "image/jpeg", JPEG))
        said = me.screen.text()
        assert "big.pdf" in said and "ok.jpg" in said
        record = site.service.storage.load_conversation(UserKey("web", visitor_id(me, site)))
        assert [f["name"] for f in record.answers["evidence"]] == ["ok.jpg"]
    assert not list(site.service.storage.spool_dir().iterdir())


async def test_a_body_larger_than_any_answer_is_refused_before_it_is_read(site: ChatSite):
    async with site.visitor(script=True) as me:
        await to_evidence(me)
        host = site.url.removeprefix("http://")
        reader, writer = await asyncio.open_connection(*host.split(":"))
        cookie = me.http.cookie_jar.filter_cookies(URL(site.url))["chat"].value
        writer.write(
            (
                f"POST /say HTTP/1.1\r\nHost: {host}\r\nCookie: chat={cookie}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {BODY_MAX + 1}\r\nX-Chat-Script: 1\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        writer.close()
        assert b" 413 " in status


async def test_an_upload_cut_off_midway_keeps_nothing(site: ChatSite):
    """The connection drops in the middle of a file: its part file is deleted, no evidence."""
    async with site.visitor(script=True) as me:
        await to_evidence(me)
        user = UserKey("web", visitor_id(me, site))
        before = site.service.storage.load_conversation(user)
        host = site.url.removeprefix("http://")
        cookie = me.http.cookie_jar.filter_cookies(URL(site.url))["chat"].value
        head = (
            f'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{me.screen.csrf}\r\n'
            f'--b\r\nContent-Disposition: form-data; name="n"\r\n\r\n{me.screen.n}\r\n'
            '--b\r\nContent-Disposition: form-data; name="files"; filename="half.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        _reader, writer = await asyncio.open_connection(*host.split(":"))
        writer.write(
            (
                f"POST /say HTTP/1.1\r\nHost: {host}\r\nCookie: chat={cookie}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {len(head) + 1_000_000}\r\n\r\n"
            ).encode()
            + head
            + b"\xff" * 300_000
        )
        await writer.drain()
        spool = site.service.storage.spool_dir()
        for _ in range(200):  # the part file exists while the upload runs
            if list(spool.iterdir()):
                break
            await asyncio.sleep(0.01)
        writer.close()
        for _ in range(500):
            if not list(spool.iterdir()):
                break
            await asyncio.sleep(0.01)
        assert not list(spool.iterdir())
        after = site.service.storage.load_conversation(user)
        assert after.answers == before.answers


@pytest.mark.parametrize("script", [True])
async def test_files_where_the_conversation_takes_none_are_answered_without_keeping_them(
    site: ChatSite, script: bool
):
    async with site.visitor(script=script) as me:
        await me.open()
        await me.start()
        await me.attach(("early.jpg", "image/jpeg", JPEG))
        assert me.last_status == 200
        assert "개인정보" in me.screen.last_bot() or me.screen.buttons
    assert not list(site.service.storage.spool_dir().iterdir())


async def raw_post(site: ChatSite, me, head: str, body: bytes = b"") -> bytes:
    """Send a POST /say by hand (the visitor's cookie) and return the status line.

    A server that waits for a body that never comes fails the test after HANG_S: a bound on
    a hang, not a timing (a correct server answers at once)."""
    host = site.url.removeprefix("http://")
    reader, writer = await asyncio.open_connection(*host.split(":"))
    cookie = me.http.cookie_jar.filter_cookies(URL(site.url))["chat"].value
    writer.write(
        (
            f"POST /say HTTP/1.1\r\nHost: {host}\r\nCookie: chat={cookie}\r\n"
            f"X-Chat-Script: 1\r\n{head}\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readline(), HANG_S)
    finally:
        writer.close()


async def test_a_urlencoded_body_larger_than_any_answer_is_refused_before_it_is_read(
    site: ChatSite,
):
    """Regression: a urlencoded answer was read whole up to aiohttp's 1 MiB before any check
    of its own (the server waited for the body a Content-Length announced): a typed answer
    is at most TEXT_MAX characters, so anything past FORM_MAX is refused at once."""
    async with site.visitor(script=True) as me:
        await me.open()
        status = await raw_post(
            site,
            me,
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {FORM_MAX + 1}\r\n",
        )
        assert b" 413 " in status


async def test_a_chunked_urlencoded_body_is_refused_as_soon_as_it_passes_the_cap(
    site: ChatSite,
):
    """Without a Content-Length, the body is read only up to FORM_MAX, then refused (the
    rest is never sent here: the answer must not wait for it)."""
    async with site.visitor(script=True) as me:
        await me.open()
        piece = b"a" * (FORM_MAX + 10)
        status = await raw_post(
            site,
            me,
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n",
            f"{len(piece):x}\r\n".encode() + piece + b"\r\n",
        )
        assert b" 413 " in status


async def test_a_malformed_urlencoded_body_gets_a_friendly_answer(site: ChatSite):
    """Bytes that are not UTF-8 (no browser sends them) get the polite 'page changed' answer,
    never a traceback; percent-escapes that are not UTF-8 are read as replacement characters,
    as before. Nothing is applied."""
    async with site.visitor(script=True) as me:
        await me.open()
        await me.start()
        before = me.screen.last_bot()
        body = f"csrf={me.screen.csrf}&n={me.screen.n}&text=\xff\xfe".encode("latin-1")
        status = await raw_post(
            site,
            me,
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n",
            body,
        )
        assert b" 400 " in status
        assert me.screen.last_bot() == before
        await me.press("동의해요")  # the same form, well formed, is applied once
        assert me.last_status == 200 and me.screen.last_bot() != before
