"""The intake service against real storage: persist before replying, idempotent submit."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from bot.intake import DAY, LIMITS_LIFTED, REQUEST_ACTION, IncomingFile, IntakeService
from bot.staff.limits import lift_limits
from flows.conversation import IntakeFlow
from flows.identity import UserKey
from flows.limits import Limits
from flows.messages import ChoiceInput, CommandInput, TextInput
from flows.policy import load_policy
from storage import CaseFilter, CaseStatus, EvidenceNotFound
from storage.case_numbers import new_case_number
from tests.support.users import tg

USER = tg(5)


@pytest.fixture
def service(storage):
    clock = iter(range(1_700_000_000, 1_800_000_000))
    return IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: float(next(clock)))


def press(service, user, value):
    record = service.storage.load_conversation(user)
    return service.handle(user, ChoiceInput(record.state, value))


def run_to_summary(service, user=USER):
    service.handle(user, CommandInput("start"))
    for value in ("agree", "small_business", "kakaomap", "yes", "skip"):
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
    replies = press(service, tg(5), "submit")
    record = service.storage.load_conversation(tg(5))
    assert record.state == "submitted" and record.case_number
    assert record.case_number in replies[-1].text
    case = service.storage.get_case(record.case_number)
    assert (case.tier, case.amount, case.reporter_type) == ("review", 600_000, "small_business")
    assert [e.name for e in case.evidence] == ["a.jpg", "b.pdf"]
    with service.storage.open_evidence(case.evidence[0].sha256) as fh:
        assert fh.read() == b"aaaaa"
    status = service.handle(tg(5), CommandInput("status"))[0].text
    assert record.case_number in status and "협의체 심사" in status and "접수됨" in status


def test_submit_retried_after_a_crash_gives_the_same_case(service):
    """A crash after the case was created but before the conversation was saved."""
    run_to_summary(service)
    draft = service.storage.load_conversation(tg(5))
    press(service, tg(5), "submit")
    first = service.storage.load_conversation(tg(5)).case_number
    service.storage.save_conversation(draft)  # as if the save after create_case never happened
    press(service, tg(5), "submit")
    assert service.storage.load_conversation(tg(5)).case_number == first
    assert len(service.storage.list_cases(CaseFilter(user_id=tg(5)))) == 1


def test_declined_consent_leaves_nothing_stored(service):
    service.handle(tg(9), CommandInput("start"))
    press(service, tg(9), "decline")
    assert service.storage.load_conversation(tg(9)) is None


def test_status_without_cases(service):
    assert "아직 접수된 건이 없어요" in service.handle(tg(3), CommandInput("status"))[0].text


def test_redelivered_input_reasks_instead_of_applying_twice(service):
    """Pins: a crash after saving but before replying; the update comes again."""
    service.handle(tg(4), CommandInput("start"), input_id=100)
    service.handle(tg(4), ChoiceInput("consent", "agree"), input_id=101)
    service.handle(tg(4), ChoiceInput("reporter_type", "general"), input_id=102)
    again = service.handle(tg(4), ChoiceInput("reporter_type", "general"), input_id=102)
    record = service.storage.load_conversation(tg(4))
    assert record.state == "service" and record.last_input_id == 102
    assert "어떤 서비스" in again[0].text  # the current question, asked again


def test_a_retried_request_with_an_opaque_id_reasks_and_ids_have_no_order(service):
    """Regression: ``input_id`` could only be an increasing int (a Telegram update id);
    compared with ``<=``, a channel's opaque string ids (a web form's token) were
    ordered as text, so a new request whose token sorted lower was dropped as a
    redelivery. A string id is a redelivery only when it is the last one applied."""
    web = UserKey("web", "s4")
    service.handle(web, CommandInput("start"), input_id="t-mm")
    service.handle(web, ChoiceInput("consent", "agree"), input_id="t-zz")
    again = service.handle(web, ChoiceInput("consent", "agree"), input_id="t-zz")  # a retry
    record = service.storage.load_conversation(web)
    assert record.state == "reporter_type" and record.last_input_id == "t-zz"
    assert again[0].text == service.flow.prompt(record, "web").text  # asked again
    service.handle(web, ChoiceInput("reporter_type", "general"), input_id="t-aa")
    record = service.storage.load_conversation(web)
    assert record.state == "service" and record.last_input_id == "t-aa"
    # Its id survives storage as the string it is (never read back as a number).
    service.handle(web, ChoiceInput("service", "kakaotalk"), input_id="0042")
    assert service.storage.load_conversation(web).last_input_id == "0042"


def test_delete_my_data_drops_the_draft_and_its_files(service):
    run_to_summary(service, user=tg(6))
    record = service.storage.load_conversation(tg(6))
    hashes = [f["sha256"] for f in record.answers["evidence"]]
    ask = service.handle(tg(6), CommandInput("delete_my_data"))[0]
    yes, no = (b.data for row in ask.buttons for b in row)
    assert yes.startswith("delete:yes.") and no == "delete:no"
    assert "아무것도 지우지 않았어요" in service.handle(tg(6), ChoiceInput("delete", "no"))[0].text
    done = service.handle(tg(6), ChoiceInput("delete", yes.split(":", 1)[1]))[0].text
    assert "지웠어요" in done
    assert service.storage.load_conversation(tg(6)) is None
    for digest in hashes:
        with pytest.raises(EvidenceNotFound):
            service.storage.evidence_size(digest)


def test_delete_my_data_after_submitting_records_a_request_for_staff(service):
    run_to_summary(service, user=tg(8))
    press(service, tg(8), "submit")
    number = service.storage.load_conversation(tg(8)).case_number
    ask = service.handle(tg(8), CommandInput("delete_my_data"))[0]
    yes = ask.buttons[0][0].data.split(":", 1)[1]
    text = service.handle(tg(8), ChoiceInput("delete", yes))[0].text
    assert "1건" in text
    actions = [e.action for e in service.storage.iter_audit(number)]
    assert "privacy.deletion_requested" in actions
    assert service.storage.get_case(number) is not None  # staff decide; evidence stays for them


def test_cancelled_draft_keeps_files_another_case_holds(service):
    """Pins: content-addressed files are shared; forgetting a draft must not break a case."""
    run_to_summary(service, user=tg(10))
    press(service, tg(10), "submit")
    run_to_summary(service, user=tg(11))  # the same two files
    service.handle(tg(11), CommandInput("cancel"))
    case = service.storage.get_case(service.storage.load_conversation(tg(10)).case_number)
    assert service.storage.evidence_size(case.evidence[0].sha256) == 5


class NoCaseScans:
    """Wraps a storage and fails any listing of every case (a filter by user is fine)."""

    def __init__(self, storage):
        self._storage = storage

    def __getattr__(self, name):
        return getattr(self._storage, name)

    def list_cases(self, filter=None):
        assert filter is not None and filter.user_id is not None, "listed every case"
        return self._storage.list_cases(filter)


@pytest.mark.parametrize("how", ["cancel", "delete_my_data", "expiry"])
def test_another_users_draft_ending_keeps_files_a_draft_holds(storage, how):
    """Regression: user B sent the same bytes as user C's draft, then /cancel (or
    /delete_my_data, or the draft expired): the shared file was deleted, and C's case
    later pointed at a missing file. Deciding must not list every case either."""
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), NoCaseScans(storage), clock=lambda: now[0])
    run_to_summary(service, user=tg(40))  # C: a.jpg and b.pdf, in a draft
    run_to_summary(service, user=tg(41))  # B: the same two files
    if how == "cancel":
        service.handle(tg(41), CommandInput("cancel"))
    elif how == "delete_my_data":
        yes = service.handle(tg(41), CommandInput("delete_my_data"))[0].buttons[0][0].data
        service.handle(tg(41), ChoiceInput("delete", yes.split(":", 1)[1]))
    else:
        service.storage.save_conversation(
            # C answered just now; only B's draft is old enough to expire.
            dataclasses.replace(
                service.storage.load_conversation(tg(40)), updated_at=now[0] + DAY * 30
            )
        )
        now[0] += DAY * 30
        result = service.sweep(tg(41))
        assert result.action == "expire"
        service.sweep_sent(tg(41), result)
    assert service.storage.load_conversation(tg(41)) is None
    press(service, tg(40), "submit")
    case = service.storage.get_case(service.storage.load_conversation(tg(40)).case_number)
    for ref in case.evidence:
        with service.storage.open_evidence(ref.sha256) as fh:
            assert len(fh.read()) == ref.size


def test_sweep_reminds_once_then_expires(storage):
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    service.handle(tg(12), CommandInput("start"))
    service.handle(tg(12), ChoiceInput("consent", "agree"))
    record = service.storage.load_conversation(tg(12))
    assert service.next_check(record) == record.updated_at + 24 * 3600
    assert service.sweep(tg(12)).replies == []
    now[0] += 25 * 3600
    result = service.sweep(tg(12))
    assert (
        "아직 끝나지 않았어요" in result.replies[0].text
        and "어떤 분이신가요?" in result.replies[0].text
    )
    assert result.replies[0].buttons  # the question's buttons come along
    # Pins: the reminder was recorded before it was sent, so a kill in between lost it.
    assert service.sweep(tg(12)).replies == result.replies  # not recorded until sent
    service.sweep_sent(tg(12), result)
    assert service.sweep(tg(12)).replies == []  # only one reminder
    now[0] += 14 * 24 * 3600
    result = service.sweep(tg(12))
    assert "14일 동안 멈춰 있어서 지웠어요" in result.replies[0].text
    assert service.storage.load_conversation(tg(12)) is not None  # kept until the user is told
    service.sweep_sent(tg(12), result)
    assert service.storage.load_conversation(tg(12)) is None
    assert result.next_check is None


def test_status_by_number_catches_typos_and_hides_other_users_cases(service):
    run_to_summary(service, user=tg(30))
    press(service, tg(30), "submit")
    number = service.storage.load_conversation(tg(30)).case_number
    mine = service.handle(tg(30), CommandInput("status", number.lower().replace("-", " ")))[0].text
    assert number in mine and "협의체 심사" in mine
    typo = number[:-1] + ("A" if number[-1] != "A" else "B")
    assert "다시 확인해 주세요" in service.handle(tg(30), CommandInput("status", typo))[0].text
    others = service.handle(tg(31), CommandInput("status", number))[0].text
    unknown = service.handle(tg(31), CommandInput("status", new_case_number()))[0].text
    assert number not in others
    # A real number that is someone else's looks exactly like a number that does not exist.
    assert others == unknown


def test_a_delete_confirmation_never_asked_or_gone_stale_only_asks_again(service):
    """Pins: a forged or stale 'delete:yes' press deleted the draft without asking."""
    run_to_summary(service, user=tg(33))
    for value in ("yes", "yes.12", "yes.notanumber"):
        reply = service.handle(tg(33), ChoiceInput("delete", value))[0]
        assert "진행할까요?" in reply.text and reply.buttons
    assert service.storage.load_conversation(tg(33)) is not None


def test_starting_over_deletes_the_old_drafts_files(service):
    """Pins: 'start over' replaced a draft with evidence and left its files on disk."""
    run_to_summary(service, user=tg(34))
    hashes = [f["sha256"] for f in service.storage.load_conversation(tg(34)).answers["evidence"]]
    service.handle(tg(34), CommandInput("start"))
    service.handle(tg(34), ChoiceInput("resume", "restart"))
    assert service.storage.load_conversation(tg(34)).state == "consent"
    for digest in hashes:
        with pytest.raises(EvidenceNotFound):
            service.storage.evidence_size(digest)


def test_the_channel_is_told_which_presses_counted(service):
    """The channel shows a pressed button as the choice only when it was taken."""
    run_to_summary(service, user=tg(34))
    # Stale and forged presses, a stale delete confirmation: none counted.
    for choice in (
        ChoiceInput("consent", "agree"),
        ChoiceInput("summary", "no-such-action"),
        ChoiceInput("delete", "yes.12"),
    ):
        assert not service.handle_input(tg(34), choice).choice_taken, choice
    # Submitting counts, though the case it creates replaces the flow's outcome.
    done = service.handle_input(tg(34), ChoiceInput("summary", "submit"), input_id=500)
    assert done.choice_taken and "접수번호" in done.replies[-1].text
    # Its redelivery is answered with the current prompt and is not a new choice.
    again = service.handle_input(tg(34), ChoiceInput("summary", "submit"), input_id=500)
    assert not again.choice_taken
    assert len(service.storage.list_cases(CaseFilter(user_id=tg(34)))) == 1


# -- review documents sent after submitting (issue 10, item 11) ---------------------------------------


def submit_without_documents(service, user):
    service.handle(user, CommandInput("start"))
    for value in ("agree", "small_business", "kakaomap", "yes", "skip"):
        press(service, user, value)
    service.handle(user, TextInput("60만원"))
    press(service, user, "yes")
    service.handle(user, TextInput("220-81-62517"))
    press(service, user, "no")
    press(service, user, "later")
    replies = press(service, user, "submit")
    return service.storage.load_conversation(user).case_number, replies


def test_review_report_without_documents_starts_as_documents_requested(service):
    """Regression: above 500,000 a report could not be submitted without a file."""
    number, replies = submit_without_documents(service, tg(40))
    case = service.storage.get_case(number)
    assert case.status == CaseStatus.DOCUMENTS_REQUESTED and not case.evidence
    requests = [e for e in service.storage.iter_audit(number) if e.action == REQUEST_ACTION]
    assert len(requests) == 1 and requests[0].actor == "system"
    assert "통장 사본" in requests[0].detail["documents"]
    # The submission's message carries the "send documents" button of the staff path.
    (button,) = (b for row in replies[-1].buttons for b in row)
    assert button.data == f"docs:{number}" and "통장 사본" in replies[-1].text
    opened = service.handle(tg(40), ChoiceInput("docs", number))[-1].text
    assert "통장 사본" in opened
    service.handle(tg(40), (IncomingFile("books.pdf", "application/pdf", 4, b"book"),))
    press(service, tg(40), "done")
    case = service.storage.get_case(number)
    assert case.status == CaseStatus.DOCUMENTS_RECEIVED and [e.name for e in case.evidence] == [
        "books.pdf"
    ]


def test_documents_not_sent_in_three_days_are_asked_for_once(storage):
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    number, _ = submit_without_documents(service, tg(41))
    submitted_at = now[0]
    assert service.documents_schedule() == {tg(41): submitted_at + 3 * DAY}
    now[0] += 2 * DAY
    result = service.sweep(tg(41))
    assert result.replies == [] and result.next_check == submitted_at + 3 * DAY
    now[0] = submitted_at + 3 * DAY + 1
    result = service.sweep(tg(41))
    (reply,) = result.replies
    assert number in reply.text and "통장 사본" in reply.text
    assert [b.data for row in reply.buttons for b in row] == [f"docs:{number}"]
    assert service.sweep(tg(41)).replies == result.replies  # not recorded until sent
    service.sweep_sent(tg(41), result)
    assert service.sweep(tg(41)).replies == []  # once
    assert service.documents_schedule() == {}


def test_the_documents_reminder_speaks_the_language_the_user_chose(storage):
    """Regression: the 3-day documents reminder used the case's language, not the one the
    user chose with /lang after reporting; the list of documents stayed Korean too."""
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    number, _ = submit_without_documents(service, tg(44))
    service.handle(tg(44), CommandInput("lang", "en"))
    now[0] += 3 * DAY + 1
    (reply,) = service.sweep(tg(44)).replies
    assert "haven't arrived yet" in reply.text and number in reply.text
    assert "A copy of a bank account" in reply.text and "통장" not in reply.text
    assert [b.label for row in reply.buttons for b in row] == ["Send documents"]
    # Opening the step shows the list in that language too.
    opened = service.handle(tg(44), ChoiceInput("docs", number))[-1].text
    assert "A copy of a bank account" in opened and "통장" not in opened


def test_no_reminder_once_the_documents_came(storage):
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    number, _ = submit_without_documents(service, tg(42))
    service.handle(tg(42), ChoiceInput("docs", number))
    service.handle(tg(42), (IncomingFile("books.pdf", "application/pdf", 4, b"book"),))
    press(service, tg(42), "done")
    now[0] += 4 * DAY
    assert service.sweep(tg(42)).replies == []
    assert service.documents_schedule() == {}


def test_a_downloaded_file_is_taken_over_by_the_store(service, tmp_path):
    """A channel's downloaded file (path + sha256) goes into the store as a file."""
    user = tg(31)
    service.handle(user, CommandInput("start"))
    for value in ("agree", "small_business", "kakaomap", "yes", "skip"):
        assert not service.takes_files(user)
        press(service, user, value)
    service.handle(user, TextInput("60만원"))
    press(service, user, "yes")
    service.handle(user, TextInput("220-81-62517"))
    assert not service.takes_files(user)
    press(service, user, "no")
    assert service.takes_files(user)
    data = b"%PDF-1.4 ledger " * 1000
    folder = service.storage.spool_dir() or tmp_path
    spooled = folder / "download-1.part"
    spooled.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    downloaded = IncomingFile(
        "ledger.pdf", "application/pdf", len(data), path=spooled, sha256=digest
    )
    service.handle(user, (downloaded,))
    assert not spooled.exists()
    [held] = service.storage.load_conversation(user).answers["evidence"]
    assert (held["sha256"], held["size"]) == (digest, len(data))
    with service.storage.open_evidence(digest) as fh:
        assert fh.read() == data
    assert not service.takes_files(tg(999))  # no conversation: nothing is downloaded


def test_the_chosen_language_outlives_cancel_submit_and_expiry(storage):
    """Regression (issue 10, item 16): after /lang English and /cancel the next message was
    Korean; the language lived in the draft only. It is the user's."""
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    service.handle(tg(20), CommandInput("start"), language_code="ko")
    service.handle(tg(20), CommandInput("lang", "en"), language_code="ko")
    service.handle(tg(20), CommandInput("cancel"), language_code="ko")
    assert (
        "Do you agree?" in service.handle(tg(20), TextInput("hello"), language_code="ko")[-1].text
    )
    assert "You have no submitted reports" in service.handle(tg(20), CommandInput("status"))[0].text
    # Expiry forgets the draft, not the language.
    now[0] += 15 * 24 * 3600
    result = service.sweep(tg(20))
    service.sweep_sent(tg(20), result)
    assert service.storage.load_conversation(tg(20)) is None
    assert "Do you agree?" in service.handle(tg(20), CommandInput("start"))[-1].text
    # Chosen back by a button, it sticks again; a restart (a new service) keeps it.
    service.handle(tg(20), ChoiceInput("lang", "ko"))
    service.handle(tg(20), CommandInput("cancel"))
    again = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    assert (
        "동의하시나요?" in again.handle(tg(20), CommandInput("start"), language_code="en")[-1].text
    )


def test_a_language_set_by_the_channel_applies_to_the_draft_in_progress(service):
    """Regression: `chat --lang en` was ignored when a conversation existed."""
    service.handle(tg(21), CommandInput("start"))
    press(service, tg(21), "agree")
    service.set_language(tg(21), "en")
    assert service.current_prompt(tg(21)).text == "Who are you reporting as?"
    service.handle(tg(21), CommandInput("cancel"))
    assert "Do you agree?" in service.handle(tg(21), CommandInput("start"))[-1].text


def test_deleting_my_data_forgets_the_language(service):
    service.handle(tg(22), CommandInput("lang", "en"))
    assert service.storage.load_user_lang(tg(22)) == "en"
    ask = service.handle(tg(22), CommandInput("delete_my_data"))[0]
    yes = ask.buttons[0][0].data.split(":", 1)[1]
    service.handle(tg(22), ChoiceInput("delete", yes))
    assert service.storage.load_user_lang(tg(22)) is None


def test_documents_staff_asked_for_are_not_held_by_the_per_person_bytes(storage):
    """Regression: the per-person evidence cap also refused the documents staff asked
    for (the "send documents" step), so a person at the cap could never send them.
    That step is exempt from the cap; each file's own size and type rules still apply."""
    policy = dataclasses.replace(load_policy(), limits=Limits(max_cases=3, max_evidence_bytes=10))
    service = IntakeService(IntakeFlow(policy), storage)
    number, _ = submit_without_documents(service, tg(53))
    service.handle(tg(53), ChoiceInput("docs", number))
    files = (
        IncomingFile("books.pdf", "application/pdf", 8, b"b" * 8),
        IncomingFile("bank.jpg", "image/jpeg", 8, b"k" * 8),
        IncomingFile("setup.exe", "application/x-msdownload", 8, b"MZ" * 4),
    )
    text = service.handle(tg(53), files)[-1].text
    assert "모두 10B까지" not in text and "setup.exe" in text  # the type rule still holds
    press(service, tg(53), "done")
    case = service.storage.get_case(number)
    assert case.status == CaseStatus.DOCUMENTS_RECEIVED
    assert [e.name for e in case.evidence] == ["books.pdf", "bank.jpg"]


def test_per_person_limits_hold_until_staff_lift_them(storage):
    """Regression: after submitting, a user could start again at once and without end,
    each case holding up to 10 x 20 MB. The policy caps reports and bytes per person;
    staff lift the caps for a person from one of their cases, in the audit log."""
    policy = dataclasses.replace(load_policy(), limits=Limits(max_cases=2, max_evidence_bytes=20))
    clock = iter(range(1_700_000_000, 1_800_000_000))
    service = IntakeService(IntakeFlow(policy), storage, clock=lambda: float(next(clock)))
    for _ in range(2):
        run_to_summary(service, user=tg(50))  # 8 bytes of files each time
        press(service, tg(50), "submit")
    case_number = service.storage.load_conversation(tg(50)).case_number
    assert len(service.storage.list_cases(CaseFilter(user_id=tg(50)))) == 2
    replies = service.handle(tg(50), CommandInput("start"))
    assert "2건" in replies[-1].text and "/status" in replies[-1].text
    assert service.storage.load_conversation(tg(50)).state == "submitted"

    lift_limits(service.storage, case_number, actor="staff:kim", now=1.0, reason="two shops")
    (entry,) = [e for e in service.storage.iter_audit(case_number) if e.action == LIMITS_LIFTED]
    assert entry.actor == "staff:kim" and entry.detail == {
        "user_id": "telegram:50",
        "reason": "two shops",
    }
    run_to_summary(service, user=tg(50))  # a third report, 24 bytes in all: both limits lifted
    press(service, tg(50), "submit")
    assert len(service.storage.list_cases(CaseFilter(user_id=tg(50)))) == 3

    # Another person: the bytes of their submitted case count against their files.
    run_to_summary(service, user=tg(51))
    press(service, tg(51), "submit")
    service.handle(tg(51), CommandInput("start"))  # a second report, up to its files
    for value in ("agree", "small_business", "kakaomap", "yes", "skip"):
        press(service, tg(51), value)
    service.handle(tg(51), TextInput("60만원"))
    press(service, tg(51), "yes")
    service.handle(tg(51), TextInput("220-81-62517"))
    press(service, tg(51), "no")
    files = (
        IncomingFile("c.jpg", "image/jpeg", 8, b"c" * 8),
        IncomingFile("d.pdf", "application/pdf", 8, b"d" * 8),
    )
    text = service.handle(tg(51), files)[-1].text
    assert "d.pdf: 한 분이 보낼 수 있는 파일은 모두 20B까지예요" in text
    assert [f["name"] for f in service.storage.load_conversation(tg(51)).answers["evidence"]] == [
        "c.jpg"
    ]


@pytest.mark.parametrize(
    ("channel", "label"),
    [
        ("telegram", "텔레그램 계정 ID"),
        ("console", "이 컴퓨터에서 나눈 대화 기록"),
        ("webchat", "메신저 계정 ID"),  # no words of its own yet
    ],
)
def test_the_consent_names_the_account_of_the_users_channel(storage, channel, label):
    """Regression: the consent told every person, whatever their door, that their
    "텔레그램 계정 ID" is collected; then its words came from the service's one
    ``channel`` setting, so a service behind more than one door (the one server is
    meant to hold every door) would name one door's account to everybody. They now
    come from the person's own key (a channel with no words of its own gets neutral
    ones)."""
    now = [1_700_000_000.0]
    service = IntakeService(IntakeFlow(load_policy()), storage, clock=lambda: now[0])
    user, other = UserKey(channel, "70"), UserKey(channel, "71")
    (consent,) = service.handle(user, CommandInput("start"))
    assert f"• 항목: {label}, 이용자 유형" in consent.text
    assert f"• 저장하는 정보: {label}," in service.handle(user, CommandInput("privacy"))[0].text
    assert f"• 저장하는 정보: {label}," in service.handle(other, CommandInput("privacy"))[0].text
    assert label in service.current_prompt(user).text
    now[0] += DAY + 1  # the reminder asks the consent again, in the same words
    assert f"• 항목: {label}," in service.sweep(user).replies[0].text
    assert "텔레그램" not in consent.text or channel == "telegram"
    # The same service answers a person of another door in that door's words.
    (console,) = service.handle(UserKey("console", "9"), CommandInput("start"))
    assert "• 항목: 이 컴퓨터에서 나눈 대화 기록," in console.text


def test_handled_carries_the_conversation_as_saved(service, storage):
    """A door that shows the next question (the web chat) gets the conversation as this
    input wrote it, instead of reading it back from the store after every step."""
    handled = service.handle_input(tg(77), CommandInput("start"), input_id=1)
    assert handled.saved and handled.record == storage.load_conversation(tg(77))
    assert handled.record.last_input_id == 1
    again = service.handle_input(tg(77), CommandInput("start"), input_id=1)  # redelivered
    assert not again.saved and again.record is None  # nothing written: read it if needed
