"""Every path of the intake conversation, through the pure flow."""

from __future__ import annotations

import pytest

from flows.messages import ChoiceInput, CommandInput, TextInput, UnsupportedInput, parse_callback
from tests.support.users import tg


def start_as(talk, reporter_type: str, service: str = "kakaomap") -> None:
    talk.command("start")
    assert talk.state == "consent"
    talk.press("agree")
    assert talk.state == "reporter_type"
    talk.press(reporter_type)
    assert talk.state == "service"
    talk.press(service)


def report_amount(talk, amount: str) -> None:
    if talk.state == "description":  # what happened: optional on the money path
        talk.press("skip")
    assert talk.state == "amount"
    talk.say(amount)
    assert talk.state == "amount_confirm"
    talk.press("yes")


def small_business_report(talk, amount: str, *, channel: bool = True) -> None:
    start_as(talk, "small_business", "kakaomap")
    talk.press("yes")  # monetary loss
    assert talk.state == "description"
    talk.press("skip")
    report_amount(talk, amount)
    assert talk.state == "business_number"
    talk.say("220-81-62517")
    assert talk.state == "channel"
    talk.press("yes" if channel else "no")
    assert talk.state == "evidence"


# -- whole paths ------------------------------------------------------------------------------


def test_small_business_full_report_gets_tier_and_case_number(talk, receipt):
    small_business_report(talk, "35만 원")
    assert "채널 메시지 캐시 5만 원도 함께 지원돼요" in talk.text
    talk.files(receipt(1), receipt(2))
    assert "receipt1.jpg, receipt2.jpg" in talk.text
    talk.press("done")
    assert talk.state == "summary"
    assert "350,000원" in talk.text and "현금 50,000원" in talk.text and "220-81-62517" in talk.text
    talk.press("submit")
    assert talk.state == "submitted"
    assert "접수번호: CASE1" in talk.text
    sub = talk.submitted[0].submission
    assert (sub.reporter_type, sub.service, sub.paid, sub.monetary) == (
        "small_business",
        "kakaomap",
        False,
        True,
    )
    assert (sub.amount, sub.tier, sub.tentative_support, sub.channel_cash) == (
        350_000,
        "cash_50k",
        50_000,
        True,
    )
    assert [f.name for f in sub.evidence] == ["receipt1.jpg", "receipt2.jpg"]
    assert talk.record.answers == {}  # nothing personal kept in the finished conversation


def test_tier_is_shown_right_after_the_amount_is_confirmed(talk):
    start_as(talk, "small_business")
    talk.press("yes")
    talk.press("skip")  # what happened: optional
    talk.say("300000")
    assert talk.text.startswith("300,000원 맞으신가요?")
    talk.press("yes")
    assert "현금 3만 원 지원 대상" in talk.text
    assert "이모티콘 3종" in talk.text  # the package every user gets
    assert "T맵" in talk.text  # KakaoMap had substitutes
    assert talk.state == "business_number"


@pytest.mark.parametrize(
    ("amount", "tier"),
    [
        ("299,999원", "cash_30k"),
        ("300,000원", "cash_30k"),
        ("300,001원", "cash_50k"),
        ("500,000원", "cash_50k"),
        ("500,001원", "review"),
        ("1억 2천만원", "review"),
    ],
)
def test_small_business_brackets_on_both_sides_of_each_boundary(talk, receipt, amount, tier):
    small_business_report(talk, amount, channel=False)
    if tier == "review":
        talk.files(receipt())
    talk.press("done")
    talk.press("submit")
    assert talk.submitted[0].submission.tier == tier


def test_general_user_free_service_gets_the_package(talk):
    start_as(talk, "general", "kakaomap")
    assert talk.state == "monetary"  # KakaoMap is free only: no paid question
    talk.press("yes")
    report_amount(talk, "5만원")
    assert "모든 이용자 지원 패키지" in talk.text
    assert talk.state == "evidence"  # general users skip the business questions
    talk.press("skip")
    talk.press("submit")
    sub = talk.submitted[0].submission
    assert (sub.tier, sub.business_number, sub.channel_cash) == ("general_package", None, False)


def test_company_above_500k_needs_review_and_evidence(talk, receipt):
    start_as(talk, "company", "kakao_login")
    talk.press("yes")
    report_amount(talk, "2,000만원")
    assert "협의체" in talk.text
    assert talk.state == "evidence"
    assert "통장 사본" in talk.text  # the documents the review needs are listed
    talk.files(receipt())
    talk.press("done")
    talk.press("submit")
    assert talk.submitted[0].submission.tier == "company_review"


def test_paid_service_is_under_its_terms(talk):
    start_as(talk, "general", "kakaotalk")
    assert talk.state == "paid"
    talk.press("paid")
    talk.press("yes")
    report_amount(talk, "9,900원")
    assert "약관에 따라" in talk.text
    talk.press("skip")
    talk.press("submit")
    assert talk.submitted[0].submission.tier == "paid_terms"


def test_paid_only_service_skips_the_paid_question(talk):
    start_as(talk, "general", "gifts")
    assert talk.state == "monetary"
    assert talk.answers["paid"] is True


def test_non_monetary_report_takes_the_short_path(talk):
    start_as(talk, "general", "daum")
    talk.press("no")
    assert talk.state == "description"
    talk.say("메일이 언제 복구되나요?")
    assert talk.state == "summary"
    assert "메일이 언제 복구되나요?" in talk.text
    talk.press("submit")
    sub = talk.submitted[0].submission
    assert (sub.monetary, sub.amount, sub.tier) == (False, None, "non_monetary")
    assert sub.description == "메일이 언제 복구되나요?"


def test_other_service_asks_for_its_name(talk):
    start_as(talk, "general", "other")
    assert talk.state == "service_other"
    talk.say("카카오웹툰")
    assert talk.state == "paid"
    talk.press("free")
    talk.press("no")
    talk.say("의견이에요")
    talk.press("submit")
    assert talk.submitted[0].submission.service_other == "카카오웹툰"


def test_declining_consent_ends_and_stores_nothing(talk):
    talk.command("start")
    talk.press("decline")
    assert talk.record is None
    assert "아무 정보도 저장하지 않았어요" in talk.text


def test_english_follows_the_client_language(make_talk):
    talk = make_talk(lang="en-US")
    talk.command("start")
    assert "Do you agree?" in talk.text
    talk.press("agree")
    assert talk.text == "Who are you reporting as?"


# -- back, edit, cancel, start over ---------------------------------------------------------------


def test_back_returns_to_previous_question_keeping_the_answer(talk):
    start_as(talk, "small_business", "kakaomap")
    talk.press("yes")
    talk.say("장사를 못 했어요")
    talk.say("35만")
    talk.command("back")
    assert talk.state == "amount"
    assert "지금 답: 350,000원" in talk.text
    talk.command("back")
    assert talk.state == "description"
    assert "지금 답: 장사를 못 했어요" in talk.text
    talk.command("back")
    assert talk.state == "monetary"
    talk.command("back")
    assert talk.state == "service"
    assert talk.answers["amount"] == 350_000  # earlier answers are kept


def test_back_at_first_question_says_so(talk):
    talk.command("start")
    talk.command("back")
    assert talk.state == "consent"
    assert "첫 질문" in talk.text


def test_back_then_answer_skips_questions_already_answered(talk):
    small_business_report(talk, "20만")
    talk.command("back")
    talk.command("back")
    assert talk.state == "business_number"
    talk.say("2208162517")
    assert talk.state == "evidence"  # channel was answered before: not asked again


def test_edit_from_summary_comes_straight_back(talk):
    small_business_report(talk, "20만")
    talk.press("skip")
    assert talk.state == "summary"
    talk.press("edit")
    assert talk.state == "edit_menu"
    assert "amount" in talk.button_values()
    talk.press("amount")
    talk.say("45만원")
    talk.press("yes")
    assert "현금 5만 원 지원 대상" in talk.text
    assert talk.state == "summary"
    assert "450,000원" in talk.text


def test_edit_that_raises_the_tier_to_review_asks_for_evidence(talk, receipt):
    small_business_report(talk, "20만")
    talk.press("skip")
    talk.press("edit")
    talk.press("amount")
    talk.say("300만원")
    talk.press("yes")
    assert talk.state == "evidence"
    talk.files(receipt())
    talk.press("done")
    assert talk.state == "summary"


def test_edit_reporter_type_to_small_business_asks_the_new_questions(talk):
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    report_amount(talk, "10만")
    talk.press("skip")
    talk.press("edit")
    talk.press("reporter_type")
    talk.press("small_business")
    assert talk.state == "business_number"
    talk.say("220-81-62517")
    talk.press("no")
    assert talk.state == "summary"


def test_edit_menu_back_returns_to_summary(talk):
    start_as(talk, "general", "daum")
    talk.press("no")
    talk.say("질문")
    talk.press("edit")
    talk.press("summary")
    assert talk.state == "summary"
    talk.press("edit")
    talk.command("back")
    assert talk.state == "summary"


def test_cancel_forgets_the_draft(talk):
    start_as(talk, "general")
    talk.command("cancel")
    assert talk.record is None
    assert "지웠어요" in talk.text


def test_cancel_from_summary_button(talk):
    start_as(talk, "general", "daum")
    talk.press("no")
    talk.say("질문")
    talk.press("cancel")
    assert talk.record is None


def test_start_over_a_draft_asks_continue_or_restart(talk):
    start_as(talk, "general", "kakaomap")
    talk.command("start")
    assert talk.state == "resume"
    talk.press("continue")
    assert talk.state == "monetary"
    talk.command("start")
    talk.press("restart")
    assert talk.state == "consent"
    assert talk.answers == {}


def test_start_after_submitting_begins_a_new_report(talk):
    start_as(talk, "general", "daum")
    talk.press("no")
    talk.say("질문")
    talk.press("submit")
    first_draft = talk.record.draft_id
    talk.say("hello?")  # goes to staff about the case (tests/bot/test_case_messages.py)
    assert talk.outcome.staff_message.case_number == "CASE1" and "CASE1" in talk.text
    talk.command("start")
    assert talk.state == "consent" and talk.record.draft_id != first_draft


def test_deep_link_preselects_small_business(talk):
    talk.command("start", "sb")
    talk.press("agree")
    assert talk.state == "service"
    assert talk.answers["reporter_type"] == "small_business"


def test_language_switch_keeps_the_question(talk):
    start_as(talk, "general", "kakaomap")
    talk.command("lang", "en")
    assert talk.record.lang == "en"
    assert "Did the outage cost you money" in talk.text
    assert talk.state == "monetary"
    talk.command("lang")
    assert talk.button_values() == ["ko", "en"]
    talk.send(ChoiceInput("lang", "ko"))
    assert "금전 피해" in talk.text


# -- invalid input at every step -------------------------------------------------------------------

CHOICE_STEPS = {
    "consent": lambda t: t.command("start"),
    "reporter_type": lambda t: (t.command("start"), t.press("agree")),
    "service": lambda t: (t.command("start"), t.press("agree"), t.press("general")),
    "paid": lambda t: start_as(t, "general", "kakaotalk"),
    "monetary": lambda t: start_as(t, "general", "kakaomap"),
    "amount_confirm": lambda t: (
        start_as(t, "general", "kakaomap"),
        t.press("yes"),
        t.press("skip"),
        t.say("1만"),
    ),
    "channel": lambda t: (small_business_report(t, "1만"), t.command("back")),
    "evidence": lambda t: small_business_report(t, "1만"),
    "summary": lambda t: (small_business_report(t, "1만"), t.press("skip")),
}


@pytest.mark.parametrize("step", sorted(CHOICE_STEPS))
@pytest.mark.parametrize(
    "bad",
    [
        TextInput("뭐라고요?"),
        TextInput("   "),
        TextInput("\x00\x07"),
        UnsupportedInput("sticker"),
        ChoiceInput("reporter_type_x", "forged"),
        CommandInput("nonsense"),
    ],
    ids=["text", "blank", "control", "sticker", "forged", "command"],
)
def test_invalid_input_reasks_the_same_question_and_keeps_answers(make_talk, step, bad):
    talk = make_talk()
    CHOICE_STEPS[step](talk)
    assert talk.state == step
    before = dict(talk.answers)
    talk.send(bad)
    assert talk.state == step
    assert talk.answers == before
    assert talk.replies and talk.replies[-1].buttons  # asked again, with its buttons


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "금액을 숫자로"),
        ("모르겠어요", "금액을 찾지 못했어요"),
        ("0원", "0원은"),
        ("-5만원", "0원보다 커야"),
        ("30~50만", "범위"),
        ("30만원 50만원", "여러 개"),
        ("300000.5", "소수점"),
        ("9999억", "다시 확인"),
    ],
)
def test_bad_amounts_get_a_specific_hint(talk, text, hint):
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    talk.say(text)
    assert talk.state == "amount"
    assert hint in talk.text
    assert talk.answers["monetary"] is True


@pytest.mark.parametrize(
    ("text", "hint"),
    [("12345", "10자리"), ("220-81-62518", "맞지 않아요"), ("000-00-00000", "쓸 수 없는 번호")],
)
def test_bad_business_numbers_get_a_specific_hint(talk, text, hint):
    start_as(talk, "small_business", "kakaomap")
    talk.press("yes")
    report_amount(talk, "10만")
    talk.say(text)
    assert talk.state == "business_number"
    assert hint in talk.text


def test_free_text_limits(talk):
    start_as(talk, "general", "daum")
    talk.press("no")
    talk.say("가" * 1001)
    assert talk.state == "description" and "1000자까지" in talk.text
    talk.say("  \u202e가나다\u202c  ")
    assert talk.answers["description"] == "가나다"


def test_stale_button_is_refused_politely(talk):
    start_as(talk, "general", "kakaomap")
    talk.send(ChoiceInput("reporter_type", "company"))
    assert "이미 지나간 질문" in talk.text
    assert talk.answers["reporter_type"] == "general"
    assert talk.state == "monetary"


def test_files_outside_the_evidence_step_are_refused(talk, receipt):
    start_as(talk, "general", "kakaomap")
    talk.files(receipt())
    assert talk.state == "monetary" and "지금은 파일을 받지 않아요" in talk.text


def test_evidence_limits_each_have_a_reason(talk, receipt):
    small_business_report(talk, "1만")
    talk.files(
        receipt(1, size=30 * 1024 * 1024, name="big.pdf", mime="application/pdf"),
        receipt(2, name="virus.exe", mime="application/x-msdownload"),
        receipt(3, size=0),
        receipt(4),
        receipt(4, name="again.jpg"),
    )
    text = talk.text
    assert "big.pdf: 파일이 너무 커요(30MB)" in text
    assert "virus.exe: 받을 수 없는 형식" in text
    assert "빈 파일" in text
    assert "이미 받은 파일이에요: again.jpg" in text
    assert [f["name"] for f in talk.answers["evidence"]] == ["receipt4.jpg"]
    talk.files(*(receipt(n) for n in range(10, 20)))
    assert len(talk.answers["evidence"]) == 10
    assert "최대 10개" in talk.text


def test_octet_stream_documents_are_judged_by_extension(talk, receipt):
    small_business_report(talk, "1만")
    talk.files(receipt(1, name="매출.xlsx", mime="application/octet-stream"))
    assert talk.answers["evidence"][0]["name"] == "매출.xlsx"


def test_typed_labels_and_numbers_answer_buttons(talk):
    talk.command("start")
    talk.say("동의해요")
    assert talk.state == "reporter_type"
    talk.say("2")
    assert talk.answers["reporter_type"] == "small_business"
    talk.say("카카오맵")
    assert talk.answers["service"] == "kakaomap"
    talk.say("네")
    assert talk.state == "description"
    talk.say("건너뛰기")  # the skip button's label, typed
    assert talk.state == "amount" and talk.answers["description"] == ""


def test_typed_words_match_a_label_without_its_parenthesised_note(make_talk):
    """Regression: typing "카카오 로그인" at the service question did not match the
    button "카카오 로그인(다른 서비스)": the note in brackets had to be typed too."""
    talk = make_talk()
    talk.command("start")
    talk.press("agree")
    talk.say("기업")  # "기업(중견·대기업)"
    assert talk.answers["reporter_type"] == "company"
    talk.say("카카오 로그인")
    assert talk.answers["service"] == "kakao_login"
    english = make_talk(lang="en")
    english.command("start")
    english.press("agree")
    english.say("company")  # "Company (mid/large)"
    assert english.answers["reporter_type"] == "company"
    english.say("gifts")  # "Gifts (선물하기)"
    assert english.answers["service"] == "gifts"


def test_a_label_without_its_note_matches_only_when_one_button_has_it(policy, make_talk):
    """Two buttons that read alike without their notes: the short words pick neither."""
    from dataclasses import replace

    from flows.conversation import IntakeFlow
    from flows.policy import Text

    services = [
        replace(s, name=Text("카카오 로그인(웹)", "Kakao login (web)"))
        if s.id == "kakao_login"
        else replace(s, name=Text("카카오 로그인(앱)", "Kakao login (app)"))
        if s.id == "kakaomap"
        else s
        for s in policy.services
    ]
    talk = make_talk(flow=IntakeFlow(replace(policy, services=tuple(services))))
    talk.command("start")
    talk.press("agree")
    talk.press("general")
    talk.say("카카오 로그인")
    assert talk.state == "service" and "service" not in talk.answers
    talk.say("카카오 로그인 (앱)")
    assert talk.answers["service"] == "kakaomap"


def test_every_button_fits_telegram_callback_data(talk):
    small_business_report(talk, "1만")
    talk.press("skip")
    talk.press("edit")
    for reply in talk.replies:
        for row in reply.buttons:
            for button in row:
                assert len(button.data.encode()) <= 64
                assert parse_callback(button.data) == ChoiceInput(*button.data.split(":", 1))


def test_help_and_privacy_do_not_lose_the_question(talk):
    start_as(talk, "general", "kakaomap")
    talk.command("help")
    assert "/cancel" in talk.text and talk.state == "monetary"
    talk.command("privacy")
    assert "보관 기간" in talk.text and talk.state == "monetary"


def test_help_without_a_conversation_stores_nothing(talk):
    talk.command("help")
    assert talk.record is None


# -- albums and edited messages ---------------------------------------------------------------------


def test_album_items_are_kept_at_once_and_answered_together(talk, receipt):
    from flows.messages import AlbumDeliveredInput, AlbumEndInput, FilesInput

    small_business_report(talk, "1만")
    assert talk.send(FilesInput((receipt(1),), group="g1")) == []
    assert (
        talk.send(
            FilesInput((receipt(2, name="virus.exe", mime="application/x-msdownload"),), group="g1")
        )
        == []
    )
    assert talk.send(FilesInput((receipt(3),), group="g1")) == []
    assert [f["name"] for f in talk.answers["evidence"]] == ["receipt1.jpg", "receipt3.jpg"]
    talk.send(AlbumEndInput("g1"))
    assert len(talk.replies) == 1
    assert talk.text.startswith(
        "받았어요: receipt1.jpg, receipt3.jpg\nvirus.exe: 받을 수 없는 형식"
    )
    reply = talk.text
    assert talk.state == "evidence" and talk.answers["_album"]["answered"]
    # Until the channel says it was sent, the reply is owed: asked again, it comes again.
    talk.send(AlbumEndInput("g1"))
    assert talk.text == reply
    assert talk.send(AlbumDeliveredInput("g1")) == []
    assert "_album" not in talk.answers
    assert talk.send(AlbumEndInput("g1")) == []  # a late duplicate end says nothing


def test_album_whose_end_was_lost_is_reported_with_the_next_input(talk, receipt):
    from flows.messages import FilesInput

    small_business_report(talk, "1만")
    talk.send(FilesInput((receipt(1),), group="g1"))
    talk.press("done")
    assert talk.state == "summary"
    assert talk.text.startswith("받았어요: receipt1.jpg")
    assert "_album" not in talk.answers


def test_album_at_a_step_without_files_gets_one_hint(talk, receipt):
    from flows.messages import AlbumEndInput, FilesInput

    start_as(talk, "general", "kakaomap")
    talk.send(FilesInput((receipt(1),), group="g9"))
    talk.send(FilesInput((receipt(2),), group="g9"))
    talk.send(AlbumEndInput("g9"))
    assert talk.text.count("지금은 파일을 받지 않아요") == 1
    assert talk.state == "monetary" and "evidence" not in talk.answers


def test_edited_message_is_not_applied(talk):
    from flows.messages import EditedInput

    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    talk.say("10만")
    talk.send(EditedInput())
    assert "고친 메시지는 답으로 반영되지 않아요" in talk.text
    assert talk.answers["amount"] == 100_000 and talk.state == "amount_confirm"


# -- documents staff asked for, after submitting ------------------------------------------------------


def submitted_general(talk) -> None:
    start_as(talk, "general", "daum")
    talk.press("no")
    talk.say("문의")
    talk.press("submit")
    assert talk.state == "submitted"


def test_supplement_collects_files_for_a_submitted_case(talk, receipt):
    from flows.messages import SupplementInput

    submitted_general(talk)
    talk.send(SupplementInput("K2345-6789", "통장 사본"))
    assert talk.state == "supplement"
    assert "K2345-6789" in talk.text and "통장 사본" in talk.text
    talk.press("done")
    assert "아직 받은 서류가 없어요" in talk.text and talk.state == "supplement"
    talk.files(receipt(7))
    talk.press("done")
    out_done = talk.submitted  # unchanged: supplement makes no new case
    assert len(out_done) == 1
    assert talk.state == "submitted"
    assert "보완 서류 1개를 접수번호 K2345-6789에 붙였어요" in talk.text
    assert "_supplement" not in talk.answers


def test_supplement_outcome_names_the_case_and_files(flow, receipt):
    from flows.messages import ChoiceInput, FilesInput, SupplementInput

    out = flow.handle(None, SupplementInput("K2345-6789", "매출 자료"), user_id=tg(3), now=1.0)
    assert out.record.state == "supplement"
    out = flow.handle(out.record, FilesInput((receipt(1), receipt(2))), user_id=tg(3), now=2.0)
    assert [f.name for f in out.accepted_files] == ["receipt1.jpg", "receipt2.jpg"]
    out = flow.handle(out.record, ChoiceInput("supplement", "done"), user_id=tg(3), now=3.0)
    assert out.supplement.case_number == "K2345-6789"
    assert [f.sha256 for f in out.supplement.files] == [receipt(1).sha256, receipt(2).sha256]
    assert out.record.state == "submitted"


def test_supplement_in_the_middle_of_a_draft_returns_to_the_draft(talk, receipt):
    from flows.messages import SupplementInput

    start_as(talk, "general", "kakaomap")
    talk.send(SupplementInput("K2345-6789", "영수증"))
    talk.command("cancel")
    assert "서류 보내기를 멈췄어요" in talk.text
    assert talk.state == "monetary" and talk.answers["service"] == "kakaomap"
    talk.send(SupplementInput("K2345-6789", "영수증"))
    talk.files(receipt(1))
    talk.say("완료")
    assert talk.state == "monetary" and "evidence" not in talk.answers


def test_album_messages_without_a_conversation_start_nothing(flow):
    """Pins: an album timer firing after /cancel created a new draft and asked for consent."""
    from flows.messages import AlbumDeliveredInput, AlbumEndInput

    for message in (AlbumEndInput("g"), AlbumDeliveredInput("g")):
        out = flow.handle(None, message, user_id=tg(3), now=1.0)
        assert out.record is None and out.replies == []


def test_a_forged_button_on_a_typed_question_points_at_the_question(talk):
    """Pins: it said 'choose one of the buttons below' where the question has none."""
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    talk.send(ChoiceInput("amount", "9999999"))
    assert "이미 지나간 질문의 버튼" in talk.text and "버튼 중에서" not in talk.text
    assert talk.state == "amount"


def test_only_a_press_that_answers_the_question_is_taken(talk):
    talk.command("start")
    talk.press("agree")
    assert talk.outcome.choice_taken
    # A double tap: the consent button again, now that the question has passed.
    talk.send(ChoiceInput("consent", "decline"))
    assert not talk.outcome.choice_taken and talk.state == "reporter_type"
    talk.send(ChoiceInput("reporter_type", "no-such-type"))  # forged value
    assert not talk.outcome.choice_taken
    talk.say("일반 사용자")  # typed, not pressed
    assert not talk.outcome.choice_taken
    talk.press("general")
    assert talk.outcome.choice_taken


def test_declining_consent_is_a_taken_choice(talk):
    talk.command("start")
    talk.press("decline")
    assert talk.outcome.record is None and talk.outcome.choice_taken


# -- what reporters hit (issue 10) -------------------------------------------------------------------


def test_a_typed_amount_at_the_confirmation_replaces_it_and_is_confirmed(talk):
    """Regression: typing a corrected amount at the confirmation got "choose one of the buttons"."""
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    talk.say("35만")
    assert talk.state == "amount_confirm"
    talk.say("45만 원")
    assert talk.state == "amount_confirm"
    assert talk.answers["amount"] == 450_000 and not talk.answers["amount_confirmed"]
    assert talk.text.startswith("450,000원 맞으신가요?")
    assert "버튼 중에서" not in talk.text
    talk.say("네")  # words for the buttons still mean the buttons
    assert talk.state == "evidence" and talk.answers["amount_confirmed"]


def test_a_bad_amount_typed_at_the_confirmation_says_what_is_wrong(talk):
    """Regression: a typed amount at the confirmation was never read as one."""
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    talk.say("35만")
    talk.say("30만~40만")
    assert talk.state == "amount_confirm" and talk.answers["amount"] == 350_000
    assert "범위" in talk.text and talk.text.rstrip().endswith("350,000원 맞으신가요?")
    talk.say("글쎄요")  # no amount in it: the buttons are the answer
    assert "버튼 중에서" in talk.text


@pytest.mark.parametrize(
    ("reach", "state", "key", "kept"),
    [
        (
            lambda t: (start_as(t, "general", "other"), t.say("카카오웹툰")),
            "service_other",
            "service_other",
            "카카오웹툰",
        ),
        (
            lambda t: (start_as(t, "general", "kakaomap"), t.press("no"), t.say("길찾기 오류")),
            "description",
            "description",
            "길찾기 오류",
        ),
        (
            lambda t: (
                start_as(t, "general", "kakaomap"),
                t.press("yes"),
                t.press("skip"),
                t.say("35만"),
            ),
            "amount",
            "amount",
            350_000,
        ),
        (
            lambda t: (small_business_report(t, "1만"), t.command("back")),
            "business_number",
            "business_number",
            "220-81-62517",
        ),
    ],
)
def test_a_revisited_text_question_offers_to_keep_the_answer(talk, reach, state, key, kept):
    """Regression: after /back a text question had no "keep" button; typing "1" replaced it."""
    reach(talk)
    talk.command("back")
    assert talk.state == state
    assert talk.button_values() == ["keep"]
    assert "그대로 둘게요" in [b.label for r in talk.replies for row in r.buttons for b in row]
    talk.say("1")  # the button's number means the button
    assert talk.answers[key] == kept and talk.state != state
    while talk.state != state:
        talk.command("back")
    talk.press("keep")
    assert talk.answers[key] == kept and talk.state != state


def test_a_new_text_question_has_no_keep_button(talk):
    start_as(talk, "general", "kakaomap")
    talk.press("no")
    assert talk.state == "description" and talk.button_values() == []
    talk.say("1")
    assert talk.answers["description"] == "1"  # nothing to keep: "1" is the answer


def test_each_file_is_acknowledged_briefly_not_with_the_whole_question(talk, receipt):
    """Regression: every file received repeated the whole evidence prompt (on the review
    path the four-document list each time)."""
    start_as(talk, "small_business", "kakaomap")
    talk.press("yes")
    report_amount(talk, "80만")
    talk.say("220-81-62517")
    talk.press("no")
    assert talk.state == "evidence" and "소상공인 확인서" in talk.text  # asked once, in full
    for n in (1, 2):
        talk.files(receipt(n))
        assert len(talk.replies) == 1
        assert talk.text == (
            f"받았어요: receipt{n}.jpg\n"
            f"지금까지 {n}개예요. 더 보내셔도 되고, 다 보내셨으면 '다 보냈어요'를 눌러 주세요."
        )
        assert talk.button_values() == ["done"]
    talk.files(receipt(2))  # only a problem: still brief
    assert "이미 받은 파일" in talk.text and "소상공인 확인서" not in talk.text
    assert talk.button_values() == ["done"]


def test_an_album_is_acknowledged_once_and_briefly(talk, receipt):
    """Regression: the album's reply repeated the whole evidence prompt."""
    from flows.messages import AlbumEndInput, FilesInput

    small_business_report(talk, "1만")
    talk.send(FilesInput((receipt(1),), group="g1"))
    talk.send(FilesInput((receipt(2),), group="g1"))
    talk.send(AlbumEndInput("g1"))
    assert len(talk.replies) == 1
    assert "지금까지 2개예요" in talk.text and "증빙 자료가 있으면" not in talk.text
    assert talk.button_values() == ["done"]


def test_files_acknowledged_in_english(make_talk, receipt):
    talk = make_talk(lang="en")
    small_business_report(talk, "1만")
    talk.files(receipt(1), receipt(2))
    assert talk.text == (
        "Received: receipt1.jpg, receipt2.jpg\n"
        "Files so far: 2. Send more, or tap 'Done' when finished."
    )


def test_the_english_summary_counts_files_in_proper_english(make_talk, receipt):
    """Regression: the English summary said "1 file(s)"; Korean keeps "1개"."""
    for lang, one, two in (("en", "1 file\n", "2 files\n"), ("ko", "1개\n", "2개\n")):
        talk = make_talk(lang=lang)
        small_business_report(talk, "1만")
        talk.files(receipt(1))
        talk.press("done")
        assert talk.state == "summary"
        assert one in talk.text + "\n" and "(s)" not in talk.text
        talk.press("edit")
        talk.press("evidence")
        talk.files(receipt(2))
        talk.press("done")
        assert talk.state == "summary"
        assert two in talk.text + "\n" and "(s)" not in talk.text


def test_a_refused_first_file_still_gets_the_question(talk, receipt):
    small_business_report(talk, "1만")
    talk.files(receipt(1, name="virus.exe", mime="application/x-msdownload"))
    assert "받을 수 없는 형식" in talk.text and "증빙 자료가 있으면" in talk.text


def test_language_chosen_after_submitting_says_what_comes_next(talk):
    """Regression: /lang after submitting answered and then nothing followed."""
    start_as(talk, "general", "kakaomap")
    talk.press("no")
    talk.say("문의")
    talk.press("submit")
    talk.command("lang", "en")
    assert talk.outcome.lang_chosen == "en"
    assert "I'll continue in English." in talk.text and "/start" in talk.text
    assert "CASE1" in talk.text


def test_a_chosen_language_is_reported_for_the_user_to_keep(talk):
    """The language belongs to the user: the flow tells the caller what was chosen."""
    talk.command("start")
    talk.command("lang", "en")
    assert talk.outcome.lang_chosen == "en"
    talk.send(ChoiceInput("lang", "ko"))
    assert talk.outcome.lang_chosen == "ko"
    talk.press("agree")
    assert talk.outcome.lang_chosen is None


def test_a_preferred_language_starts_a_new_conversation(flow):
    out = flow.handle(
        None, CommandInput("start"), user_id=tg(1), now=1.0, language_code="ko", preferred_lang="en"
    )
    assert out.record.lang == "en" and "Do you agree?" in out.replies[0].text


# -- what reporters are told (issue 10, items 9-13) ----------------------------------------------------


def test_non_monetary_reporter_is_told_what_the_package_holds(make_talk):
    """Regression: a no-loss report saw only "All-user package" in the summary and on submit."""
    for lang, words in (
        ("ko", ("이모티콘 3종", "톡서랍")),
        ("en", ("emoticon sets", "Talk Drawer")),
    ):
        talk = make_talk(lang=lang)
        start_as(talk, "general", "daum")
        talk.press("no")
        talk.say("메일이 언제 복구되나요?")
        assert talk.state == "summary"
        assert all(w in talk.text for w in words), talk.text
        talk.press("submit")
        assert all(w in talk.text for w in words), talk.text


def test_the_package_is_labelled_in_the_summary_and_on_submit(make_talk):
    """Regression: the summary and the "submitted" message listed the package as a bare
    bullet / line, with nothing saying what it was to the reporter."""
    for lang, label in (
        ("ko", "함께 받는 지원: 모든 카카오톡"),
        ("en", "Also for you: Every KakaoTalk"),
    ):
        talk = make_talk(lang=lang)
        start_as(talk, "general", "daum")
        talk.press("no")
        talk.say("메일이 언제 복구되나요?")
        assert f"• {label}" in talk.text, talk.text
        talk.press("submit")
        assert f"\n{label}" in talk.text, talk.text


def test_every_summary_and_submission_says_what_the_package_holds(talk):
    """Regression: the package's contents appeared only in the message after the amount."""
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")  # no description
    report_amount(talk, "5만원")
    talk.press("skip")
    assert talk.state == "summary" and "이모티콘 3종" in talk.text
    talk.press("submit")
    assert "이모티콘 3종" in talk.text


@pytest.mark.parametrize("amount", ["5만원", "80만원", "2,000만원"])
def test_company_losses_go_to_the_committee_at_any_amount(make_talk, amount):
    """Regression: companies were told their loss was "above the support brackets" at any
    amount, and were asked for the small-business confirmation."""
    for lang in ("ko", "en"):
        talk = make_talk(lang=lang)
        start_as(talk, "company", "kakao_login")
        talk.press("yes")
        talk.press("skip")
        report_amount(talk, amount)
        assert "지원 구간을 넘어" not in talk.text and "above the support brackets" not in talk.text
        assert ("기업 피해는" if lang == "ko" else "Company losses") in talk.text
        assert talk.state == "evidence"
        assert "소상공인 확인서" not in talk.text and "Small-business confirmation" not in talk.text
        assert ("통장 사본" if lang == "ko" else "bank account") in talk.text
        talk.press("later")
        talk.press("submit")
        assert talk.submitted[0].submission.tier == "company_review"


def test_small_business_above_500k_is_still_beyond_the_brackets(talk):
    small_business_report(talk, "60만원")
    assert talk.state == "evidence"
    assert "소상공인 확인서" in talk.text  # small businesses still get their own document


def test_small_business_on_kakaotalk_channel_is_not_asked_if_it_runs_one(talk):
    """Regression: a small business that chose "KakaoTalk Channel" was asked whether it runs
    one; answering no made a self-contradicting case."""
    start_as(talk, "small_business", "talk_channel")
    talk.press("free")
    talk.press("yes")
    talk.press("skip")
    report_amount(talk, "35만 원")
    assert "채널 메시지 캐시 5만 원" in talk.text  # said with the tier, as it is already known
    talk.say("220-81-62517")
    assert talk.state == "evidence"
    assert "채널을 운영하고 계신가요" not in talk.text
    talk.press("skip")
    assert "카카오톡 채널: 운영해요" in talk.text
    talk.press("edit")
    assert "channel" not in talk.button_values()  # nothing to contradict
    talk.press("summary")
    talk.press("submit")
    sub = talk.submitted[0].submission
    assert sub.channel_cash and sub.answers["has_channel"] is True


def test_small_business_on_another_service_is_still_asked_about_a_channel(talk):
    start_as(talk, "small_business", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    report_amount(talk, "35만 원")
    talk.say("220-81-62517")
    assert talk.state == "channel"


def test_switching_away_from_kakaotalk_channel_asks_about_a_channel(talk):
    start_as(talk, "small_business", "talk_channel")
    talk.press("free")
    talk.press("yes")
    talk.press("skip")
    report_amount(talk, "35만 원")
    talk.say("220-81-62517")
    talk.press("skip")
    talk.press("edit")
    talk.press("service")
    talk.press("kakaomap")
    assert talk.state == "channel"


def test_money_loss_report_asks_what_happened(make_talk):
    """Regression: money-loss reports never said what happened ("nothing written" for staff)."""
    for lang in ("ko", "en"):
        talk = make_talk(lang=lang)
        start_as(talk, "general", "kakaomap")
        talk.press("yes")
        assert talk.state == "description"
        assert "skip" in talk.button_values()
        assert ("무슨 일" if lang == "ko" else "what happened") in talk.text
        talk.say("예약 손님 연락을 못 받았어요")
        assert talk.state == "amount"
        report_amount(talk, "35만원")
        talk.press("skip")
        assert "예약 손님 연락을 못 받았어요" in talk.text
        talk.press("submit")
        assert talk.submitted[0].submission.description == "예약 손님 연락을 못 받았어요"


def test_money_loss_description_can_be_skipped(talk):
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.press("skip")
    assert talk.state == "amount"
    report_amount(talk, "35만원")
    talk.press("skip")
    assert "피해 내용: 적지 않았어요" in talk.text
    talk.press("submit")
    assert talk.submitted[0].submission.description is None


def test_a_question_or_opinion_cannot_be_skipped(talk):
    start_as(talk, "general", "daum")
    talk.press("no")
    assert "skip" not in talk.button_values()
    talk.send(ChoiceInput("description", "skip"))
    assert talk.state == "description"


def test_review_report_can_be_submitted_before_the_documents(make_talk, receipt):
    """Regression: above 500,000 a report could not be submitted without a file."""
    for lang in ("ko", "en"):
        talk = make_talk(lang=lang)
        small_business_report(talk, "60만원", channel=False)
        assert ("나중에" if lang == "ko" else "later") in talk.text  # the question says so
        assert talk.button_values() == ["later"]
        talk.press("later")
        assert talk.state == "summary"
        talk.press("submit")
        sub = talk.submitted[0].submission
        assert sub.evidence == () and sub.tier == "review"
        assert [d.ko for d in sub.documents_due][1:] == [
            "매출 피해 입증 자료(장부, 매출 내역 등)",
            "카카오 서비스로 영업했다는 자료(채널 화면, 예약 내역 등)",
            "사업자 또는 대표자 명의 통장 사본",
        ]
        assert ("서류 보내기" if lang == "ko" else "Send documents") in talk.text


def test_review_report_with_files_needs_no_documents_later(talk, receipt):
    small_business_report(talk, "60만원", channel=False)
    talk.files(receipt())
    assert talk.button_values() == ["done"]
    talk.press("done")
    talk.press("submit")
    assert talk.submitted[0].submission.documents_due == ()


def test_raising_the_amount_into_review_asks_the_evidence_question_again(talk):
    small_business_report(talk, "35만원", channel=False)
    talk.press("skip")
    talk.press("edit")
    talk.press("amount")
    report_amount(talk, "70만원")
    assert talk.state == "evidence" and "later" in talk.button_values()


def test_a_revisited_loss_description_can_be_kept_or_dropped(talk):
    start_as(talk, "general", "kakaomap")
    talk.press("yes")
    talk.say("길 안내가 멈췄어요")
    talk.command("back")
    assert talk.state == "description" and talk.button_values() == ["keep", "skip"]
    talk.press("keep")
    assert talk.state == "amount" and talk.answers["description"] == "길 안내가 멈췄어요"
    talk.command("back")
    talk.press("skip")
    assert talk.state == "amount" and talk.answers["description"] == ""
    talk.command("back")
    assert talk.button_values() == ["skip"] and "그대로 둘게요" not in talk.text
