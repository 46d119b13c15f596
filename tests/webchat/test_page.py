"""The web chat page over real HTTP on loopback: the conversation without and with the script."""

from __future__ import annotations

import re

import aiohttp
import pytest
from yarl import URL

from bot.webchat.identity import SECRET_FILE
from flows.identity import UserKey
from tests.support.web_chat import WebVisitor
from tests.webchat.conftest import ChatSite, open_site

TO_DESCRIPTION = (
    "동의해요",
    "소상공인",
    "카카오톡 채널",
    "무료로 이용했어요",
    "네, 금전 피해가 있어요",
)
MODES = pytest.mark.parametrize("script", [False, True], ids=["no-script", "script"])


async def to_evidence(me: WebVisitor) -> None:
    """From the first visit to the evidence question, as a small business."""
    await me.open()
    await me.start()
    for label in TO_DESCRIPTION:
        await me.press(label)
    await me.type("단골 예약 문의를 못 받았어요")
    await me.type("35만 원")
    assert "350,000원 맞으신가요?" in me.screen.last_bot()
    await me.press("네, 맞아요")
    assert "잠정 지원 내용" in me.screen.text()  # the tier, as soon as the amount is confirmed
    await me.type("220-81-62517")
    assert "증빙 자료" in me.screen.last_bot()


@MODES
async def test_a_whole_report_through_the_page(site: ChatSite, script: bool):
    async with site.visitor(script=script) as me:
        screen = await me.open()
        assert me.last_status == 200
        assert "회원 가입은 필요 없어요" in screen.text() and not screen.started
        await to_evidence(me)
        await me.press("건너뛰기")
        assert "• 피해 금액: 350,000원" in me.screen.last_bot()
        await me.press("접수하기")
        text = me.screen.text()
        number = re.search(r"접수번호: (\S+)", text).group(1)
        code = re.search(r"조회 코드: (\S+)", text).group(1)
        assert site.door.chat.signer.lookup_ok(number, code)
        case = site.service.storage.get_case(number)
        assert case is not None and case.user_id.channel == "web" and case.amount == 350_000
        # The page, opened again, shows the same transcript (post, redirect, get).
        again = await me.open()
        assert number in again.text() and code in again.text()


async def test_a_first_visit_keeps_nothing(site: ChatSite, tmp_path):
    """A visit that answers nothing (a crawler, a look) stores no conversation or transcript."""
    async with site.visitor(script=False) as me:
        await me.open()
        await me.open()
    chats = site.settings.data_dir / "webchat" / "chats"
    assert not any(p.is_file() for p in chats.rglob("*"))


@MODES
async def test_english_by_the_browser_and_a_toggle_that_sticks(site: ChatSite, script: bool):
    async with site.visitor(script=script, lang="en-US,en;q=0.9") as me:
        screen = await me.open()
        assert "No account is needed" in screen.text() and screen.title.endswith("Damage report")
        await me.start()
        assert "I agree" in [label for label, _ in me.screen.buttons]
        await me.post("/lang", {"lang": "ko"})
        page = await me.open()
        assert "동의해요" in [label for label, _ in page.buttons]  # the question again, in Korean
        assert page.title == "피해 접수"
        me.headers["Accept-Language"] = "en"  # the choice sticks whatever the browser says
        assert "동의해요" in [label for label, _ in (await me.open()).buttons]


@MODES
async def test_back_and_start_over(site: ChatSite, script: bool):
    async with site.visitor(script=script) as me:
        await me.open()
        await me.start()
        await me.press("동의해요")
        await me.press("소상공인")
        assert "어떤 서비스" in me.screen.last_bot()
        await me.back()
        assert "어떤 분이신가요?" in me.screen.last_bot()
        await me.post("/say", {"cmd": "start"})
        labels = [label for label, _ in me.screen.buttons]
        assert len(labels) == 2  # continue, or start over
        await me.press(labels[1])
        assert "개인정보" in me.screen.last_bot()


async def test_coming_back_resumes_the_draft(site: ChatSite):
    """Regression guard: the cookie brings a returning visitor back to their question."""
    async with site.visitor(script=True) as me:
        await me.open()
        await me.start()
        await me.press("동의해요")
        cookies = me.http.cookie_jar.filter_cookies(URL(site.url))
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as later:
            later.cookie_jar.update_cookies({"chat": cookies["chat"].value})
            async with later.get(site.url + "/") as response:
                page = await response.text()
        assert "어떤 분이신가요?" in page and "동의해요" in page  # transcript and question


@MODES
async def test_a_form_sent_twice_counts_once(site: ChatSite, script: bool):
    """The request number in each form: a resent post (double tap, back button) is not applied again."""
    async with site.visitor(script=script) as me:
        await to_evidence(me)
        n = me.screen.n
        await me.press("건너뛰기")
        assert "요약" in me.screen.last_bot() or "접수하기" in str(me.screen.buttons)
        record = site.service.storage.load_conversation(UserKey("web", visitor_id(me, site)))
        assert record.state == "summary"
        await me.post("/say", {"n": n, "text": "다시 보낸 글"})  # the old form again
        after = site.service.storage.load_conversation(UserKey("web", visitor_id(me, site)))
        assert after.state == "summary" and after.answers == record.answers


def visitor_id(me: WebVisitor, site: ChatSite) -> str:
    cookie = me.http.cookie_jar.filter_cookies(URL(site.url))["chat"].value
    visitor = site.door.chat.signer.visitor(cookie)
    assert visitor is not None
    return visitor


async def test_the_cookie_is_signed_http_only_and_lax(site: ChatSite):
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url + "/") as response:
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http on loopback
        async with http.get(site.url + "/", headers={"X-Forwarded-Proto": "https"}) as response:
            assert "Secure" in response.headers["Set-Cookie"]
    # A cookie the server did not sign is nobody: a new visitor id is given.
    forged = "vAAAAAAAAAAAAAAAAAAAAAA.forged"
    assert site.door.chat.signer.visitor(forged) is None


async def test_web_secret_is_made_once_in_the_data_directory(tmp_path):
    data = tmp_path / "data"
    first, runner = await open_site(data)
    try:
        secret = (data / SECRET_FILE).read_bytes()
        assert len(secret.strip()) >= 32 and (data / SECRET_FILE).stat().st_mode & 0o077 == 0
        cookie = first.door.chat.signer.cookie("vabc")
    finally:
        await runner.cleanup()
        first.service.storage.close()
    second, runner = await open_site(data)
    try:
        assert (data / SECRET_FILE).read_bytes() == secret
        assert second.door.chat.signer.visitor(cookie) == "vabc"  # the visitor stays signed in
    finally:
        await runner.cleanup()
        second.service.storage.close()
    third, runner = await open_site(tmp_path / "other", WEB_SECRET="configured-secret-0123456789")
    try:
        assert not (tmp_path / "other" / SECRET_FILE).exists()
        assert third.door.chat.signer.visitor(cookie) is None
    finally:
        await runner.cleanup()
        third.service.storage.close()


async def test_deleting_my_data_forgets_the_page_too(site: ChatSite):
    """Regression: /delete_my_data dropped the draft but the web chat kept the visitor's
    transcript (every answer they typed) in the store, shown again on the next visit."""
    async with site.visitor(script=False) as me:
        await me.open()
        await me.start()
        await me.press("동의해요")
        await me.press("소상공인")
        visitor = visitor_id(me, site)
        assert site.service.storage.web_transcript(visitor)
        await me.type("/delete_my_data")
        await me.press("네, 지워 주세요")
        kept = site.service.storage.web_transcript(visitor)
        assert "소상공인" not in str(kept)
        page = await me.open()
        assert "소상공인" not in page.text()
