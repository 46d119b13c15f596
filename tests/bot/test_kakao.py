"""The KakaoTalk skill door, through the real server over loopback HTTP.

Skill payloads shaped like Kakao's documented samples (tests/fixtures/kakao) go to
``POST /kakao/skill`` of the one server (:func:`bot.server.serve` with
:func:`bot.server.build_doors`); callbacks and photos go to a local stand-in of
Kakao's side (tests/support/kakao_platform.py). Every response is checked against
Kakao's limits (tests/support/kakao_schema.py) as it arrives.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.__main__ import build_service
from bot.server import KakaoDoor, build_doors, serve
from bot.settings import Settings, load_settings
from bot.staff.templates import words
from flows.identity import UserKey
from flows.messages import Reply
from storage import Storage
from storage.tinydb_store import TinyDBStorage
from tests.support.gate import Gate
from tests.support.kakao_platform import KakaoPerson, KakaoPlatform, Photo, kakao_platform
from tests.support.running_bot import free_port

SECRET = "kakao-skill-secret-0123456789abcdef"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 receipt one"
JPEG2 = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 receipt two"
USER = "899ccc5d8c1c5b7b6c8c3f1d6fb5f0bd4b9c8a5d12f4e5c0b2e8a3f1c9d0e7b6a1"


@dataclass
class Running:
    settings: Settings
    storage: Storage
    platform: KakaoPlatform
    http: aiohttp.ClientSession
    door: KakaoDoor

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}/kakao/skill"

    def person(self, user_id: str = USER, **options: Any) -> KakaoPerson:
        return KakaoPerson(self.http, self.url, SECRET, self.platform, user_id, **options)


@asynccontextmanager
async def running(
    data_dir: Path, *, storage: Storage | None = None, budget_s: float | None = None
) -> AsyncIterator[Running]:
    """The one server with the Kakao door (and the staff web), on a free loopback port."""
    async with kakao_platform() as platform:
        settings = Settings(
            data_dir=data_dir,
            host="127.0.0.1",
            port=free_port(),
            kakao_skill_secret=SECRET,
            kakao_image_hosts=(platform.host,),
            staff_web_token="staff-token-for-kakao-tests-0123",
        )
        store = storage or TinyDBStorage(data_dir)
        service = build_service(settings, store)
        doors = build_doors(settings, service)
        (door,) = [d for d in doors if isinstance(d, KakaoDoor)]
        if budget_s is not None:
            door.skill.budget_s = budget_s
        stop, ready = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(serve(settings, doors, stop=stop, ready=ready))
        await asyncio.wait(
            [server, asyncio.create_task(ready.wait())], return_when="FIRST_COMPLETED"
        )
        try:
            async with aiohttp.ClientSession() as http:
                yield Running(settings, store, platform, http, door)
        finally:
            stop.set()
            await server
            store.close()


TO_DESCRIPTION = (
    "동의해요",
    "소상공인",
    "카카오톡 채널",
    "무료로 이용했어요",
    "네, 금전 피해가 있어요",
)


async def walk_to_evidence(person: KakaoPerson) -> str:
    await person.type("안녕하세요")
    for label in TO_DESCRIPTION:
        await person.press(label)
    await person.type("단골 예약 문의를 못 받았어요")
    await person.type("35만 원")
    await person.press("네, 맞아요")
    return await person.type("220-81-62517")


async def test_a_whole_report_in_korean(tmp_path: Path) -> None:
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        consent = await person.type("안녕하세요")
        assert "카카오톡 채널 이용자 식별키" in consent
        assert {"동의해요", "동의하지 않아요", "English"} <= set(person.labels)
        await person.press("동의해요")
        services = await person.press("소상공인")
        # 11 services, 10 quick replies at most: numbered in the text, paged below it.
        for n, name in enumerate(SERVICES_KO, 1):
            assert f"{n}. {name}" in services
        assert len(person.quick_replies) == 10 and person.labels[-1] == "다음 목록 ▶"
        await person.press("다음 목록 ▶")
        assert person.labels[0] == "◀ 이전 목록"
        assert "기타(직접 입력)" in [q["messageText"] for q in person.quick_replies]
        await person.press("◀ 이전 목록")
        await person.press("카카오톡 채널")
        await person.press("무료로 이용했어요")
        await person.press("네, 금전 피해가 있어요")
        assert "◀ 뒤로" in person.labels
        await person.type("단골 예약 문의를 못 받았어요")
        assert "350,000원 맞으신가요?" in await person.type("35만 원")
        tier = await person.press("네, 맞아요")
        assert "현금 5만 원 지원 대상" in tier  # the tentative tier, at once
        evidence = await person.type("220-81-62517")
        assert "증빙 자료" in evidence and "PDF" in evidence
        assert "사진 보내기" in person.labels
        one = bot.platform.add_photo("one.jpg", Photo(JPEG))
        two = bot.platform.add_photo("two.jpg", Photo(JPEG2))
        received = await person.photos(one, two)
        assert "photo_1.jpg" in received and "photo_2.jpg" in received
        summary = await person.press("다 보냈어요")
        assert "• 피해 금액: 350,000원" in summary and "• 증빙 자료: 2개" in summary
        done = await person.press("접수하기")
        found = re.search(r"접수번호: (\S+)", done)
        assert found, done
        number = found.group(1)
        assert "접수 확인" in person.labels
        assert number in await person.press("접수 확인")

        case = bot.storage.get_case(number)
        assert case is not None and case.user_id == UserKey("kakao", USER)
        assert case.amount == 350_000 and case.business_number
        assert sorted(e.size for e in case.evidence) == sorted([len(JPEG), len(JPEG2)])
        # The staff side names the channel.
        assert words.channel_name("ko", case.user_id.channel) == "카카오톡"
        assert words.channel_name("en", case.user_id.channel) == "KakaoTalk"


SERVICES_KO = (
    "카카오톡",
    "카카오톡 채널",
    "카카오 로그인(다른 서비스)",
    "카카오맵",
    "카카오 T",
    "카카오페이",
    "다음 메일·카페",
    "선물하기",
    "이모티콘·톡서랍",
    "카카오게임즈",
    "기타(직접 입력)",
)


async def test_an_english_transcript_back_start_over_and_language(tmp_path: Path) -> None:
    async with running(tmp_path / "data") as bot:
        person = bot.person(lang="en")
        consent = await person.type("hello")
        assert "KakaoTalk Channel user key" in consent
        await person.press("I agree")
        await person.press("Small business")
        services = person.text
        assert "11. Other (type it)" in services and "You can also send the number" in services
        assert "Kakao login for …" in person.labels or any(
            len(q["messageText"]) > 14 for q in person.quick_replies
        )
        await person.type("2")  # the number of "KakaoTalk Channel"
        asked = person.text
        back = await person.type("back")
        assert "11. Other (type it)" in back  # the service question again
        assert asked != back
        await person.type("KakaoTalk Channel")  # the name typed works as well
        korean = await person.type("한국어")
        assert "한국어로" in korean
        restart = await person.type("처음부터")
        assert "이어서" in restart or "처음부터" in restart
        assert await person.type("접수 확인")


async def test_the_secret_is_required(tmp_path: Path) -> None:
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        body = person.payload("안녕하세요")
        for headers in ({}, {"X-Kakao-Skill-Secret": "wrong-secret-0123456789"}):
            async with bot.http.post(bot.url, json=body, headers=headers) as response:
                assert response.status == 403
        async with bot.http.post(f"{bot.url}/{SECRET}x", json=body) as response:
            assert response.status == 403
        async with bot.http.post(f"{bot.url}/{SECRET}", json=body) as response:
            assert response.status == 200
        async with bot.http.post(
            bot.url, data=b"{not json", headers={"X-Kakao-Skill-Secret": SECRET}
        ) as response:
            assert response.status == 400
        assert bot.storage.load_conversation(UserKey("kakao", USER)) is not None


async def test_without_the_secret_there_is_no_skill(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path / "data")})
    store = TinyDBStorage(settings.data_dir)
    try:
        doors = build_doors(settings, build_service(settings, store))
        assert not [d for d in doors if isinstance(d, KakaoDoor)]
    finally:
        store.close()


async def test_a_retried_request_has_one_effect(tmp_path: Path) -> None:
    """Kakao retries a request it got no answer to: same payload, no request id."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        for label in TO_DESCRIPTION:
            await person.press(label)
        await person.type("단골 예약 문의를 못 받았어요")
        asked = await person.type("35만 원")
        first = person.screen
        assert await person.again() == asked and person.screen == first
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "amount_confirm"
        tier = await person.press("네, 맞아요")
        assert await person.again() == tier
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "business_number"


class SlowDisk(TinyDBStorage):
    """A TinyDB store whose conversation saves wait at ``gate`` while it is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate()

    def save_conversation(self, record: Any) -> None:
        with self.gate.hold():
            super().save_conversation(record)


async def test_an_answer_held_by_a_slow_disk_comes_by_the_callback(tmp_path: Path) -> None:
    """Regression: a reply must never take Kakao's 5 s; the callback carries the late one."""
    store = SlowDisk(tmp_path / "data")
    async with running(tmp_path / "data", storage=store) as bot:
        person = bot.person(callback=True)
        await person.type("안녕하세요")
        store.gate.close()
        (agree,) = [q for q in person.quick_replies if q["label"] == "동의해요"]
        body = person.payload(agree["messageText"], extra=agree["extra"])
        async with bot.http.post(
            bot.url, json=body, headers={"X-Kakao-Skill-Secret": SECRET}
        ) as response:
            answer = await response.json()
        assert answer["useCallback"] is True and "data" in answer
        # Answered while the save was still held: the door did not wait for the disk.
        assert store.gate.entered.is_set() and not store.gate.left.is_set()
        assert not bot.platform.callbacks["2"]  # still saving
        store.gate.open()
        late = await bot.platform.callback_body(body["userRequest"]["callbackUrl"])
        assert "소상공인" in [q["label"] for q in late["template"]["quickReplies"]]


async def test_a_slow_disk_without_the_callback_shows_the_answer_next(tmp_path: Path) -> None:
    store = SlowDisk(tmp_path / "data")
    async with running(tmp_path / "data", storage=store, budget_s=0.5) as bot:
        person = bot.person()
        await person.type("안녕하세요")
        store.gate.close()
        working = await person.press("동의해요")
        assert "처리하고 있어요" in working and person.labels == ["이어서 보기"]
        store.gate.open()
        await store.gate.until_left()  # the held save done
        shown = await person.press("이어서 보기")
        assert "소상공인" in person.labels, shown
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "reporter_type"


async def test_photos_are_fetched_at_once_and_answered_by_the_callback(tmp_path: Path) -> None:
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await walk_to_evidence(person)
        person.callback = True
        slow = bot.platform.add_photo("slow.jpg", Photo(JPEG, delay_s=1.0))
        body = person.payload("사진 보내기", photos=[slow])
        async with bot.http.post(
            bot.url, json=body, headers={"X-Kakao-Skill-Secret": SECRET}
        ) as response:
            answer = await response.json()
        assert answer["useCallback"] is True  # photos go to the callback at once
        late = await bot.platform.callback_body(body["userRequest"]["callbackUrl"])
        assert "photo_1.jpg" in late["template"]["outputs"][0]["simpleText"]["text"]
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and len(record.answers["evidence"]) == 1


async def test_photos_elsewhere_or_from_other_hosts_are_not_fetched(tmp_path: Path) -> None:
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        url = bot.platform.add_photo("early.jpg", Photo(JPEG))
        await person.photos(url)
        assert bot.platform.photo_requests == []  # not at a step that takes files
        await person.press("동의해요")
        person2 = bot.person(user_id="b" * 64)
        await walk_to_evidence(person2)
        said = await person2.photos("http://169.254.169.254/latest/meta-data.jpg")
        assert "169.254" not in said
        record = bot.storage.load_conversation(UserKey("kakao", "b" * 64))
        assert record is not None and not record.answers.get("evidence")


async def test_a_retry_after_a_restart_changes_nothing(tmp_path: Path) -> None:
    """Regression: "뒤로" retried by Kakao after a restart went back two questions.

    The first answer is gone with the process; the mark in storage still catches it."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        for label in TO_DESCRIPTION:
            await person.press(label)
        await person.type("단골 예약 문의를 못 받았어요")
        asked = await person.type("뒤로")
        body = person.last_payload
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "description"
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.post(body)
        assert person.text == asked  # the question of then, asked again: not a second back
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "description"


async def test_a_notice_waits_for_the_next_utterance_and_shows_once(tmp_path: Path) -> None:
    """KakaoTalk cannot push: a notice is shown before the next answer, exactly once."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        await person.press("동의해요")
        notices = bot.door.skill.service.notices
        await notices.post(
            UserKey("kakao", USER),
            [Reply("담당자 메시지: 서류를 확인했어요.")],
            kind="staff_message",
        )
        shown = await person.press("소상공인")
        assert "알림이 1개" in shown and "서류를 확인했어요" in shown
        assert shown.index("서류를 확인했어요") < shown.index("어떤 서비스")
        again = await person.type("뒤로")
        assert "서류를 확인했어요" not in again


PDF = b"%PDF-1.4\n% sales of October\n"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/kakao/upload/[A-Za-z0-9_\-.]+)")


async def upload(bot: Running, url: str, name: str, data: bytes, mime: str) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("files", data, filename=name, content_type=mime)
    origin = f"http://127.0.0.1:{bot.settings.port}"
    async with bot.http.post(url, data=form, headers={"Origin": origin}) as response:
        return response.status, await response.text()


async def test_a_pdf_goes_by_a_one_time_upload_link(tmp_path: Path) -> None:
    """KakaoTalk takes no documents: the evidence question links a one-time upload page."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        assert not LINK.search(person.text)
        evidence = await walk_to_evidence(person)
        found = LINK.search(evidence)
        assert found, evidence
        url = found.group(1)
        async with bot.http.get(url) as page:
            assert page.status == 200
            body = await page.text()
            assert 'type="file"' in body and "<script" not in body
            assert page.headers["Referrer-Policy"] == "no-referrer"
            assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        status, body = await upload(bot, url, "sales.pdf", PDF, "application/pdf")
        assert status == 200 and "sales.pdf" in body and "다 보냈어요" in body
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None
        assert [f["name"] for f in record.answers["evidence"]] == ["sales.pdf"]
        # Once only.
        status, body = await upload(bot, url, "again.pdf", PDF + b"2", "application/pdf")
        assert status == 404 and "쓸 수 없어요" in body
        async with bot.http.get(url) as page:
            assert page.status == 404
        # Forged or altered tokens are refused alike.
        for bad in (url[:-2] + "xx", url.rsplit("/", 1)[0] + "/nothing"):
            status, _ = await upload(bot, bad, "x.pdf", PDF, "application/pdf")
            assert status == 404
        # A cross-site post is refused before anything is read.
        # Back in KakaoTalk, whose quick replies are still those from before the upload:
        await person.type("다 보냈어요")  # the summary; back to the evidence question:
        fresh = LINK.search(await person.press("◀ 뒤로"))  # a new link
        assert fresh and fresh.group(1) != url, person.text
        form = aiohttp.FormData()
        form.add_field("files", PDF, filename="y.pdf", content_type="application/pdf")
        async with bot.http.post(
            fresh.group(1), data=form, headers={"Origin": "https://evil.example"}
        ) as response:
            assert response.status == 403
        summary = await person.press("다 보냈어요")
        assert "• 증빙 자료: 1개" in summary


async def test_an_upload_link_expires(tmp_path: Path) -> None:
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        found = LINK.search(await walk_to_evidence(person))
        assert found
        uploads = bot.door.skill.uploads
        uploads.clock = lambda: time.time() + 31 * 60
        status, _ = await upload(bot, found.group(1), "late.pdf", PDF, "application/pdf")
        assert status == 404
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and not record.answers.get("evidence")


def test_long_lists_are_paged_never_dropped() -> None:
    from bot.kakao import MAX_QUICK_REPLIES, Shown, pages_of, skill_response
    from flows.messages import Button

    for count in range(0, 41):
        buttons = [Button(f"option {n}", f"q:{n}") for n in range(count)]
        pages = pages_of(buttons)
        assert [b for page in pages for b in page] == buttons
        for number, page in enumerate(pages):
            response, rest = skill_response(Shown(["Pick one"], buttons, "en"), page=number)
            quick = response["template"].get("quickReplies", [])
            assert len(quick) <= MAX_QUICK_REPLIES and not rest
            assert [q["extra"]["data"] for q in quick if "data" in q.get("extra", {})] == [
                b.data for b in page
            ]
            if count > MAX_QUICK_REPLIES:
                text = response["template"]["outputs"][-1]["simpleText"]["text"]
                assert all(f"{n + 1}. option {n}" in text for n in range(count))


def test_text_past_three_bubbles_waits_behind_show_the_rest() -> None:
    from bot.kakao import MAX_TEXT, Shown, skill_response
    from tests.support.kakao_schema import check_response

    texts = [("가나다라 " * 120).strip() for _ in range(6)]  # 6 x 599 characters
    response, rest = skill_response(Shown(texts, [], "ko"))
    check_response(response)
    shown = [o["simpleText"]["text"] for o in response["template"]["outputs"]]
    assert len(shown) == 3 and rest
    assert [q["label"] for q in response["template"]["quickReplies"]] == ["이어서 보기"]
    assert "".join(shown + rest).replace("\n", "").replace(" ", "") == "".join(texts).replace(
        " ", ""
    )
    assert all(len(piece) <= MAX_TEXT for piece in shown + rest)


def test_the_door_remembers_a_bounded_number_of_people(tmp_path: Path, monkeypatch) -> None:
    import bot.kakao
    from bot.kakao import KakaoSkill

    monkeypatch.setattr(bot.kakao, "MAX_PEOPLE", 5)
    settings = load_settings({"DATA_DIR": str(tmp_path / "data"), "KAKAO_SKILL_SECRET": SECRET})
    store = TinyDBStorage(settings.data_dir)
    try:
        skill = KakaoSkill(build_service(settings, store), settings)
        for n in range(20):
            skill._person(UserKey("kakao", f"u{n}"))
        assert list(skill.people) == [UserKey("kakao", f"u{n}") for n in range(15, 20)]
    finally:
        store.close()


async def test_the_fixture_payloads_as_they_are(tmp_path: Path) -> None:
    """Each sample payload in tests/fixtures/kakao, sent as it is (the callback URL
    pointed at the stand-in), gets a response within Kakao's limits."""
    from tests.support.kakao_platform import fixture

    async with running(tmp_path / "data") as bot:
        person = bot.person()
        for name in ("utterance", "quick_reply", "secure_image", "callback"):
            body = fixture(name)
            if "callbackUrl" in body["userRequest"]:
                body["userRequest"]["callbackUrl"] = bot.platform.callback_url()
            await person.post(body)  # checked against the schema as it arrives
            assert person.text, name
        # The consent was agreed by the quick reply's extra; the photos (on Kakao's own
        # host, at the reporter-type question) were answered without being fetched.
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "reporter_type"
        assert bot.platform.photo_requests == []


async def test_staff_ask_for_documents_and_the_person_sends_them_on_kakao(tmp_path: Path) -> None:
    """A staff request reaches a KakaoTalk person on their next utterance, once, with its
    "send documents" quick reply; the photos they then send are attached to the case."""
    from bot.staff.review import ReviewService
    from storage import CaseStatus

    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        for label in ("동의해요", "일반 이용자", "카카오톡", "무료로 이용했어요"):
            await person.press(label)
        await person.press("아니요, 문의·의견이에요")
        await person.type("선물하기 메시지가 늦게 왔어요")
        done = await person.press("접수하기")
        number = re.search(r"접수번호: (\S+)", done)
        assert number, done
        service = bot.door.skill.service
        review = ReviewService(
            service.storage, notices=service.notices, contact=service.flow.policy.contact
        )
        await review.request_documents(
            number.group(1), staff="staff:kim", documents="선물하기 화면 캡처"
        )
        shown = await person.press("접수 확인")
        assert "알림이 1개" in shown and "선물하기 화면 캡처" in shown
        assert "서류 보내기" in person.labels
        asked = await person.press("서류 보내기")
        assert "사진 보내기" in person.labels and LINK.search(asked)
        url = bot.platform.add_photo("capture.jpg", Photo(JPEG))
        assert "photo_1.jpg" in await person.photos(url)
        await person.press("다 보냈어요")
        case = bot.storage.get_case(number.group(1))
        assert case is not None and case.status == CaseStatus.DOCUMENTS_RECEIVED
        assert [e.size for e in case.evidence] == [len(JPEG)]
        status = await person.type("접수 확인")
        assert "알림이" not in status and "서류 보완" not in status  # the notice was shown once


async def test_the_same_quick_reply_under_two_answers_is_two_presses(tmp_path: Path) -> None:
    """Regression: "◀ 뒤로" pressed under two questions within a minute was taken as
    Kakao's retry of the first press; a double tap (the same press again) is one."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        for label in TO_DESCRIPTION:
            await person.press(label)
        key = UserKey("kakao", USER)
        await person.press("◀ 뒤로")
        record = bot.storage.load_conversation(key)
        assert record is not None and record.state == "monetary"
        await person.again()  # a double tap: one back
        record = bot.storage.load_conversation(key)
        assert record is not None and record.state == "monetary"
        await person.press("◀ 뒤로")  # under the next answer: a second back
        record = bot.storage.load_conversation(key)
        assert record is not None and record.state == "paid"


async def test_the_same_words_typed_again_after_another_answer_are_taken(tmp_path: Path) -> None:
    """Regression: an amount typed again after "다시 입력할게요" was ignored as a retry.

    The storage mark of the first "35만 원" (kept for retries across a restart) made the
    second, a minute later at most, look like Kakao's retry: the question came back and
    the answer was dropped. A retry is of the last request; while the door holds that,
    only it counts."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        for label in TO_DESCRIPTION:
            await person.press(label)
        await person.type("단골 예약 문의를 못 받았어요")
        await person.type("35만 원")
        await person.press("다시 입력할게요")
        assert "350,000원 맞으신가요?" in await person.type("35만 원")
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and record.state == "amount_confirm"


class SlowMarks(TinyDBStorage):
    """A TinyDB store whose request-id marks wait at ``gate`` while it is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate()

    def mark_request(self, channel: str, request_id: str) -> None:
        with self.gate.hold():
            super().mark_request(channel, request_id)


async def test_a_slow_request_mark_does_not_hold_the_answer(tmp_path: Path) -> None:
    """Regression: the retry mark was written on the event loop: a slow disk held every
    answer (and the timer that sends the callback answer) past Kakao's 5 s."""
    store = SlowMarks(tmp_path / "data")
    async with running(tmp_path / "data", storage=store) as bot:
        person = bot.person(callback=True)
        await person.type("안녕하세요")
        store.gate.close()
        (agree,) = [q for q in person.quick_replies if q["label"] == "동의해요"]
        body = person.payload(agree["messageText"], extra=agree["extra"])
        async with bot.http.post(
            bot.url, json=body, headers={"X-Kakao-Skill-Secret": SECRET}
        ) as response:
            answer = await response.json()
        assert answer["useCallback"] is True
        assert not store.gate.left.is_set()  # answered while the mark was still held
        store.gate.open()
        late = await bot.platform.callback_body(body["userRequest"]["callbackUrl"])
        assert "소상공인" in [q["label"] for q in late["template"]["quickReplies"]]


async def test_a_photo_that_cannot_be_fetched_is_said_so(tmp_path: Path) -> None:
    """Regression: a photo Kakao's host did not give (gone, too big) was called "an empty
    file" (빈 파일이에요), and a too-big one too; the person is told it could not be
    downloaded, or that it is too big, and the ones that came are kept."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await walk_to_evidence(person)
        good = bot.platform.add_photo("good.jpg", Photo(JPEG))
        gone = bot.platform.base_url + "/images/gone.jpg?credential=abc"
        said = await person.photos(good, gone)
        assert "빈 파일" not in said
        assert "사진 1장을 내려받지 못했어요" in said
        assert "받았어요" in said
        big = bot.platform.add_photo("big.jpg", Photo(b"\xff\xd8" + b"0" * (21 * 1024 * 1024)))
        said = await person.photos(big)
        assert "빈 파일" not in said and "너무 커" in said
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None and len(record.answers["evidence"]) == 1


async def test_commands_are_named_by_the_words_kakao_shows(tmp_path: Path) -> None:
    """Regression: KakaoTalk has no command menu, yet the answers said "/status 로 확인"
    and "Send /start"; they name the quick replies shown ('접수 확인', '처음부터')."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        done = await person.type("동의하지 않아요")
        await person.type("안녕하세요")
        refused = await person.press("동의하지 않아요")
        assert "/start" not in refused and "'처음부터'" in refused, refused
        english = bot.person(user_id="e" * 64, lang="en")
        await english.type("hello")
        await english.press("I agree")
        none = await english.type("My reports")
        assert "/start" not in none and "'Start over'" in none, none
        del done


async def test_a_photo_of_some_megabytes_is_kept_whole(tmp_path: Path) -> None:
    """Regression: a photo was read with one ``content.read(n)``, which gives what has
    arrived so far: a 3 MB photo was kept as its first ~100 KB, and "received"."""
    photo = JPEG + bytes(range(256)) * (3 * 4096)
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await walk_to_evidence(person)
        said = await person.photos(bot.platform.add_photo("big.jpg", Photo(photo)))
        assert "받았어요: photo_1.jpg" in said
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None
        (kept,) = record.answers["evidence"]
        assert kept["size"] == len(photo)
        assert kept["sha256"] == hashlib.sha256(photo).hexdigest()


class SlowUploadChecks(TinyDBStorage):
    """A TinyDB store whose look-ups of used upload tokens wait at ``gate`` while it is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate()

    def seen_request(self, channel: str, request_id: str) -> bool:
        if channel != "kakao_upload":
            return super().seen_request(channel, request_id)
        with self.gate.hold():
            return super().seen_request(channel, request_id)


async def test_a_slow_upload_page_does_not_hold_the_skill(tmp_path: Path) -> None:
    """Regression: the upload page checked its token (and the person's step) on the event
    loop: a slow disk there held every KakaoTalk answer past Kakao's 5 s."""
    store = SlowUploadChecks(tmp_path / "data")
    async with running(tmp_path / "data", storage=store) as bot:
        person = bot.person()
        evidence = await walk_to_evidence(person)
        (link,) = LINK.findall(evidence)
        other = bot.person(user_id="c" * 64, callback=True)
        await other.type("안녕하세요")
        (agree,) = [q for q in other.quick_replies if q["label"] == "동의해요"]
        body = other.payload(agree["messageText"], extra=agree["extra"])
        store.gate.close()
        page = asyncio.create_task(bot.http.get(link))  # the client shares the server's loop
        await store.gate.until_entered()  # the page's check under way
        async with bot.http.post(
            bot.url, json=body, headers={"X-Kakao-Skill-Secret": SECRET}
        ) as response:
            await response.json()
        assert not store.gate.left.is_set()  # the skill answered while the page's check waited
        store.gate.open()
        async with await page as shown:
            assert shown.status == 200


class SlowLangs(TinyDBStorage):
    """A TinyDB store whose look-ups of a person's language wait at ``gate`` while it is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate()

    def load_user_lang(self, user_id: UserKey) -> str | None:
        with self.gate.hold():
            return super().load_user_lang(user_id)


async def test_a_slow_language_look_up_does_not_hold_the_answer(tmp_path: Path) -> None:
    """Regression: a person with no conversation (here: consent declined) had their
    language looked up on the event loop: a slow disk held the answer past Kakao's 5 s
    instead of sending it by the callback."""
    store = SlowLangs(tmp_path / "data")
    async with running(tmp_path / "data", storage=store) as bot:
        person = bot.person(callback=True)
        await person.type("안녕하세요")
        (refuse,) = [q for q in person.quick_replies if q["label"] == "동의하지 않아요"]
        body = person.payload(refuse["messageText"], extra=refuse["extra"])
        store.gate.close()
        async with bot.http.post(
            bot.url, json=body, headers={"X-Kakao-Skill-Secret": SECRET}
        ) as response:
            answer = await response.json()
        assert not store.gate.left.is_set()  # answered while the look-up was still held
        assert answer["useCallback"] is True
        store.gate.open()
        late = await bot.platform.callback_body(body["userRequest"]["callbackUrl"])
        assert "저장하지 않았어요" in late["template"]["outputs"][0]["simpleText"]["text"]


async def test_after_a_cancel_the_start_over_it_names_is_there_to_press(tmp_path: Path) -> None:
    """Regression: after "취소" (or consent declined) the answer said "다시 접수하시려면
    '처음부터'를 눌러 주세요", with no "처음부터" quick reply under it to press."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        for label in TO_DESCRIPTION:
            await person.press(label)
        cancelled = await person.type("취소")
        assert "'처음부터'" in cancelled and "처음부터" in person.labels
        assert "동의해요" in person.labels or "동의" in await person.press("처음부터")
        declined = await person.press("동의하지 않아요")
        assert "'처음부터'" in declined and "처음부터" in person.labels


async def test_paging_after_a_restart_keeps_the_questions_quick_replies(tmp_path: Path) -> None:
    """Regression: "다음 목록 ▶" reaching a restarted server (the door remembers nothing)
    was rendered as if no report were under way: no "◀ 뒤로", but "처음부터" and
    "English" under the middle of a report."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.type("안녕하세요")
        await person.press("동의해요")
        await person.press("소상공인")
        (more,) = [q for q in person.quick_replies if q["label"] == "다음 목록 ▶"]
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await person.send(more["messageText"], extra=more["extra"])
        assert "기타(직접 입력)" in [q["messageText"] for q in person.quick_replies]
        assert "◀ 뒤로" in person.labels
        assert "처음부터" not in person.labels and "English" not in person.labels


async def test_photos_sent_in_two_goes_get_different_names(tmp_path: Path) -> None:
    """Regression: every batch of photos was numbered from 1: the person was told
    "받았어요: photo_1.jpg" twice, and staff saw two different photos of one name."""
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        await walk_to_evidence(person)
        first = await person.photos(bot.platform.add_photo("one.jpg", Photo(JPEG)))
        assert "받았어요: photo_1.jpg" in first
        second = await person.photos(bot.platform.add_photo("two.jpg", Photo(JPEG2)))
        assert "받았어요: photo_2.jpg" in second
        record = bot.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None
        assert [f["name"] for f in record.answers["evidence"]] == ["photo_1.jpg", "photo_2.jpg"]
