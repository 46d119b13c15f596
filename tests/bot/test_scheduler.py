"""The channel-neutral scheduler: reminders, expiry and notice retries for every door."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from bot.intake import IntakeService
from bot.notices import RETRY_FIRST_WAIT
from bot.scheduler import Scheduler
from bot.server import serve
from bot.settings import Settings
from bot.staff.review import ReviewService
from bot.telegram import TelegramChannel
from flows.conversation import IntakeFlow
from flows.identity import UserKey
from flows.messages import ChoiceInput, CommandInput, Reply, TextInput
from flows.policy import load_policy
from storage.tinydb_store import TinyDBStorage
from tests.support.bot_api import BotAPIStandIn
from tests.support.users import tg

HOUR = 3600.0
DAY = 24 * HOUR
DOOR_USER = UserKey("testdoor", "d1")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def open_service(data_dir: Path, clock: Clock) -> tuple[TinyDBStorage, IntakeService]:
    storage = TinyDBStorage(data_dir)
    return storage, IntakeService(IntakeFlow(load_policy()), storage, clock=clock)


def start_draft(service: IntakeService, user: UserKey) -> None:
    service.handle(user, CommandInput("start"))
    service.handle(user, ChoiceInput("consent", "agree"))


def texts(replies) -> list[str]:
    return [r.text for r in replies]


async def test_a_draft_at_a_door_that_cannot_push_is_reminded_in_its_mailbox_then_expired(
    tmp_path,
):
    """Regression: reminders and expiry ran inside the Telegram channel and skipped every
    other channel's people, so their drafts were never reminded nor expired."""
    clock = Clock()
    storage, service = open_service(tmp_path / "data", clock)
    start_draft(service, DOOR_USER)
    scheduler = Scheduler(service)
    await scheduler.load_schedule()  # as after a restart: from the stored timestamps
    clock.now += 25 * HOUR
    await scheduler.sweep_due_now()
    (reminder,) = storage.undelivered_notices(DOOR_USER)
    assert reminder.kind == "reminder" and "아직 끝나지 않았어요" in reminder.replies[0]["text"]
    assert storage.load_conversation(DOOR_USER).reminded_at == clock.now  # once
    await scheduler.sweep_due_now()
    assert len(storage.undelivered_notices(DOOR_USER)) == 1

    clock.now += 14 * DAY  # still silent: the draft expires
    await scheduler.sweep_due_now()
    assert storage.load_conversation(DOOR_USER) is None
    assert [n.kind for n in storage.undelivered_notices(DOOR_USER)] == ["reminder", "expiry"]

    shown = texts(service.handle(DOOR_USER, CommandInput("start")))
    assert shown[0] == "읽지 않은 알림이 2개 있어요."
    assert "아직 끝나지 않았어요" in shown[1] and "14일 동안 멈춰 있어서 지웠어요" in shown[2]
    assert "읽지 않은" not in " ".join(texts(service.handle(DOOR_USER, CommandInput("start")))[:1])
    storage.close()


async def test_a_draft_touched_at_a_door_is_rescheduled_from_its_input(tmp_path):
    """The scheduler hears every door's input (not only Telegram's) and looks again later."""
    clock = Clock()
    storage, service = open_service(tmp_path / "data", clock)
    scheduler = Scheduler(service)
    await scheduler.load_schedule()  # nothing stored yet
    start_draft(service, DOOR_USER)  # heard after the start-up scan
    clock.now += 25 * HOUR
    await scheduler.sweep_due_now()
    assert [n.kind for n in storage.undelivered_notices(DOOR_USER)] == ["reminder"]
    storage.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_runs_the_scheduler_for_every_door(tmp_path):
    """serve() runs the one scheduler: a console person's silent draft is reminded."""
    clock = Clock()
    storage, service = open_service(tmp_path / "data", clock)
    console = UserKey("console", "1")
    start_draft(service, console)
    clock.now += 25 * HOUR
    posted = asyncio.Event()
    service.notices.on_post.append(lambda notice: posted.set())
    stop = asyncio.Event()
    settings = Settings(host="127.0.0.1", port=free_port(), data_dir=tmp_path / "data")
    server = asyncio.create_task(serve(settings, [], scheduler=Scheduler(service), stop=stop))
    await asyncio.wait_for(posted.wait(), 10)
    stop.set()
    await asyncio.wait_for(server, 10)
    (reminder,) = storage.undelivered_notices(console)
    assert reminder.kind == "reminder"
    storage.close()


async def test_a_failed_telegram_push_is_retried_by_the_scheduler_until_it_arrives(tmp_path):
    """Regression: a decision Telegram refused (the person had blocked the bot) was only
    audited; nothing tried again once they allowed the bot back."""
    clock = Clock()
    async with BotAPIStandIn() as api:
        api.user(90)
        storage, service = open_service(tmp_path / "data", clock)
        start_draft(service, tg(90))
        for question, value in (
            ("reporter_type", "general"),
            ("service", "kakaotalk"),
            ("paid", "free"),
            ("monetary", "no"),
        ):
            service.handle(tg(90), ChoiceInput(question, value))
        service.handle(tg(90), TextInput("메시지가 하루 동안 안 갔어요"))
        service.handle(tg(90), ChoiceInput("summary", "submit"))
        number = storage.load_conversation(tg(90)).case_number
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        channel = TelegramChannel(service, settings)
        scheduler = Scheduler(service)
        review = ReviewService(storage, notices=service.notices, clock=clock)
        api.block(90)
        async with channel.build_application(polling=False):
            await scheduler.load_schedule()
            await review.approve(number, staff="staff:kim", final_amount=0)
            (kept,) = storage.undelivered_notices(tg(90))
            assert kept.attempts == 1 and kept.last_error == "Forbidden"
            await scheduler.sweep_due_now()  # too soon: not tried again yet
            assert storage.get_notice(kept.notice_id).attempts == 1
            clock.now += RETRY_FIRST_WAIT
            await scheduler.sweep_due_now()  # still blocked: kept, tried later again
            assert storage.get_notice(kept.notice_id).attempts == 2
            api.unblock(90)
            clock.now += 2 * RETRY_FIRST_WAIT
            await scheduler.sweep_due_now()
            (message,) = api.messages_to(90)
            assert number in message["text"]
            assert storage.undelivered_notices() == []
            await scheduler.sweep_due_now()
            assert len(api.messages_to(90)) == 1  # delivered once
        storage.close()


async def test_a_documents_reminder_is_not_sent_again_after_a_restart(tmp_path):
    """Regression: a documents reminder to a person with no draft in progress was never
    recorded (only a draft's reminder or expiry was), so every restart sent it again."""
    clock = Clock()
    storage, service = open_service(tmp_path / "data", clock)
    start_draft(service, DOOR_USER)
    for question, value in (
        ("reporter_type", "company"),
        ("service", "kakao_login"),
        ("monetary", "yes"),
        ("description", "skip"),
    ):
        service.handle(DOOR_USER, ChoiceInput(question, value))
    service.handle(DOOR_USER, TextInput("80만원"))
    service.handle(DOOR_USER, ChoiceInput("amount_confirm", "yes"))
    service.handle(DOOR_USER, ChoiceInput("evidence", "later"))
    service.handle(DOOR_USER, ChoiceInput("summary", "submit"))
    clock.now += 3 * DAY + 1
    scheduler = Scheduler(service)
    await scheduler.load_schedule()
    await scheduler.sweep_due_now()
    (reminder,) = storage.undelivered_notices(DOOR_USER)
    assert reminder.kind == "documents_reminder" and reminder.case_number
    again = Scheduler(service)  # a restart
    await again.load_schedule()
    await again.sweep_due_now()
    assert len(storage.undelivered_notices(DOOR_USER)) == 1
    storage.close()


async def test_news_kept_while_telegram_was_off_is_pushed_once_it_runs(tmp_path):
    """A decision taken on a server without TELEGRAM_BOT_TOKEN waits as a notice; the
    next start with Telegram finds it (one read) and pushes it, once."""
    clock = Clock()
    async with BotAPIStandIn() as api:
        api.user(92)
        storage, service = open_service(tmp_path / "data", clock)
        start_draft(service, tg(92))
        notice = await ReviewService(storage, clock=clock).notices.post(
            tg(92), [Reply("심사 결과를 알려 드려요.")], kind="review"
        )
        assert notice.delivered_at is None and notice.attempts == 0  # nothing could push
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        channel = TelegramChannel(service, settings)  # the restart, with Telegram
        scheduler = Scheduler(service)
        async with channel.build_application(polling=False):
            await scheduler.load_schedule()
            await scheduler.sweep_due_now()
            await scheduler.sweep_due_now()
            (message,) = api.messages_to(92)
            assert message["text"] == "심사 결과를 알려 드려요."
        assert storage.undelivered_notices() == []
        storage.close()


async def test_an_album_left_unanswered_by_a_stop_is_answered_at_the_next_start(tmp_path):
    """Telegram keeps what is Telegram's: the scheduler's start-up scan hands it the
    stored albums whose one reply was due when the process stopped (the timer lived in
    memory), and the channel answers them."""
    from bot.intake import IncomingFile, IncomingFiles
    from bot.server import TelegramDoor
    from flows.conversation import ALBUM_KEY

    clock = Clock()
    async with BotAPIStandIn() as api:
        api.user(93)
        storage, service = open_service(tmp_path / "data", clock)
        start_draft(service, tg(93))
        for value in ("small_business", "kakaomap", "yes", "skip"):  # as each question asks
            state = storage.load_conversation(tg(93)).state
            service.handle(tg(93), ChoiceInput(state, value))
        service.handle(tg(93), TextInput("60만원"))
        service.handle(tg(93), ChoiceInput("amount_confirm", "yes"))
        service.handle(tg(93), TextInput("220-81-62517"))
        service.handle(tg(93), ChoiceInput("channel", "no"))
        assert service.takes_files(tg(93))
        photo = IncomingFile("장부.jpg", "image/jpeg", 4, b"\xff\xd8ab")
        service.handle(tg(93), IncomingFiles((photo,), group="album-1"))
        assert storage.load_conversation(tg(93)).answers.get(ALBUM_KEY)  # the stop came here
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            telegram_max_rate=0,
        )
        door = TelegramDoor(settings, service, TelegramChannel(service, settings))
        scheduler = Scheduler(service)
        door.schedule(scheduler)
        async with door.application:
            await door.application.start()
            await scheduler.load_schedule()
            await door.channel.idle()
            await door.application.stop()
            (reply,) = api.messages_to(93)
            assert "장부.jpg" in reply["text"]
        assert not storage.load_conversation(tg(93)).answers.get(ALBUM_KEY)
        storage.close()
