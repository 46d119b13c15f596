"""The staff web in a real browser: Debian's headless Chromium driven by Playwright's async API.

Where Chromium is not installed the test says how to get it and skips; with ``CI``
set it fails instead, because CI must run it (``make test`` installs Chromium as root).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.settings import Settings
from bot.staff.review import ReviewService
from bot.staff.web import create_staff_app
from bot.web import create_app
from flows.policy import load_policy
from storage import CaseStatus, EvidenceRef
from storage.memory import MemoryStorage
from tests.staff.test_web import DAY1, TOKEN, Inbox, add_case, png_bytes

pytestmark = pytest.mark.slow  # a real Chromium

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium from reaching for the (closed) network on its own.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def chromium_or_skip() -> None:
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    if os.environ.get("CI"):
        pytest.fail(
            f"{CHROMIUM} is missing, and CI must run the browser tests: `make browser` as root"
        )
    pytest.skip("Chromium not installed: run `make browser` as root")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    url: str
    storage: MemoryStorage
    inbox: Inbox
    review_number: str


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """The bot's web app with the staff web on 127.0.0.1, some cases stored."""
    storage = MemoryStorage()
    picture = png_bytes(40, 30)
    sha = storage.put_evidence(picture)
    for i in range(30):
        add_case(storage, at=DAY1 + i * 3600, reporter_type="general", tier="general_package")
    add_case(storage, at=DAY1 + 3600, status=CaseStatus.APPROVED)
    review_case = add_case(
        storage,
        at=DAY1 + 7200,
        tier="review",
        amount=1_250_000,
        tentative_support=None,
        description="채널 예약 메시지를 사흘 동안 받지 못했어요.",
        evidence=[EvidenceRef(sha, "예약화면.png", "image/png", len(picture))],
    )
    inbox = Inbox()
    staff_app = create_staff_app(
        storage=storage,
        policy=load_policy(),
        review=ReviewService(storage, notify=inbox),
        settings=Settings(staff_web_token=TOKEN),
    )
    runner = web.AppRunner(create_app(staff=staff_app), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Site(f"http://127.0.0.1:{port}", storage, inbox, review_case.case_number)
    finally:
        await runner.cleanup()
        storage.close()


async def no_horizontal_overflow(page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_staff_signs_in_filters_opens_a_case_and_requests_documents(site, tmp_path):
    chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = await browser.new_context(viewport=PHONE, locale="ko-KR")
            page = await context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

            await page.goto(f"{site.url}/staff/")
            assert "/staff/signin" in page.url
            await page.fill("#name", "김담당")
            await page.fill("#token", TOKEN)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{site.url}/staff/")
            # The stylesheet file got past the Content-Security-Policy (style-src 'self').
            color = await page.eval_on_selector(
                ".topbar", "e => getComputedStyle(e).backgroundColor"
            )
            assert color == "rgb(29, 63, 114)"
            assert "전체 32건" in await page.text_content(".count")
            # The first screen of a phone shows cases, not only the filter form.
            first = await page.locator("a.case-link").first.bounding_box()
            assert first is not None and first["y"] + first["height"] <= PHONE["height"]

            await page.click(".filter-box summary")
            await page.select_option("#f-reporter_type", "small_business")
            await page.select_option("#f-status", "submitted")
            await page.click(".filter-actions button[type=submit]")
            await page.wait_for_url(re.compile(r"reporter_type=small_business"))
            links = page.locator("a.case-link")
            assert await links.count() == 1
            await no_horizontal_overflow(page, PHONE["width"])
            await page.screenshot(path=tmp_path / "list-390.png", full_page=True)

            # An export says what the file will hold; the person's press starts the download.
            await page.click(".exports a:text('CSV')")
            await page.wait_for_selector(".export-status")
            assert "1건" in await page.text_content(".export-status")
            async with page.expect_download() as started:
                await page.click(".export-status a.download-link")
            download = await started.value
            assert download.suggested_filename.endswith(".csv")
            data = Path(await download.path()).read_bytes().decode("utf-8-sig")
            assert site.review_number in data and len(data.splitlines()) == 2
            # Regression: the page started the download by a meta refresh, so coming back to
            # it (Back from the list, Forward) downloaded the file again.
            await page.go_back()
            await page.wait_for_url(re.compile(r"reporter_type=small_business"))
            await page.go_forward()
            await page.wait_for_selector(".export-status a.download-link")
            assert await page.locator("meta[http-equiv=refresh]").count() == 0
            await page.go_back()
            await page.wait_for_url(re.compile(r"reporter_type=small_business"))

            await links.first.click()
            await page.wait_for_url(f"{site.url}/staff/cases/{site.review_number}")
            assert await page.text_content("h1") == site.review_number
            assert await page.text_content(".detail-head .badge") == "접수됨"
            # The evidence picture loaded through the session (inline, type checked).
            loaded = await page.eval_on_selector(
                ".evidence img", "i => i.complete && i.naturalWidth"
            )
            assert loaded == 40

            await page.check("input[name=doc][value='1']")
            await page.fill("#a-other", "영업 신고증")
            await page.fill("#a-note", "이번 주 안에 보내 주세요")
            await page.click("form[action$='/request_documents'] button[type=submit]")
            # First the message the user will get, exactly; nothing is sent yet.
            message = await page.text_content(".chat-message p")
            assert "영업 신고증" in message and "이번 주 안에 보내 주세요" in message
            assert await page.text_content(".chat-button") == "서류 보내기"
            assert site.inbox.sent == []
            await no_horizontal_overflow(page, PHONE["width"])
            await page.screenshot(path=tmp_path / "confirm-390.png", full_page=True)
            await page.click(".confirm-actions button[type=submit]")
            await page.wait_for_selector(".flash.ok")
            assert await page.text_content(".detail-head .badge") == "서류 보완 요청"
            assert "김담당" in await page.text_content(".audit")
            await no_horizontal_overflow(page, PHONE["width"])
            await page.screenshot(path=tmp_path / "detail-390.png", full_page=True)

            await page.click("nav.nav a[href='/staff/stats']")
            await page.wait_for_selector("h1")
            await page.goto(f"{site.url}/staff/stats?from=2022-10-19&to=2022-11-17")
            # Regression: axis text was about 5 px on a phone and the last date was cut ("12/").
            axis = await page.evaluate(
                """() => {
                    const svg = [...document.querySelectorAll('svg.columns')]
                        .find(e => e.getBoundingClientRect().width > 0);
                    const box = svg.getBoundingClientRect();
                    const texts = [...svg.querySelectorAll(':scope > text')]
                        .map(t => t.getBoundingClientRect());
                    return {
                        smallest: Math.min(...texts.map(r => r.height)),
                        right: Math.max(...texts.map(r => r.right)) - box.right,
                        left: Math.min(...texts.map(r => r.left)) - box.left,
                    };
                }"""
            )
            assert axis["smallest"] >= 10, axis
            assert axis["right"] <= 0 and axis["left"] >= 0, axis
            await no_horizontal_overflow(page, PHONE["width"])
            await page.screenshot(path=tmp_path / "stats-390.png", full_page=True)
            assert problems == []  # e.g. no Content-Security-Policy violation
        finally:
            await browser.close()

    case = site.storage.get_case(site.review_number)
    assert case.status == CaseStatus.DOCUMENTS_REQUESTED
    ((user_id, replies),) = site.inbox.sent
    assert user_id == case.user_id
    assert "매출 피해 입증 자료(장부, 매출 내역 등), 영업 신고증" in replies[0].text
    assert replies[0].text == message
    assert (tmp_path / "list-390.png").stat().st_size > 10_000
