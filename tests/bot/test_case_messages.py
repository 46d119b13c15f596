"""A reporter writes to staff about a submitted case, through the intake (any channel).

Real storages (memory and TinyDB through the ``storage`` fixture); the flow and the
intake service together, as every door uses them.
"""

from __future__ import annotations

import pytest

from bot.intake import MESSAGE_QUESTION, IncomingFile, IntakeService
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput, CommandInput, TextInput
from flows.policy import load_policy
from storage import CaseFilter
from tests.support.users import tg

USER = tg(5)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(storage, clock):
    return IntakeService(IntakeFlow(load_policy()), storage, clock=clock)


def press(service, user, value):
    record = service.storage.load_conversation(user)
    return service.handle_input(user, ChoiceInput(record.state, value))


def submit(service, user=USER, lang="ko"):
    """File a small report (a question, no loss) and return its case number."""
    service.handle(user, CommandInput("start"), language_code=lang)
    for value in ("agree", "general", "kakaomap", "no"):
        press(service, user, value)
    service.handle(user, TextInput("언제 복구되나요?"))
    press(service, user, "submit")
    record = service.storage.load_conversation(user)
    assert record.state == "submitted"
    return record.case_number


def test_typing_after_submitting_sends_it_to_staff(service):
    """Regression: a question after submitting got "this report is finished" and went nowhere."""
    number = submit(service)
    replies = service.handle(USER, TextInput("보상은 언제쯤 받을 수 있나요?"))
    assert "담당자에게 보냈어요" in replies[-1].text and number in replies[-1].text
    assert "이미 끝났어요" not in replies[-1].text
    [sent] = service.storage.case_messages(number)
    assert (sent.sender, sent.text) == ("user", "보상은 언제쯤 받을 수 있나요?")
    assert service.storage.load_conversation(USER).state == "submitted"
    row = service.storage.list_cases(CaseFilter(unread_messages=True))[0]
    assert row.case_number == number and row.unread_messages == 1


def test_with_several_cases_it_asks_which_one(service):
    first = submit(service)
    second = submit(service)
    replies = service.handle(USER, TextInput("사진을 하나 더 보내고 싶어요"))
    asked = replies[-1]
    assert "어느 접수" in asked.text
    data = [b.data for row in asked.buttons for b in row]
    assert f"{MESSAGE_QUESTION}:{first}" in data and f"{MESSAGE_QUESTION}:{second}" in data
    assert service.storage.case_messages(first) == service.storage.case_messages(second) == []

    handled = service.handle_input(USER, ChoiceInput(MESSAGE_QUESTION, first))
    assert handled.choice_taken and first in handled.replies[-1].text
    assert [m.text for m in service.storage.case_messages(first)] == [
        "사진을 하나 더 보내고 싶어요"
    ]
    assert service.storage.case_messages(second) == []
    assert service.storage.load_conversation(USER).state == "submitted"


def test_the_case_can_be_picked_by_typing_its_number_in_the_list(service):
    first = submit(service)
    second = submit(service)
    service.handle(USER, TextInput("확인 부탁드려요"))
    service.handle(USER, TextInput("2"))
    assert [m.text for m in service.storage.case_messages(second)] == ["확인 부탁드려요"]
    assert service.storage.case_messages(first) == []


def test_files_after_submitting_go_with_a_message_under_the_reports_rules(service):
    number = submit(service)
    assert service.takes_files(USER)  # the channel downloads files sent now
    replies = service.handle(USER, (IncomingFile("영수증.jpg", "image/jpeg", 5, b"abcde"),))
    assert "담당자에게 보냈어요" in replies[-1].text
    [sent] = service.storage.case_messages(number)
    assert [f.name for f in sent.files] == ["영수증.jpg"]
    case = service.storage.get_case(number)
    assert sent.files[0] in case.evidence  # the case holds it
    with service.storage.open_evidence(sent.files[0].sha256) as fh:
        assert fh.read() == b"abcde"

    refused = service.handle(
        USER, (IncomingFile("run.exe", "application/x-msdownload", 3, b"MZ!"),)
    )
    assert "run.exe" in refused[-1].text
    assert len(service.storage.case_messages(number)) == 1  # nothing sent for a refused file


def test_status_offers_a_write_to_staff_button_on_each_case(service):
    number = submit(service)
    status = service.handle(USER, CommandInput("status"))[-1]
    assert [b.data for row in status.buttons for b in row] == [f"{MESSAGE_QUESTION}:{number}"]

    opened = service.handle_input(USER, ChoiceInput(MESSAGE_QUESTION, number))
    assert opened.choice_taken and number in opened.replies[-1].text
    assert service.storage.load_conversation(USER).state == "message"
    service.handle(USER, TextInput("서류를 잘못 보냈어요"))
    assert [m.text for m in service.storage.case_messages(number)] == ["서류를 잘못 보냈어요"]
    assert service.storage.load_conversation(USER).state == "submitted"


def test_writing_to_staff_in_the_middle_of_a_new_report_returns_to_it(service):
    number = submit(service)
    service.handle(USER, CommandInput("start"))
    press(service, USER, "agree")
    assert service.storage.load_conversation(USER).state == "reporter_type"
    service.handle(USER, ChoiceInput(MESSAGE_QUESTION, number))
    replies = service.handle(USER, TextInput("앞 건 문의예요"))
    assert service.storage.load_conversation(USER).state == "reporter_type"
    assert "담당자에게 보냈어요" in replies[-1].text
    assert [m.text for m in service.storage.case_messages(number)] == ["앞 건 문의예요"]


def test_cancel_while_writing_sends_nothing(service):
    number = submit(service)
    service.handle(USER, ChoiceInput(MESSAGE_QUESTION, number))
    replies = service.handle(USER, CommandInput("cancel"))
    assert "보내지 않았어요" in replies[-1].text
    assert service.storage.case_messages(number) == []
    assert service.storage.load_conversation(USER).state == "submitted"


def test_a_message_button_of_another_persons_case_is_refused_like_a_forged_one(service):
    """Regression: the button's case number must be the presser's own case."""
    theirs = submit(service, tg(6))
    submit(service)
    handled = service.handle_input(USER, ChoiceInput(MESSAGE_QUESTION, theirs))
    unknown = service.handle_input(USER, ChoiceInput(MESSAGE_QUESTION, "AAA-AAA-AAA"))
    assert not handled.choice_taken
    assert handled.replies[-1].text.replace(theirs, "X") == unknown.replies[-1].text.replace(
        "AAA-AAA-AAA", "X"
    )
    service.handle(USER, TextInput("남의 접수에 쓰기"))
    assert service.storage.case_messages(theirs) == []


def test_messages_are_throttled_per_person_with_a_friendly_refusal(service, clock):
    number = submit(service)
    limit = service.flow.policy.limits.max_messages_per_hour
    for n in range(limit):
        service.handle(USER, TextInput(f"문의 {n}"))
    replies = service.handle(USER, TextInput("하나 더요"))
    assert "조금 뒤에" in replies[-1].text
    assert len(service.storage.case_messages(number)) == limit
    other = submit(service, tg(6))  # somebody else is not held back
    service.handle(tg(6), TextInput("저도 문의해요"))
    assert len(service.storage.case_messages(other)) == 1

    clock.now += 3600
    service.handle(USER, TextInput("한 시간 지났어요"))
    assert service.storage.case_messages(number)[-1].text == "한 시간 지났어요"


def test_the_refusal_and_the_confirmation_speak_english_too(service):
    number = submit(service, lang="en")
    replies = service.handle(USER, TextInput("When will I be paid?"))
    assert "sent it to staff" in replies[-1].text and number in replies[-1].text
    for n in range(service.flow.policy.limits.max_messages_per_hour):
        service.handle(USER, TextInput(f"again {n}"))
    assert "a little later" in service.handle(USER, TextInput("more"))[-1].text


def test_a_redelivered_message_is_kept_once(service):
    """A crash after the message was stored but before the conversation was saved."""
    number = submit(service)
    before = service.storage.load_conversation(USER)
    service.handle(USER, TextInput("한 번만 보내요"), input_id=40)
    service.storage.save_conversation(before)  # as if the save never happened
    service.handle(USER, TextInput("한 번만 보내요"), input_id=40)
    assert [m.text for m in service.storage.case_messages(number)] == ["한 번만 보내요"]


def test_files_written_to_a_case_waiting_for_documents_count_as_the_documents(service):
    """Files sent straight after submitting a review report (without the "send documents"
    button) go to staff as a message; the case waiting for them is then "documents
    received", so nobody is reminded of documents they already sent."""
    from storage import CaseStatus

    service.handle(USER, CommandInput("start"))
    for value in ("agree", "company", "kakao_login", "yes", "skip"):
        press(service, USER, value)
    service.handle(USER, TextInput("300만원"))
    press(service, USER, "yes")
    press(service, USER, "later")
    press(service, USER, "submit")
    number = service.storage.load_conversation(USER).case_number
    assert service.storage.get_case(number).status == CaseStatus.DOCUMENTS_REQUESTED

    service.handle(USER, (IncomingFile("장부.pdf", "application/pdf", 4, b"%PDF"),))
    case = service.storage.get_case(number)
    assert case.status == CaseStatus.DOCUMENTS_RECEIVED
    assert [f.name for f in case.messages[-1].files] == ["장부.pdf"]
    service.handle(USER, TextInput("하나 더 여쭤볼게요"))  # words alone change no status
    assert service.storage.get_case(number).status == CaseStatus.DOCUMENTS_RECEIVED
