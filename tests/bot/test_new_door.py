"""A new door needs no change below it: a test channel, written only against the channel
interface, files a whole report on a real TinyDB store.

The interface a channel uses: :func:`bot.__main__.build_service` (the channel is named
by its people's keys, ``UserKey("testdoor", …)``), :func:`flows.commands.read_line` for what a person types, button data read back by
:func:`flows.messages.parse_callback`, files as :class:`bot.intake.IncomingFile`, its own
request ids for redelivery, and :class:`flows.messages.Reply` / ``Button`` to show.
Nothing here names Telegram or the console.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.__main__ import build_service, build_storage
from bot.intake import IncomingFile, IntakeService
from bot.settings import load_settings
from flows.commands import read_line
from flows.identity import UserKey
from flows.messages import Input, Reply, parse_callback
from flows.texts import CATALOG


class TestDoor:
    """A whole channel: a person's lines, presses and files in; what they would see out."""

    __test__ = False  # a channel, not a test class

    def __init__(self, service: IntakeService, person: str) -> None:
        self.service = service
        self.user = UserKey("testdoor", person)
        self.request = 0  # this door's own request ids (for redelivered requests)
        self.screen: list[Reply] = []

    def send(self, message: Input | tuple[IncomingFile, ...], *, again: bool = False) -> str:
        """Hand one request to the service; ``again`` redelivers the last request id."""
        self.request += 0 if again else 1
        self.screen = self.service.handle(self.user, message, input_id=self.request)
        return "\n".join(reply.text for reply in self.screen)

    def type(self, line: str) -> str:
        return self.send(read_line(line))

    def press(self, label: str) -> str:
        for reply in self.screen:
            for button in (b for row in reply.buttons for b in row):
                choice = parse_callback(button.data)
                if button.label == label and choice is not None:
                    return self.send(choice)
        raise AssertionError(f"no button {label!r} on {self.screen}")

    def attach(self, name: str, mime: str, data: bytes) -> str:
        # Like every channel, fetch a file only where the conversation takes files.
        assert self.service.takes_files(self.user)
        return self.send((IncomingFile(name=name, mime=mime, size=len(data), data=data),))


# The buttons a small business (a free KakaoTalk Channel) presses from the consent to
# "what happened".
TO_DESCRIPTION = (
    "동의해요",
    "소상공인",
    "카카오톡 채널",
    "무료로 이용했어요",
    "네, 금전 피해가 있어요",
)


def open_door(data_dir: Path) -> TestDoor:
    settings = load_settings({"DATA_DIR": str(data_dir)})
    return TestDoor(build_service(settings, build_storage(settings)), "a7f3")


def test_a_door_of_its_own_files_a_whole_report(tmp_path: Path) -> None:
    door = open_door(tmp_path / "data")
    consent = door.type("/start")
    for label in TO_DESCRIPTION:
        door.press(label)
    door.type("단골 예약 문의를 못 받았어요")
    assert "350,000원 맞으신가요?" in door.type("35만 원")
    door.press("네, 맞아요")
    assert "증빙 자료" in door.type("220-81-62517")
    assert "받았어요: receipt.jpg" in door.attach("receipt.jpg", "image/jpeg", b"\xff\xd8 receipt")
    summary = door.press("다 보냈어요")
    assert "• 피해 금액: 350,000원" in summary and "• 증빙 자료: 1개" in summary
    done = door.press("접수하기")
    found = re.search(r"접수번호: (\S+)", done)
    assert found, done
    number = found.group(1)
    assert number in door.type("/status")

    storage = door.service.storage
    case = storage.get_case(number)
    assert case is not None and case.user_id == UserKey("testdoor", "a7f3")
    assert case.user_id.channel == "testdoor"
    assert case.tier and case.amount == 350_000
    assert [e.name for e in case.evidence] == ["receipt.jpg"]
    assert storage.load_conversation(door.user) is not None  # kept as "submitted"
    # The consent names what any messenger keeps, never another door's account.
    assert "• 항목: 메신저 계정 ID," in consent
    for other in ("telegram", "console"):
        assert CATALOG["ko"][f"{other}.account"] not in consent
    assert "텔레그램" not in consent and "콘솔" not in consent


def test_a_redelivered_request_is_answered_once(tmp_path: Path) -> None:
    """The door's own request ids keep a redelivered answer from counting twice."""
    door = open_door(tmp_path / "data")
    door.type("/start")
    for label in TO_DESCRIPTION:
        door.press(label)
    asked = door.type("단골 예약 문의를 못 받았어요")
    # The same request again (a retry after a lost answer): not taken as the amount.
    assert door.send(read_line("단골 예약 문의를 못 받았어요"), again=True) == asked
    record = door.service.storage.load_conversation(door.user)
    assert record is not None and record.state == "amount"


async def test_a_staff_decision_reaches_the_door_through_its_mailbox_once(tmp_path: Path) -> None:
    """Regression: review news went only to Telegram's notifier, so a person at any other
    door was never told (the decision was audited as "not told"). The door, which cannot
    push, shows it on the person's next request, once, under an unread count."""
    from bot.staff.review import ReviewService

    door = open_door(tmp_path / "data")
    door.type("/start")
    for label in TO_DESCRIPTION:
        door.press(label)
    door.type("단골 예약 문의를 못 받았어요")
    door.type("35만 원")
    door.press("네, 맞아요")
    door.type("220-81-62517")
    door.attach("receipt.jpg", "image/jpeg", b"\xff\xd8 receipt")
    door.press("다 보냈어요")
    number = re.search(r"접수번호: (\S+)", door.press("접수하기")).group(1)

    service = door.service
    review = ReviewService(service.storage, notices=service.notices)
    await review.approve(number, staff="staff:kim", final_amount=30_000)
    actions = [e.action for e in service.storage.iter_audit(number)]
    assert "review.approved" in actions and "review.notify_failed" not in actions

    shown = door.type("/status")
    assert door.screen[0].text == "읽지 않은 알림이 1개 있어요."
    assert number in door.screen[1].text and "30,000원" in door.screen[1].text
    assert number in door.screen[-1].text  # then the answer to what they asked
    assert "읽지 않은 알림" not in door.type("/status")  # exactly once
    assert shown.count(number) >= 2


async def test_deleting_my_data_drops_the_drafts_waiting_reminder_not_a_cases_news(
    tmp_path: Path,
) -> None:
    """Regression: /delete_my_data dropped the draft but kept the person's notices, so the
    draft's reminder ("your report is waiting"), posted while they were asked to confirm,
    was shown right after "deleted" (and a pushing channel would retry it). A notice about
    a submitted case stays: it follows the case's deletion request, which staff handle."""
    from bot.scheduler import Scheduler
    from bot.staff.review import ReviewService

    door = open_door(tmp_path / "data")
    service = door.service
    clock = [1_700_000_000.0]
    service.clock = lambda: clock[0]
    service.notices.clock = service.clock
    door.type("/start")
    for label in TO_DESCRIPTION:
        door.press(label)
    door.type("단골 예약 문의를 못 받았어요")
    door.type("35만 원")
    door.press("네, 맞아요")
    door.type("220-81-62517")
    door.attach("receipt.jpg", "image/jpeg", b"\xff\xd8 receipt")
    door.press("다 보냈어요")
    number = re.search(r"접수번호: (\S+)", door.press("접수하기")).group(1)
    door.type("/start")  # a second report, left as a draft
    door.press("동의해요")
    scheduler = Scheduler(service)
    await scheduler.load_schedule()

    clock[0] += 23.9 * 3600  # the draft is nearly a day old when they ask to delete
    door.type("/delete_my_data")
    clock[0] += 0.2 * 3600  # meanwhile: the draft's reminder, and a staff decision
    await scheduler.sweep_due_now()
    await ReviewService(service.storage, notices=service.notices).approve(
        number, staff="staff:kim", final_amount=30_000
    )
    assert {n.kind for n in service.storage.undelivered_notices(door.user)} == {
        "reminder",
        "review",
    }

    shown = door.press("네, 지워 주세요")
    assert "작성 중이던 접수와 파일을 지웠어요." in shown
    assert "아직 끝나지 않았어요" not in shown  # the deleted draft's reminder is gone
    assert door.screen[0].text == "읽지 않은 알림이 1개 있어요."
    assert number in door.screen[1].text and "30,000원" in door.screen[1].text
    storage = service.storage
    assert storage.undelivered_notices(door.user) == []
    assert storage.load_conversation(door.user) is None
    # The case's deletion request is for staff; its notices go with it then.
    actions = [e.action for e in storage.iter_audit(number)]
    assert "privacy.deletion_requested" in actions
    assert "아직 끝나지 않았어요" not in door.type("/status")
