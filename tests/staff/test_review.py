"""The review workflow: allowed transitions, audit entries, and the user told in their chat."""

from __future__ import annotations

import pytest

from bot.intake import IncomingFile, IntakeService
from bot.staff.review import ReviewService, pending_notice
from flows.conversation import IntakeFlow
from flows.identity import UserKey
from flows.messages import ChoiceInput, CommandInput, TextInput
from flows.policy import load_policy
from flows.review import (
    ReviewError,
    ReviewInputError,
    allowed_actions,
    build_review_machine,
    next_status,
)
from storage import AuditEntry, CaseNotFound, CaseStatus, EvidenceNotFound
from tests.support.users import tg

USER = tg(21)


class Inbox:
    """Collects what the bot would send to each user."""

    def __init__(self) -> None:
        self.sent: dict[int, list] = {}

    async def __call__(self, user_id, replies) -> None:
        self.sent.setdefault(user_id, []).extend(replies)


@pytest.fixture
def intake(storage):
    return IntakeService(IntakeFlow(load_policy()), storage)


def submit_review_case(intake: IntakeService, user: UserKey = USER, lang: str = "ko") -> str:
    """A small business above 500,000 KRW: the review tier."""
    intake.handle(user, CommandInput("start"), language_code=lang)
    for value in ("agree", "small_business", "kakaomap", "yes", "skip"):
        intake.handle(user, ChoiceInput(intake.storage.load_conversation(user).state, value))
    intake.handle(user, TextInput("80만원"))
    intake.handle(user, ChoiceInput("amount_confirm", "yes"))
    intake.handle(user, TextInput("220-81-62517"))
    intake.handle(user, ChoiceInput("channel", "no"))
    intake.handle(user, (IncomingFile("장부.pdf", "application/pdf", 4, b"book"),))
    intake.handle(user, ChoiceInput("evidence", "done"))
    intake.handle(user, ChoiceInput("summary", "submit"))
    return intake.storage.load_conversation(user).case_number


def test_review_table():
    machine = build_review_machine()
    assert allowed_actions(machine, "submitted") == ["request_documents", "approve", "reject"]
    # Regression: approve disappeared while documents were requested.
    assert allowed_actions(machine, "documents_requested") == [
        "request_documents",
        "approve",
        "reject",
    ]
    assert allowed_actions(machine, "approved") == ["correct_amount", "pay"]
    assert next_status(machine, "approved", "correct_amount") == "approved"
    assert allowed_actions(machine, "paid") == []
    assert next_status(machine, "documents_received", "approve") == "approved"
    with pytest.raises(ReviewError, match="cannot pay a case that is submitted"):
        next_status(machine, "submitted", "pay")


async def test_documents_requested_then_sent_then_approved_and_paid(intake, storage):
    number = submit_review_case(intake)
    inbox = Inbox()
    review = ReviewService(storage, notify=inbox)
    await review.request_documents(
        number, staff="staff:9", documents="통장 사본, 매출 장부", note="이번 달 안에요"
    )
    told = inbox.sent[tg(21)][-1]
    assert (
        "통장 사본, 매출 장부" in told.text
        and number in told.text
        and "이번 달 안에요" in told.text
    )
    (button,) = told.buttons[0]
    assert button.data == f"docs:{number}" and button.label == "서류 보내기"
    assert storage.get_case(number).status == CaseStatus.DOCUMENTS_REQUESTED

    # The user presses the button, sends a file, and says done.
    # Both presses count, so the channel shows them as the choice.
    pressed = intake.handle_input(tg(21), ChoiceInput("docs", number))
    opened = pressed.replies[-1].text
    assert number in opened and "통장 사본, 매출 장부" in opened and pressed.choice_taken
    intake.handle(tg(21), (IncomingFile("통장.jpg", "image/jpeg", 5, b"bank!"),))
    pressed = intake.handle_input(tg(21), ChoiceInput("supplement", "done"))
    done = pressed.replies[-1].text
    assert f"보완 서류 1개를 접수번호 {number}에 붙였어요" in done and pressed.choice_taken
    case = storage.get_case(number)
    assert case.status == CaseStatus.DOCUMENTS_RECEIVED
    assert [e.name for e in case.evidence] == ["장부.pdf", "통장.jpg"]

    await review.approve(number, staff="staff:9", final_amount=120_000, note="증빙 확인")
    assert "120,000원" in inbox.sent[tg(21)][-1].text
    await review.mark_paid(number, staff="staff:9")
    assert "120,000원을 보내 드렸어요" in inbox.sent[tg(21)][-1].text
    case = storage.get_case(number)
    assert (case.status, case.final_amount) == (CaseStatus.PAID, 120_000)

    entries = list(storage.iter_audit(number))
    actions = [e.action for e in entries]
    for action in ("review.documents_requested", "review.approved", "review.paid"):
        assert action in actions
    staff_entries = [e for e in entries if e.actor == "staff:9"]
    assert all(e.at > 0 for e in staff_entries)
    assert any(e.actor == "user:telegram:21" for e in entries if e.action == "case.updated")


async def test_rejection_is_told_in_the_users_language(intake, storage):
    number = submit_review_case(intake, user=tg(22), lang="en")
    inbox = Inbox()
    review = ReviewService(storage, notify=inbox)
    await review.reject(number, staff="staff:9", reason="No proof of lost sales")
    assert (
        "not eligible" in inbox.sent[tg(22)][-1].text
        and "No proof of lost sales" in inbox.sent[tg(22)][-1].text
    )
    with pytest.raises(ReviewError):
        await review.approve(number, staff="staff:9", final_amount=1)
    with pytest.raises(ReviewError):
        await review.reject(number, staff="staff:9", reason="  ")
    with pytest.raises(CaseNotFound):
        await review.approve("NOPE", staff="staff:9", final_amount=1)


async def test_rejection_points_to_writing_to_staff_and_the_policys_contact(intake, storage):
    """Regression: the rejection could only send people elsewhere (the chat answered a
    question with "this report is finished"); it now carries an "ask staff" button that
    writes to staff about the case, and still the policy's contact line."""
    policy = load_policy()
    for user, lang, words in ((tg(31), "ko", "담당자에게 문의"), (tg(32), "en", "Ask staff")):
        number = submit_review_case(intake, user=user, lang=lang)
        inbox = Inbox()
        review = ReviewService(storage, notify=inbox, contact=policy.contact)
        await review.reject(number, staff="staff:9", reason="매출 감소 자료 없음")
        notice = inbox.sent[user][-1]
        assert words in notice.text
        assert policy.contact(lang) in notice.text and "1577-3754" in notice.text
        [[button]] = notice.buttons
        assert (button.label, button.data) == (words, f"msg:{number}")
        intake.handle(user, ChoiceInput("msg", number))  # the person presses it and writes
        intake.handle(user, TextInput("어떤 자료가 더 필요한가요?"))
        assert storage.case_messages(number)[-1].text == "어떤 자료가 더 필요한가요?"
    # Without a contact in the policy the message ends with the way to ask staff.
    number = submit_review_case(intake, user=tg(33))
    inbox = Inbox()
    await ReviewService(storage, notify=inbox).reject(number, staff="staff:9", reason="사유")
    assert inbox.sent[tg(33)][-1].text.endswith("여기로 답해 드릴게요.")


async def test_a_document_request_also_offers_to_ask_staff(intake, storage):
    number = submit_review_case(intake, user=tg(34))
    inbox = Inbox()
    review = ReviewService(storage, notify=inbox)
    await review.request_documents(number, staff="staff:9", documents="통장 사본")
    notice = inbox.sent[tg(34)][-1]
    assert "담당자에게 문의" in notice.text
    assert [[b.data for b in row] for row in notice.buttons] == [
        [f"docs:{number}"],
        [f"msg:{number}"],
    ]


async def test_documents_button_of_someone_else_or_a_closed_case_does_nothing(intake, storage):
    number = submit_review_case(intake, user=tg(23))
    assert (
        "서류를 받지 않아요" in intake.handle(tg(23), ChoiceInput("docs", number))[-1].text
    )  # not requested
    review = ReviewService(storage, notify=Inbox())
    await review.request_documents(number, staff="staff:9", documents="영수증")
    intake.handle(tg(24), CommandInput("start"))
    refused = intake.handle_input(tg(24), ChoiceInput("docs", number))
    assert "서류를 받지 않아요" in refused.replies[-1].text  # not theirs
    assert not refused.choice_taken
    assert storage.get_case(number).status == CaseStatus.DOCUMENTS_REQUESTED


async def test_a_blocked_user_is_recorded_not_told(intake, storage):
    number = submit_review_case(intake, user=tg(25))

    async def blocked(user_id, replies):
        raise PermissionError("blocked")

    review = ReviewService(storage, notify=blocked)
    await review.approve(number, staff="staff:9", final_amount=30_000)
    assert storage.get_case(number).status == CaseStatus.APPROVED
    assert "review.notify_failed" in [e.action for e in storage.iter_audit(number)]


async def test_an_abandoned_document_upload_leaves_no_files(intake, storage):
    """Pins: files sent in the supplement step stayed on disk after /cancel there."""
    number = submit_review_case(intake, user=tg(26))
    await ReviewService(storage, notify=Inbox()).request_documents(
        number, staff="staff:9", documents="통장"
    )
    intake.handle(tg(26), ChoiceInput("docs", number))
    intake.handle(tg(26), (IncomingFile("통장.jpg", "image/jpeg", 6, b"bank26"),))
    digest = storage.load_conversation(tg(26)).answers["_supplement"]["files"][0]["sha256"]
    assert storage.evidence_size(digest) == 6
    intake.handle(tg(26), CommandInput("cancel"))
    with pytest.raises(EvidenceNotFound):
        storage.evidence_size(digest)
    assert storage.get_case(number).status == CaseStatus.DOCUMENTS_REQUESTED


def test_files_left_out_of_a_submission_are_deleted(intake, storage):
    """Pins: evidence uploaded, then the loss edited to 'no': the files stayed orphaned."""
    intake.handle(tg(27), CommandInput("start"))
    for value in ("agree", "general", "kakaomap", "yes", "skip"):
        intake.handle(tg(27), ChoiceInput(storage.load_conversation(tg(27)).state, value))
    intake.handle(tg(27), TextInput("5만원"))
    intake.handle(tg(27), ChoiceInput("amount_confirm", "yes"))
    intake.handle(tg(27), (IncomingFile("r.jpg", "image/jpeg", 6, b"left27"),))
    digest = storage.load_conversation(tg(27)).answers["evidence"][0]["sha256"]
    intake.handle(tg(27), ChoiceInput("evidence", "done"))
    intake.handle(tg(27), ChoiceInput("summary", "edit"))
    intake.handle(tg(27), ChoiceInput("edit_menu", "monetary"))
    intake.handle(tg(27), ChoiceInput("monetary", "no"))
    intake.handle(tg(27), TextInput("문의만 남길게요"))
    intake.handle(tg(27), ChoiceInput("summary", "submit"))
    case = storage.get_case(storage.load_conversation(tg(27)).case_number)
    assert case.evidence == [] and not case.monetary
    with pytest.raises(EvidenceNotFound):
        storage.evidence_size(digest)


def test_submitted_files_stay(intake, storage):
    number = submit_review_case(intake, user=tg(28))
    case = storage.get_case(number)
    assert storage.evidence_size(case.evidence[0].sha256) == 4


async def test_the_previewed_notice_is_the_notice_sent(intake, storage):
    """Regression: review actions went out at one click; staff now see the message first."""
    number = submit_review_case(intake, user=tg(27), lang="en")
    inbox = Inbox()
    review = ReviewService(storage, notify=inbox)
    shown = await review.preview(number, "request_documents", documents="Bank book", note="Soon")
    assert inbox.sent == {} and storage.get_case(number).status == CaseStatus.SUBMITTED
    await review.request_documents(number, staff="staff:9", documents="Bank book", note="Soon")
    assert inbox.sent[tg(27)] == shown and "Bank book" in shown[0].text
    assert shown[0].buttons[0][0].label == "Send documents"
    # Approve or reject stay possible while the documents are awaited.
    shown = await review.preview(number, "approve", final_amount=30_000, note="")
    assert "KRW 30,000" in shown[0].text
    await review.approve(number, staff="staff:9", final_amount=30_000)
    assert inbox.sent[tg(27)][-1:] == shown
    with pytest.raises(ReviewError):
        await review.preview(number, "reject", reason="late")
    with pytest.raises(ReviewInputError):
        await review.preview(number, "correct_amount", final_amount=30_000, reason="typo")


async def test_final_amount_is_corrected_with_a_reason_before_paid(intake, storage):
    """Regression: an approved amount could not be corrected; only "paid" followed."""
    number = submit_review_case(intake, user=tg(28))
    inbox = Inbox()
    review = ReviewService(storage, notify=inbox)
    await review.approve(number, staff="staff:9", final_amount=30_000)
    with pytest.raises(ReviewInputError):
        await review.correct_amount(number, staff="staff:9", final_amount=50_000, reason=" ")
    case = await review.correct_amount(
        number, staff="staff:7", final_amount=50_000, reason="채널 캐시 포함"
    )
    assert (case.status, case.final_amount) == (CaseStatus.APPROVED, 50_000)
    told = inbox.sent[tg(28)][-1].text
    assert "50,000원" in told and "채널 캐시 포함" in told
    entry = next(e for e in storage.iter_audit(number) if e.action == "review.amount_corrected")
    assert entry.actor == "staff:7"
    assert entry.detail["final_amount"] == 50_000 and entry.detail["previous"] == 30_000
    assert entry.detail["reason"] == "채널 캐시 포함"
    await review.mark_paid(number, staff="staff:9")
    assert "50,000원을 보내 드렸어요" in inbox.sent[tg(28)][-1].text
    with pytest.raises(ReviewError):
        await review.correct_amount(number, staff="staff:9", final_amount=1, reason="x")


async def test_a_notice_that_failed_can_be_sent_again(intake, storage):
    """Regression: "saved, but the user could not be told" had no way to tell them later."""
    number = submit_review_case(intake, user=tg(29))

    async def blocked(user_id, replies):
        raise PermissionError("blocked")

    await ReviewService(storage, notify=blocked).reject(number, staff="staff:9", reason="중복")
    (failed,) = [e for e in storage.iter_audit(number) if e.action == "review.notify_failed"]
    assert failed.detail["error"] == "PermissionError" and failed.detail["notice_id"]
    (pending,) = await ReviewService(storage).undelivered(number)  # kept, to be retried
    assert "중복" in pending.replies[0]["text"] and pending.attempts == 1

    still_blocked = ReviewService(storage, notify=blocked)
    assert await still_blocked.resend(number, staff="staff:9") is False
    assert (await still_blocked.undelivered(number))[0].attempts == 2

    inbox = Inbox()
    assert await ReviewService(storage, notify=inbox).resend(number, staff="staff:8") is True
    assert [r.text for r in inbox.sent[tg(29)]] == [pending.replies[0]["text"]]
    assert await ReviewService(storage).undelivered(number) == []
    resent = [e for e in storage.iter_audit(number) if e.action == "review.notice_resent"]
    assert [e.actor for e in resent] == ["staff:8"]
    assert resent[0].detail["notices"] == [pending.notice_id]
    with pytest.raises(ReviewInputError):
        await ReviewService(storage, notify=inbox).resend(number, staff="staff:8")


async def test_a_message_that_failed_before_notices_were_kept_can_still_be_sent(intake, storage):
    """An upgraded data directory: a failure audited with its text only (no notice) is
    still shown as pending and sent again (as a notice) by "send again"."""
    number = submit_review_case(intake, user=tg(31))
    storage.append_audit(
        AuditEntry(
            at=1.0,
            actor="system",
            action="review.notify_failed",
            case_number=number,
            detail={"error": "Forbidden", "notice": [{"text": "예전 알림", "buttons": []}]},
        )
    )
    assert [r.text for r in pending_notice(storage.iter_audit(number))] == ["예전 알림"]
    inbox = Inbox()
    assert await ReviewService(storage, notify=inbox).resend(number, staff="staff:8") is True
    assert [r.text for r in inbox.sent[tg(31)]] == ["예전 알림"]
    assert pending_notice(storage.iter_audit(number)) is None


async def test_a_console_users_decision_waits_in_their_mailbox_and_is_shown_once(intake, storage):
    """Regression: review news went to a Telegram-only notifier, so a console user's
    decision failed as "not told" and never reached them."""
    user = UserKey("console", "1")
    number = submit_review_case(intake, user=user)
    review = ReviewService(storage, notices=intake.notices)
    await review.approve(number, staff="staff:9", final_amount=30_000)
    actions = [e.action for e in storage.iter_audit(number)]
    assert "review.notify_failed" not in actions  # waiting is not failing
    replies = intake.handle(user, CommandInput("status"))
    assert replies[0].text == "읽지 않은 알림이 1개 있어요."
    assert "지원이 확정됐어요" in replies[1].text and number in replies[1].text
    again = intake.handle(user, CommandInput("status"))
    assert len(again) == 1 and "읽지 않은" not in again[0].text


async def test_news_of_a_case_follows_the_language_the_user_chose_after_submitting(intake, storage):
    """Regression (issue 10, item 16): the language is the user's, not the draft's; a user
    who submitted in Korean and then chose English was told the result in Korean."""
    number = submit_review_case(intake, user=tg(28), lang="ko")
    intake.handle(tg(28), CommandInput("lang", "en"))
    inbox = Inbox()
    await ReviewService(storage, notify=inbox).reject(
        number, staff="staff:9", reason="No proof of lost sales"
    )
    assert "not eligible" in inbox.sent[tg(28)][-1].text
