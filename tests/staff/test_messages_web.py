"""Staff read and answer a case's messages on the staff web (aiohttp's test client, every storage)."""

from __future__ import annotations

import html
import re

from storage import CaseMessage
from tests.staff.test_web import DAY1, Inbox, add_case, serve, signed_in, tg

MESSAGE_ID = re.compile(r'name="message_id" value="([^"]+)"')


def user_message(storage, number: str, n: int, text: str = "언제 지급되나요?") -> None:
    storage.add_case_message(
        CaseMessage(message_id=f"u{n}", case_number=number, sender="user", text=text, at=DAY1 + n)
    )


async def answer(staff, number: str, text: str):
    page = await staff.page(f"/staff/cases/{number}")
    message_id = MESSAGE_ID.search(page).group(1)
    return await staff.post(
        f"/staff/cases/{number}/messages", {"text": text, "message_id": message_id}
    )


async def test_unread_messages_show_in_the_list_with_a_count_and_a_filter(storage):
    """Regression: staff had no way to see that a reporter wrote to them."""
    quiet = add_case(storage)
    asking = add_case(storage)
    user_message(storage, asking.case_number, 1)
    user_message(storage, asking.case_number, 2, "사진도 보낼게요")
    async with serve(storage) as staff:
        await signed_in(staff)
        page = await staff.page("/staff/")
        assert "답하지 않은 메시지가 있는 접수 1건" in page
        assert 'href="/staff/?messages=unread"' in page
        assert "메시지 2" in page  # the row's badge
        filtered = await staff.page("/staff/?messages=unread")
        numbers = re.findall(r'class="case-link mono" href="/staff/cases/([^"]+)"', filtered)
        assert numbers == [asking.case_number] and quiet.case_number not in numbers
        assert "답하지 않은 메시지" in filtered  # the filter in force is named

        detail = await staff.page(f"/staff/cases/{asking.case_number}")
        assert "언제 지급되나요?" in detail and "사진도 보낼게요" in detail
        assert "답하지 않은 메시지 2개" in detail


async def test_an_answer_reaches_the_person_in_their_language_and_reads_the_thread(storage):
    case = add_case(storage, lang="en", user_id=tg(4242))
    user_message(storage, case.case_number, 1, "When will I be paid?")
    inbox = Inbox()
    from bot.staff.review import ReviewService

    async with serve(storage, review=ReviewService(storage, notify=inbox)) as staff:
        await signed_in(staff)
        response = await answer(staff, case.case_number, "다음 주에 지급돼요.\nNext week.")
        assert response.status == 303
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert "답장을 보냈어요" in page

    [(user_id, replies)] = inbox.sent
    assert user_id == tg(4242)
    assert replies[0].text.startswith(f"Staff answered about case {case.case_number}")
    assert "다음 주에 지급돼요.\nNext week." in replies[0].text
    [[button]] = replies[0].buttons
    assert (button.label, button.data) == ("Reply", f"msg:{case.case_number}")
    thread = storage.case_messages(case.case_number)
    assert [(m.sender, m.text) for m in thread] == [
        ("user", "When will I be paid?"),
        ("staff:김담당", "다음 주에 지급돼요.\nNext week."),
    ]
    row = storage.list_cases()[0]
    assert row.unread_messages == 0 and row.message_count == 2
    entry = list(storage.iter_audit(case.case_number))[-1]
    assert (entry.action, entry.actor) == ("case.message", "staff:김담당")


async def test_a_double_submitted_answer_is_stored_and_sent_once(storage):
    case = add_case(storage)
    user_message(storage, case.case_number, 1)
    inbox = Inbox()
    from bot.staff.review import ReviewService

    async with serve(storage, review=ReviewService(storage, notify=inbox)) as staff:
        await signed_in(staff)
        page = await staff.page(f"/staff/cases/{case.case_number}")
        form = {"text": "확인했어요", "message_id": MESSAGE_ID.search(page).group(1)}
        for _ in range(2):
            response = await staff.post(f"/staff/cases/{case.case_number}/messages", form)
            assert response.status == 303
    assert len(inbox.sent) == 1
    assert [m.text for m in storage.case_messages(case.case_number)][-1] == "확인했어요"
    assert len(storage.case_messages(case.case_number)) == 2


async def test_an_empty_answer_is_refused_and_a_thread_is_marked_done(storage):
    case = add_case(storage)
    user_message(storage, case.case_number, 1, "감사합니다")
    async with serve(storage) as staff:
        await signed_in(staff)
        response = await answer(staff, case.case_number, "   ")
        assert response.status == 303
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert "보낼 내용을 적어 주세요" in page
        assert len(storage.case_messages(case.case_number)) == 1

        response = await staff.post(f"/staff/cases/{case.case_number}/thread-done", {})
        assert response.status == 303
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert "처리 완료로 표시했어요" in page
        row = storage.list_cases()[0]
        assert row.thread_done and row.unread_messages == 0
        assert "답하지 않은 메시지가 있는 접수" not in await staff.page("/staff/")
        audit = [e.action for e in storage.iter_audit(case.case_number)]
        assert audit[-1] == "case.thread_done"


async def test_an_answer_that_could_not_be_delivered_is_kept_and_said(storage):
    case = add_case(storage)
    user_message(storage, case.case_number, 1)

    async def blocked(user_id, replies):
        raise RuntimeError("blocked")

    from bot.staff.review import ReviewService

    async with serve(storage, review=ReviewService(storage, notify=blocked)) as staff:
        await signed_in(staff)
        await answer(staff, case.case_number, "답을 드려요")
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert "이용자에게 알리지 못했어요" in html.unescape(page)
    assert storage.case_messages(case.case_number)[-1].text == "답을 드려요"


async def test_an_answer_to_a_web_chat_reporter_waits_in_their_mailbox_and_says_so(storage):
    """Regression: answering a web chat (mailbox) reporter said "처리는 저장했지만 이용자에게
    웹 채팅 알림을 보내지 못했어요" though the answer waited correctly in their mailbox."""
    from bot.staff.review import ReviewService
    from flows.identity import UserKey

    person = UserKey("web", "vMailboxReporter0001")
    case = add_case(storage, user_id=person)
    user_message(storage, case.case_number, 1)
    async with serve(storage, review=ReviewService(storage, notify=Inbox())) as staff:
        await signed_in(staff)
        await answer(staff, case.case_number, "다음 주에 지급돼요.")
        page = html.unescape(await staff.page(f"/staff/cases/{case.case_number}"))
        assert "보내지 못했어요" not in page
        assert "다음에 대화를 열면 볼 수 있어요" in page
        await staff.page(f"/staff/cases/{case.case_number}?lang=en")
        await answer(staff, case.case_number, "Next week.")
        page = html.unescape(await staff.page(f"/staff/cases/{case.case_number}"))
        assert "could not be told" not in page
        assert "will see it the next time they open the chat" in page
    waiting = storage.undelivered_notices(person)
    assert [n.kind for n in waiting] == ["staff_message", "staff_message"]
