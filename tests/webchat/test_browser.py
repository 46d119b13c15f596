"""The web chat in a real browser (Debian's Chromium through Playwright), at 390 px and on a
desktop, in Korean and English, with and without JavaScript.

Each test writes a screenshot of every step into a folder named after it, under
``$WEBCHAT_SCREENSHOTS`` (default: ``webchat-screenshots`` in the system's temporary
folder), for a reviewer to look at; the path is printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

import pytest

from bot.__main__ import build_service, build_storage
from bot.settings import load_settings
from flows.identity import UserKey
from flows.messages import Reply
from tests.staff.test_browser import CHROMIUM, LAUNCH_ARGS, chromium_or_skip
from tests.webchat.conftest import ChatSite

pytestmark = pytest.mark.slow  # a real Chromium

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"receipt" * 200


class Shots:
    """Numbered screenshots of one test's steps, in a folder named after the test."""

    def __init__(self, name: str) -> None:
        root = Path(os.environ.get("WEBCHAT_SCREENSHOTS", Path(tempfile.gettempdir())))
        self.folder = root / "webchat-screenshots" / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        print(f"screenshots: {self.folder}")

    async def take(self, page, step: str) -> None:
        self.count += 1
        await page.screenshot(
            path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True
        )


@pytest.fixture
async def browser():
    chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def press(page, label: str) -> None:
    await page.get_by_role("button", name=label, exact=True).click()


async def answer(page, text: str) -> None:
    await page.get_by_role("textbox", name=re.compile("답변 입력|Your answer")).fill(text)
    await page.get_by_role("button", name=re.compile("^(보내기|Send)$")).click()


async def wait_for_bot(page, text: str) -> None:
    await page.locator("#transcript li.bubble", has_text=text).last.wait_for()


async def no_horizontal_overflow(page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def every_control_is_labelled(page) -> None:
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, button')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !el.textContent.trim())
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []


async def to_evidence(page, shots: Shots, script: bool) -> None:
    """From the first visit to the evidence question, with a back-and-edit on the way."""
    await page.goto(shots.base + "/")
    await shots.take(page, "welcome")
    await press(page, "접수 시작하기")
    await wait_for_bot(page, "개인정보")
    await shots.take(page, "consent")
    await every_control_is_labelled(page)
    for label in ("동의해요", "소상공인", "카카오톡 채널", "무료로 이용했어요"):
        await press(page, label)
        await page.get_by_role("button", name="이전 질문").wait_for()
    await shots.take(page, "paid")
    await press(page, "네, 금전 피해가 있어요")
    await wait_for_bot(page, "짧게 적어")
    await answer(page, "단골 예약 문의를 못 받았어요")
    await wait_for_bot(page, "피해 금액을 적어")
    await answer(page, "35만 원")
    await wait_for_bot(page, "350,000원 맞으신가요?")
    await shots.take(page, "amount-confirm")
    # Back and edit: the amount again, as another figure.
    await press(page, "이전 질문")
    # The question asked again: a second such bubble (the first is on the page already, and
    # typing before the answer arrives would go into controls the answer then replaces).
    await page.locator("#transcript li.bubble", has_text="피해 금액을 적어").nth(1).wait_for()
    await answer(page, "45만 원")
    await wait_for_bot(page, "450,000원 맞으신가요?")
    await press(page, "네, 맞아요")
    await wait_for_bot(page, "잠정 지원 내용")
    await shots.take(page, "tier")
    # A reload in the middle resumes where it was.
    await page.reload()
    await wait_for_bot(page, "사업자등록번호")
    await shots.take(page, "reloaded")
    await answer(page, "220-81-62517")
    await wait_for_bot(page, "증빙 자료가 있으면")
    await shots.take(page, "evidence")


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
async def test_a_whole_report_on_a_phone(site: ChatSite, browser, script: bool, tmp_path):
    shots = Shots(f"report-390-ko-{'script' if script else 'no-script'}")
    shots.base = site.url
    context = await browser.new_context(
        viewport=PHONE, locale="ko-KR", java_script_enabled=script, has_touch=True
    )
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    posted: list[str] = []  # the content type of each answer the page sent
    page.on(
        "request",
        lambda r: (
            posted.append(r.headers.get("content-type", "").split(";")[0])
            if r.method == "POST" and r.url.endswith("/say")
            else None
        ),
    )
    await to_evidence(page, shots, script)
    # Regression: the script sent every answer as multipart/form-data (FormData), which
    # the server parses at several times the cost of a urlencoded form; only files need it.
    assert posted and set(posted) == {"application/x-www-form-urlencoded"}
    await no_horizontal_overflow(page, PHONE["width"])
    files = page.locator("#f-files")
    assert await files.get_attribute("multiple") is not None
    assert await page.locator("#f-camera").get_attribute("capture") == "environment"
    for i in (1, 2):
        (tmp_path / f"receipt{i}.jpg").write_bytes(JPEG + bytes([i]))
    await files.set_input_files([str(tmp_path / "receipt1.jpg"), str(tmp_path / "receipt2.jpg")])
    await shots.take(page, "files-chosen")
    await press(page, "파일 보내기")
    await wait_for_bot(page, "받았어요: receipt1.jpg, receipt2.jpg")
    assert posted[-1] == "multipart/form-data"  # the files, with the script or without
    await shots.take(page, "files-received")
    await press(page, "다 보냈어요")
    await wait_for_bot(page, "증빙 자료: 2개")
    await shots.take(page, "summary")
    await press(page, "접수하기")
    await wait_for_bot(page, "조회 코드")
    await shots.take(page, "submitted")
    text = await page.locator("#transcript").inner_text()
    number = re.search(r"접수번호: (\S+)", text).group(1)
    code = re.search(r"조회 코드: (\S+)", text).group(1)
    case = site.service.storage.get_case(number)
    assert case.amount == 450_000 and len(case.evidence) == 2
    if script:  # the page never reloaded for an answer: the script posted them
        assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert problems == []

    # Another device, a fresh browser: the status page with the lookup code.
    other = await browser.new_context(viewport=PHONE, locale="ko-KR", java_script_enabled=script)
    status = await other.new_page()
    await status.goto(site.url + "/status")
    await shots.take(status, "status-form")
    await status.get_by_label("접수번호").fill(number)
    await status.get_by_label("조회 코드").fill(code)
    await status.get_by_role("button", name="조회하기").click()
    await status.locator(".cases li", has_text=number).wait_for()
    await shots.take(status, "status-opened")
    await other.close()
    await context.close()


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
async def test_file_names_a_browser_writes_are_read_as_chosen(
    site: ChatSite, browser, script: bool, tmp_path
):
    """Chromium's own multipart body (read by the web chat's reader, not aiohttp's): a
    Korean name raw in UTF-8 and a name with ';', '=' and brackets inside the quotes,
    chosen in one input while the camera's input stays empty."""
    shots = Shots(f"file-names-390-ko-{'script' if script else 'no-script'}")
    shots.base = site.url
    context = await browser.new_context(viewport=PHONE, locale="ko-KR", java_script_enabled=script)
    page = await context.new_page()
    await to_evidence(page, shots, script)
    names = ["영수증 1월.jpg", "receipt (2); a=b.jpg"]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(JPEG + bytes([i]))
    await page.locator("#f-files").set_input_files([str(tmp_path / name) for name in names])
    await press(page, "파일 보내기")
    await wait_for_bot(page, "받았어요: " + ", ".join(names))
    await shots.take(page, "files-received")
    user = UserKey(
        "web",
        site.door.chat.signer.visitor(
            next(c for c in await context.cookies() if c["name"] == "chat")["value"]
        ),
    )
    record = site.service.storage.load_conversation(user)
    assert [f["name"] for f in record.answers["evidence"]] == names
    assert not list(site.service.storage.spool_dir().iterdir())
    await context.close()


async def test_english_on_a_desktop_with_the_keyboard_alone(site: ChatSite, browser):
    """Tab and Enter only: the toggle to English, the start, a choice, a typed answer."""
    shots = Shots("keyboard-1280-en")
    context = await browser.new_context(viewport=DESKTOP, locale="ko-KR")
    page = await context.new_page()
    await page.goto(site.url + "/")
    await shots.take(page, "korean-first")
    await page.get_by_role("button", name="Switch to English").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Start a report").wait_for()
    await shots.take(page, "english")
    await page.get_by_role("button", name="Start a report").focus()
    await page.keyboard.press("Enter")
    await wait_for_bot(page, "personal")
    await shots.take(page, "consent-en")
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused == "I agree"  # the script moved the focus to the new question's first button
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Small business").wait_for()
    await page.keyboard.press("Enter")  # focus is on the first choice again
    await page.get_by_role("button", name="Previous question").wait_for()
    await shots.take(page, "service-en")
    assert await page.title() == "Damage report"
    await context.close()


async def test_a_staff_message_reaches_the_page(site: ChatSite, browser):
    """A notice for the person (a staff answer) shows on the page with the count in the title."""
    shots = Shots("mailbox-390-ko")
    context = await browser.new_context(viewport=PHONE, locale="ko-KR", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(site.url + "/")
    await press(page, "접수 시작하기")
    await wait_for_bot(page, "개인정보")
    cookie = next(c for c in await context.cookies() if c["name"] == "chat")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    visitor = site.door.chat.signer.visitor(cookie["value"])
    await site.service.notices.post(
        UserKey("web", visitor),
        [Reply("접수번호 K7F-3QX-9MZ에 대해 담당자가 답했어요.\n\n사진을 한 장 더 보내 주세요.")],
        kind="staff_message",
    )
    await page.reload()
    await wait_for_bot(page, "사진을 한 장 더")
    assert await page.title() == "(1) 피해 접수"
    await shots.take(page, "staff-message")
    await context.close()


async def test_a_staff_answer_on_the_staff_web_reaches_the_web_reporter(tmp_path, browser):
    """The round trip: the reporter writes to staff from the page, staff answer on the staff
    web, and the answer shows in the page's mailbox with the unread count in the title."""
    from bot.server import build_doors, serve
    from tests.staff.test_web import TOKEN
    from tests.webchat.conftest import free_port

    shots = Shots("staff-round-trip-390-ko")
    port = free_port()
    settings = load_settings(
        {"DATA_DIR": str(tmp_path / "data"), "PORT": str(port), "STAFF_WEB_TOKEN": TOKEN}
    )
    storage = build_storage(settings)
    service = build_service(settings, storage)
    stop, ready = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(
        serve(settings, build_doors(settings, service), stop=stop, ready=ready)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.wait_for(ready.wait(), 30)
        reporter = await browser.new_context(viewport=PHONE, locale="ko-KR")
        page = await reporter.new_page()
        await page.goto(base + "/")
        await press(page, "접수 시작하기")
        for label in ("동의해요", "일반 이용자", "카카오맵"):
            await press(page, label)
            await page.get_by_role("button", name="이전 질문").wait_for()
        await press(page, "아니요, 문의·의견이에요")
        await wait_for_bot(page, "자유롭게 적어")
        await answer(page, "즐겨찾기가 사라졌어요.")
        await press(page, "접수하기")
        await wait_for_bot(page, "조회 코드")
        text = await page.locator("#transcript").inner_text()
        number = re.search(r"접수번호: (\S+)", text).group(1)
        await answer(page, "보상은 언제쯤 받을 수 있나요?")  # after submitting: to staff
        await wait_for_bot(page, "담당자에게 보냈어요")
        await shots.take(page, "reporter-wrote")

        staff = await browser.new_context(viewport=DESKTOP, locale="ko-KR")
        desk = await staff.new_page()
        await desk.goto(base + "/staff/")
        await desk.fill("#name", "김담당")
        await desk.fill("#token", TOKEN)
        await desk.click("button[type=submit]")
        await desk.wait_for_url(base + "/staff/")
        await desk.goto(f"{base}/staff/cases/{number}")
        assert "보상은 언제쯤 받을 수 있나요?" in await desk.locator("#messages").text_content()
        await desk.fill("#answer-text", "다음 달 말까지 지급될 예정이에요.")
        await desk.click("form.answer button[type=submit]")
        # Kept in the web reporter's mailbox (the staff web's words for that are its own).
        await desk.wait_for_selector(".flash")
        await shots.take(desk, "staff-answered")

        # The page's script asks for news when the page is looked at again.
        await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        await page.locator("#news button").wait_for()
        assert await page.title() == "(1) 피해 접수"
        await shots.take(page, "news-waiting")
        await page.locator("#news button").click()
        await wait_for_bot(page, "다음 달 말까지 지급될 예정이에요.")
        assert await page.title() == "피해 접수"
        await shots.take(page, "news-shown")
        await staff.close()
        await reporter.close()
    finally:
        stop.set()
        await server
        storage.close()
