"""News on the web chat page: notices wait in the mailbox (the web cannot push) and are shown
once, with the unread count in the title; the person writes to staff about their case."""

from __future__ import annotations

import re

from flows.identity import UserKey
from flows.messages import Reply
from tests.webchat.conftest import ChatSite
from tests.webchat.test_page import MODES, to_evidence, visitor_id


async def submitted(me, site: ChatSite) -> str:
    await to_evidence(me)
    await me.press("건너뛰기")
    await me.press("접수하기")
    return re.search(r"접수번호: (\S+)", me.screen.text()).group(1)


async def test_a_notice_waits_and_is_shown_once_with_the_count_in_the_title(site: ChatSite):
    async with site.visitor(script=False) as me:
        number = await submitted(me, site)
        user = UserKey("web", visitor_id(me, site))
        await site.service.notices.post(
            user,
            [Reply(f"접수번호 {number}에 대해 담당자가 답했어요.\n\n영수증 원본을 보내 주세요.")],
            kind="staff_message",
            case_number=number,
        )
        async with me.http.get(site.url + "/news") as response:
            assert await response.json() == {"unread": 1}
        page = await me.open()
        assert page.title == "(1) 피해 접수"
        assert "영수증 원본을 보내 주세요." in page.text()
        assert ("notice", "읽지 않은 알림이 1개 있어요.") in page.bubbles
        again = await me.open()  # shown once: still in the transcript, no longer unread
        assert again.title == "피해 접수" and again.text().count("영수증 원본을") == 1
        async with me.http.get(site.url + "/news") as response:
            assert await response.json() == {"unread": 0}


async def test_the_script_shows_the_news_when_asked(site: ChatSite):
    async with site.visitor(script=True) as me:
        number = await submitted(me, site)
        user = UserKey("web", visitor_id(me, site))
        await site.service.notices.post(
            user, [Reply("심사 결과를 알려 드려요.")], kind="review", case_number=number
        )
        await me.post("/news", {})
        assert me.last_status == 200 and "심사 결과를 알려 드려요." in me.screen.text()


@MODES
async def test_the_person_writes_to_staff_about_their_case(site: ChatSite, script: bool):
    async with site.visitor(script=script) as me:
        number = await submitted(me, site)
        await me.open("/status")
        async with me.http.get(site.url + "/status") as response:
            status_page = await response.text()
        assert f'value="msg:{number}"' in status_page
        await me.post("/say", {"choice": f"msg:{number}"})
        if script:
            await me.open()
        await me.type("영수증 원본은 우편으로 보내도 되나요?")
        assert "담당자에게 보냈어요" in me.screen.text()
    messages = site.service.storage.case_messages(number)
    assert [m.text for m in messages] == ["영수증 원본은 우편으로 보내도 되나요?"]
    assert messages[0].from_user
