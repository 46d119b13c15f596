"""The intake service against real storage: persist before replying, idempotent submit."""

from __future__ import annotations

import pytest

from bot.intake import IncomingFile, IntakeService
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput, CommandInput, TextInput
from flows.policy import load_policy
from storage import CaseFilter
from storage.memory import MemoryStorage
from storage.tinydb_store import TinyDBStorage


@pytest.fixture(params=["memory", "tinydb"])
def storage(request, tmp_path):
    store = MemoryStorage() if request.param == "memory" else TinyDBStorage(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def service(storage):
    clock = iter(range(1_700_000_000, 1_800_000_000))
    return IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: float(next(clock)))


def press(service, user, value):
    record = service.storage.load_conversation(user)
    return service.handle(user, ChoiceInput(record.state, value))


def run_to_summary(service, user=5):
    service.handle(user, CommandInput("start"))
    for value in ("agree", "small_business", "kakaomap", "yes"):
        press(service, user, value)
    service.handle(user, TextInput("60만원"))
    press(service, user, "yes")
    service.handle(user, TextInput("220-81-62517"))
    press(service, user, "no")
    files = (
        IncomingFile("a.jpg", "image/jpeg", 5, b"aaaaa"),
        IncomingFile("b.pdf", "application/pdf", 3, b"bbb"),
    )
    replies = service.handle(user, files)
    assert "a.jpg, b.pdf" in replies[-1].text
    press(service, user, "done")
    assert service.storage.load_conversation(user).state == "summary"


def test_submission_creates_one_case_with_evidence(service):
    run_to_summary(service)
    replies = press(service, 5, "submit")
    record = service.storage.load_conversation(5)
    assert record.state == "submitted" and record.case_number
    assert record.case_number in replies[-1].text
    case = service.storage.get_case(record.case_number)
    assert (case.tier, case.amount, case.reporter_type) == ("review", 600_000, "small_business")
    assert [e.name for e in case.evidence] == ["a.jpg", "b.pdf"]
    with service.storage.open_evidence(case.evidence[0].sha256) as fh:
        assert fh.read() == b"aaaaa"
    status = service.handle(5, CommandInput("status"))[0].text
    assert record.case_number in status and "협의체 심사" in status and "접수됨" in status


def test_submit_retried_after_a_crash_gives_the_same_case(service):
    """A crash after the case was created but before the conversation was saved."""
    run_to_summary(service)
    draft = service.storage.load_conversation(5)
    press(service, 5, "submit")
    first = service.storage.load_conversation(5).case_number
    service.storage.save_conversation(draft)  # as if the save after create_case never happened
    press(service, 5, "submit")
    assert service.storage.load_conversation(5).case_number == first
    assert len(service.storage.list_cases(CaseFilter(user_id=5))) == 1


def test_declined_consent_leaves_nothing_stored(service):
    service.handle(9, CommandInput("start"))
    press(service, 9, "decline")
    assert service.storage.load_conversation(9) is None


def test_status_without_cases(service):
    assert "아직 접수된 건이 없어요" in service.handle(3, CommandInput("status"))[0].text
