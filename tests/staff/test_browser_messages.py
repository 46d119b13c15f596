"""A staff member answers a Telegram reporter's message on the staff web, in a real browser.

The whole bot runs as it does in production (``run_telegram``: the one server with the
staff web and Telegram polling) on a TinyDB data directory, against the local Bot API
stand-in; Chromium (Playwright) is the staff member. The reporter writes after their
case was submitted, staff see it in the list, answer on the case page, and the answer
arrives in the reporter's Telegram chat with a button to write back.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.intake import IntakeService
from bot.server import run_telegram
from bot.settings import Settings
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput, CommandInput, TextInput
from flows.policy import load_policy
from storage.tinydb_store import TinyDBStorage
from tests.staff.test_browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    PHONE,
    chromium_or_skip,
    free_port,
    no_horizontal_overflow,
)
from tests.staff.test_web import TOKEN
from tests.support.bot_api import BotAPIStandIn
from tests.support.users import tg

pytestmark = pytest.mark.slow  # a real Chromium and the whole bot

REPORTER = 5151
DESKTOP = {"width": 1280, "height": 900}


def file_a_report(service: IntakeService) -> str:
    """The reporter's report, filed earlier through the same service (a question, no loss)."""
    user = tg(REPORTER)
    service.handle(user, CommandInput("start"), language_code="ko")
    for question, value in (
        ("consent", "agree"),
        ("reporter_type", "general"),
        ("service", "kakaomap"),
        ("monetary", "no"),
    ):
        service.handle(user, ChoiceInput(question, value))
    service.handle(user, TextInput("카카오맵 즐겨찾기가 사라졌어요."))
    service.handle(user, ChoiceInput("summary", "submit"))
    record = service.storage.load_conversation(user)
    assert record is not None and record.state == "submitted" and record.case_number
    return record.case_number


async def test_a_staff_answer_on_the_web_reaches_the_telegram_reporter(tmp_path):
    chromium_or_skip()
    from playwright.async_api import async_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with BotAPIStandIn() as api:
        reporter = api.user(REPORTER, first_name="민지", language_code="ko")
        port = free_port()
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
            data_dir=tmp_path / "data",
            port=port,
            staff_web_token=TOKEN,
        )
        storage = TinyDBStorage(settings.data_dir)
        service = IntakeService(IntakeFlow(load_policy()), storage)
        number = file_a_report(service)
        stop, ready = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(run_telegram(settings, service, stop=stop, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), 15)
            # The reporter asks, in their Telegram chat, after submitting.
            api.queue(api.text_update(reporter, "보상은 언제쯤 받을 수 있나요?"))
            [sent] = await api.wait_for_messages(REPORTER, 1)
            assert "담당자에게 보냈어요" in sent["text"] and number in sent["text"]

            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=LAUNCH_ARGS
                )
                try:
                    context = await browser.new_context(viewport=PHONE, locale="ko-KR")
                    page = await context.new_page()
                    problems: list[str] = []
                    page.on(
                        "console",
                        lambda m: problems.append(m.text) if m.type == "error" else None,
                    )
                    base = f"http://127.0.0.1:{port}"
                    await page.goto(f"{base}/staff/")
                    await page.fill("#name", "김담당")
                    await page.fill("#token", TOKEN)
                    await page.click("button[type=submit]")
                    await page.wait_for_url(f"{base}/staff/")
                    banner = page.locator(".unread-banner a")
                    assert "답하지 않은 메시지가 있는 접수 1건" in await banner.text_content()
                    await no_horizontal_overflow(page, PHONE["width"])
                    await page.screenshot(path=shots / "list-390.png", full_page=True)
                    await page.set_viewport_size(DESKTOP)
                    await page.screenshot(path=shots / "list-desktop.png", full_page=True)
                    await page.set_viewport_size(PHONE)

                    await banner.click()
                    await page.wait_for_url(re.compile(r"messages=unread"))
                    await page.click(f"a.case-link:text('{number}')")
                    await page.wait_for_url(f"{base}/staff/cases/{number}")
                    thread = page.locator("#messages")
                    assert "보상은 언제쯤 받을 수 있나요?" in await thread.text_content()
                    assert "답하지 않은 메시지 1개" in await thread.text_content()

                    await page.fill("#answer-text", "다음 달 말까지 지급될 예정이에요.")
                    await page.click("form.answer button[type=submit]")
                    await page.wait_for_selector(".flash.ok")
                    assert "답장을 보냈어요" in await page.text_content(".flash.ok")
                    assert "처리 완료로 표시" in await thread.text_content()
                    assert "답하지 않은 메시지" not in await thread.text_content()
                    await no_horizontal_overflow(page, PHONE["width"])
                    await page.screenshot(path=shots / "detail-390.png", full_page=True)
                    await page.set_viewport_size(DESKTOP)
                    await page.screenshot(path=shots / "detail-desktop.png", full_page=True)

                    # The answer arrived in the reporter's chat, with a button to write back.
                    answer = (await api.wait_for_messages(REPORTER, 2))[-1]
                    assert answer["text"] == (
                        f"접수번호 {number}에 대해 담당자가 답했어요.\n\n"
                        "다음 달 말까지 지급될 예정이에요."
                    )
                    [[button]] = answer["reply_markup"]["inline_keyboard"]
                    assert (button["text"], button["callback_data"]) == (
                        "답장하기",
                        f"msg:{number}",
                    )
                    # The reporter presses it and writes back: staff see it unread again.
                    api.queue(
                        api.callback_update(
                            reporter, button["callback_data"], message_id=answer["message_id"]
                        )
                    )
                    asked = (await api.wait_for_messages(REPORTER, 3))[-1]
                    assert "담당자에게 전할 내용을 적어 주세요" in asked["text"]
                    api.queue(api.text_update(reporter, "감사합니다!"))
                    done = (await api.wait_for_messages(REPORTER, 4))[-1]
                    assert "담당자에게 보냈어요" in done["text"]

                    await page.reload()
                    assert "감사합니다!" in await thread.text_content()
                    assert "답하지 않은 메시지 1개" in await thread.text_content()
                    await page.click("form[action$='/thread-done'] button")
                    await page.wait_for_selector(".flash.ok")
                    assert "처리 완료" in await page.text_content("#h-thread")
                    assert problems == []
                finally:
                    await browser.close()
        finally:
            stop.set()
            await asyncio.wait_for(server, 15)
            storage.close()

    reopened = TinyDBStorage(tmp_path / "data")
    try:
        thread = reopened.case_messages(number)
        assert [(m.sender, m.text) for m in thread] == [
            ("user", "보상은 언제쯤 받을 수 있나요?"),
            ("staff:김담당", "다음 달 말까지 지급될 예정이에요."),
            ("user", "감사합니다!"),
        ]
        row = reopened.list_cases()[0]
        assert row.thread_done and row.unread_messages == 0
        actions = [e.action for e in reopened.iter_audit(number)]
        assert actions.count("case.message") == 3 and actions[-1] == "case.thread_done"
    finally:
        reopened.close()
    assert (shots / "detail-390.png").stat().st_size > 10_000
