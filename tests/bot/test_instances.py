"""Several instances on one PostgreSQL: a person's requests exactly once and one at a time.

Two :class:`~storage.postgres.PostgresStorage` stores on one database are two
instances' connection pools; each has its own :class:`~bot.intake.IntakeService`, as
two bot processes would. The requests go through
:meth:`bot.intake.IntakeService.handle_request` (the store's ``user_turn``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from bot.intake import IncomingFile, IntakeService
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput, CommandInput, Input, Reply, TextInput
from flows.policy import load_policy
from storage import CaseFilter, Notice, Storage
from storage.memory import MemoryStorage
from storage.postgres import PostgresStorage
from tests.support.users import tg

CHANNEL = "telegram"


def service_on(storage: Storage) -> IntakeService:
    return IntakeService(IntakeFlow(load_policy()), storage)


def report_script() -> list[Input | tuple[IncomingFile, ...]]:
    """The inputs of one whole report (buttons named by the question they answer),
    recorded on a memory store so that they can be sent blind, like a client does."""
    service = service_on(MemoryStorage())
    user = tg(1)
    script: list[Input | tuple[IncomingFile, ...]] = []

    def send(message) -> None:
        script.append(message)
        service.handle(user, message)

    def press(value: str) -> None:
        send(ChoiceInput(service.storage.load_conversation(user).state, value))

    send(CommandInput("start"))
    for value in ("agree", "small_business", "kakaomap", "yes", "skip"):
        press(value)
    send(TextInput("60만원"))
    press("yes")
    send(TextInput("220-81-62517"))
    press("no")
    send((IncomingFile("a.jpg", "image/jpeg", 5, b"aaaaa"),))
    press("done")
    press("submit")
    assert service.storage.load_conversation(user).state == "submitted"
    return script


@pytest.fixture
def two_instances(pg_database: str):
    a = PostgresStorage(pg_database, pool_size=4)
    b = PostgresStorage(pg_database, pool_size=4)
    yield service_on(a), service_on(b)
    a.close()
    b.close()


def test_a_request_delivered_to_two_instances_at_once_is_processed_once(two_instances):
    """Regression: two instances each checked ``seen_request`` before either marked the
    request, so a duplicate delivered to both at once was applied twice (two replies,
    an answer applied twice); now exactly one of them processes it, the other does nothing."""
    a, b = two_instances
    script = report_script()
    users = [tg(100 + n) for n in range(6)]
    processed: dict[tuple[str, int], int] = {}
    lock = threading.Lock()

    def deliver(service: IntakeService, user, step: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        handled = service.handle_request(
            user, script[step], request=(CHANNEL, f"{user.id}-{step}"), input_id=step + 1
        )
        if handled is not None:
            service.storage.mark_request(CHANNEL, f"{user.id}-{step}")  # the door, replied
            with lock:
                processed[(str(user), step)] = processed.get((str(user), step), 0) + 1

    def person(user) -> None:
        with ThreadPoolExecutor(2) as pair:
            for step in range(len(script)):
                barrier = threading.Barrier(2)
                both = [pair.submit(deliver, s, user, step, barrier) for s in (a, b)]
                for done in both:
                    done.result()

    with ThreadPoolExecutor(len(users)) as people:
        for done in [people.submit(person, user) for user in users]:
            done.result()

    twice = {k: n for k, n in processed.items() if n != 1}
    assert not twice, f"requests processed more than once: {twice}"
    assert len(processed) == len(users) * len(script)
    for user in users:
        record = a.storage.load_conversation(user)
        assert record is not None and record.state == "submitted"
        assert len(b.storage.list_cases(CaseFilter(user_id=user))) == 1


def _waiting_on_advisory_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
        ).fetchone()
    return bool(row and row[0])


def test_a_persons_second_request_waits_for_the_first_on_another_instance(
    two_instances, pg_database
):
    """Regression: each instance ordered a person's requests only in its own memory, so
    a request taken by a second instance ran beside the first one's (reading the
    conversation before the first was saved: an answer lost). Now it waits for the first
    one's commit and is applied to what that one saved."""
    a, b = two_instances
    user = tg(7)
    result: list[object] = []
    second = threading.Thread(
        target=lambda: result.append(
            b.handle_request(
                user, ChoiceInput("consent", "agree"), request=(CHANNEL, "2"), input_id=2
            )
        )
    )
    with a.storage.user_turn(user, (CHANNEL, "1")) as claimed:
        assert claimed
        a.handle_input(user, CommandInput("start"), input_id=1)
        second.start()
        deadline = time.monotonic() + 30
        while not _waiting_on_advisory_lock(pg_database):
            assert second.is_alive(), "the second instance did not wait for the first"
            assert time.monotonic() < deadline, "the second instance never waited"
            time.sleep(0.05)
        assert not result
    second.join(30)
    assert result and result[0] is not None
    record = a.storage.load_conversation(user)
    assert record is not None and record.last_input_id == 2
    assert record.answers.get("consent") or record.state != "consent"


def test_a_failed_turn_leaves_the_request_unclaimed(two_instances):
    """A turn whose work fails keeps nothing, not the claim: a redelivery is processed."""
    a, b = two_instances
    user = tg(8)
    with pytest.raises(RuntimeError), a.storage.user_turn(user, (CHANNEL, "9")):
        a.handle_input(user, CommandInput("start"), input_id=9)
        raise RuntimeError("the instance failed before committing")
    assert a.storage.load_conversation(user) is None
    assert b.handle_request(user, CommandInput("start"), request=(CHANNEL, "9"), input_id=9)
    b.storage.mark_request(CHANNEL, "9")  # the door, once it replied
    assert b.handle_request(user, CommandInput("start"), request=(CHANNEL, "9")) is None


async def test_a_staff_member_signed_in_on_one_instance_is_served_by_the_other(pg_database):
    """Regression: staff sessions lived in one process's memory, so behind a load balancer
    a staff member signed in on one instance was sent to sign in again by the other, and
    a note shown after an action ("done") was lost. Now both read them from the database."""
    from tests.staff.test_web import add_case, serve, signed_in

    a, b = PostgresStorage(pg_database, pool_size=2), PostgresStorage(pg_database, pool_size=2)
    try:
        case = add_case(a)
        async with serve(a) as on_a, serve(b) as on_b:
            await signed_in(on_a)
            jar = on_a.client.session.cookie_jar
            on_b.client.session.cookie_jar.update_cookies(
                jar.filter_cookies(on_a.client.make_url("/staff/"))
            )
            assert case.case_number in await on_b.page("/staff/")
            await on_a.page(f"/staff/cases/{case.case_number}")
            response = await on_b.post(f"/staff/cases/{case.case_number}/thread-done", {})
            assert response.status == 303, await response.text()
            shown = await on_a.page(f"/staff/cases/{case.case_number}")
            assert 'class="flash' in shown  # the note of b's action, shown by a
            assert 'class="flash' not in await on_b.page(f"/staff/cases/{case.case_number}")
            assert (await on_b.post("/staff/signout", {})).status == 303
            await on_a.page("/staff/", status=303)
    finally:
        a.close()
        b.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Pusher:
    """A channel that pushes: records what reached each person (several instances share it,
    as they share Telegram)."""

    channel = "testdoor"
    pushes = True

    def __init__(self, delivered: list) -> None:
        self.delivered = delivered

    async def deliver(self, user_id, replies) -> None:
        await asyncio.sleep(0.01)  # a network call: the other instance runs meanwhile
        self.delivered.append((user_id, [r.text for r in replies]))


async def test_each_reminder_is_sent_once_by_two_instances_sweeping_together(pg_database):
    """Regression: every instance scheduled reminders from its own memory, so two instances
    both found a silent draft due and each reminded the person (two reminders, two
    pushes). Now the sweep is the person's turn of the store and the push a claimed
    notice: one reminder, pushed once."""
    from bot.scheduler import Scheduler
    from flows.identity import UserKey

    clock = Clock()
    stores = [PostgresStorage(pg_database, pool_size=4) for _ in range(2)]
    delivered: list = []
    schedulers = []
    for store in stores:
        service = IntakeService(IntakeFlow(load_policy()), store, clock=clock)
        service.notices.register(Pusher(delivered))
        schedulers.append(Scheduler(service))
    users = [UserKey("testdoor", f"p{n}") for n in range(8)]
    try:
        for user in users:
            schedulers[0].service.handle(user, CommandInput("start"))
            schedulers[0].service.handle(user, ChoiceInput("consent", "agree"))
        for scheduler in schedulers:
            await scheduler.load_schedule()
        clock.now += 25 * 3600
        await asyncio.gather(*(s.sweep_due_now() for s in schedulers))
        for user in users:
            notices = [n for n in stores[1].undelivered_notices(user)]
            assert notices == [], notices  # pushed, so none waits
            reminders = [d for d in delivered if d[0] == user]
            assert len(reminders) == 1, reminders
        # A push that failed is retried by both instances' rounds at once: delivered once.
        failing = users[0]
        notice = await schedulers[0].notices.post(failing, [Reply("소식")], kind="review")
        assert notice.delivered_at is not None
        stored = stores[0].get_notice(notice.notice_id)
        assert stored is not None
        for scheduler in schedulers:
            scheduler.notices._retry.clear()
        retried = Notice(
            **{**stored.__dict__, "delivered_at": None, "notice_id": "again", "attempts": 1}
        )
        stores[0].add_notice(retried)
        before = len(delivered)
        for scheduler in schedulers:
            scheduler.notices.load_retries()
        clock.now += 3600
        await asyncio.gather(*(s.retry_notices() for s in schedulers))
        assert len(delivered) == before + 1
    finally:
        for store in stores:
            store.close()


async def test_a_draft_heard_by_a_stopped_instance_is_reminded_by_the_other(pg_database):
    """Regression: an instance scheduled only the drafts it found at start-up and the inputs
    it heard itself, so a draft whose inputs a since-stopped instance heard was never
    reminded. With a shared store an instance reads the stored schedule again (rescan)."""
    from bot.scheduler import Scheduler
    from flows.identity import UserKey

    clock = Clock()
    a, b = PostgresStorage(pg_database, pool_size=2), PostgresStorage(pg_database, pool_size=2)
    services = [IntakeService(IntakeFlow(load_policy()), s, clock=clock) for s in (a, b)]
    user = UserKey("testdoor", "left")
    try:
        on_b = Scheduler(services[1], rescan_s=600)
        await on_b.load_schedule()  # b started before the person wrote
        services[0].handle(user, CommandInput("start"))
        services[0].handle(user, ChoiceInput("consent", "agree"))
        a.close()  # a stops for good
        clock.now += 25 * 3600
        await on_b.rescan()
        await on_b.sweep_due_now()
        assert [n.kind for n in b.undelivered_notices(user)] == ["reminder"]
    finally:
        b.close()


def test_a_failed_trim_after_the_commit_does_not_fail_the_request(pg_database):
    """Regression: the processed ids were trimmed after the turn's commit, and a failure
    there (the server gone at that moment) raised out of a request whose work was
    committed, so the person was told it failed. Trimming is housekeeping: it may fail."""
    from storage import postgres_turns

    a = service_on(PostgresStorage(pg_database, pool_size=2, keep_request_ids=1))
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'no trimming now'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_trim BEFORE DELETE ON processed_requests"
            " FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    old = postgres_turns.TRIM_EVERY
    postgres_turns.TRIM_EVERY = 1
    try:
        user = tg(9)
        a.storage.mark_request(CHANNEL, "1")  # a row for the trim to reach
        handled = a.handle_request(user, CommandInput("start"), request=(CHANNEL, "2"))
        assert handled is not None and handled.replies
        assert a.storage.load_conversation(user) is not None
    finally:
        postgres_turns.TRIM_EVERY = old
        a.storage.close()


def test_a_redelivery_after_an_instance_died_before_replying_asks_the_current_question(
    two_instances,
):
    """Regression: an instance killed after its turn's commit but before its reply reached
    the person left the request claimed, so the redelivery (to the other instance) found
    it processed and sent nothing at all (the two-instance test's ``silent_acks``). Now a
    duplicate whose claim was never marked answered waits a little for the first
    instance's reply, then asks the current question itself, as on one process; the
    duplicate of an answered request still sends nothing."""
    a, b = two_instances
    a.reply_wait = b.reply_wait = 0.3
    user = tg(9)
    # The instance that dies: its turn commits (the claim, the new conversation) and it
    # never replies, so it never marks the request answered.
    with a.storage.user_turn(user, (CHANNEL, "21")) as claimed:
        assert claimed
        a.handle_input(user, CommandInput("start"), input_id=21)
    record = b.storage.load_conversation(user)
    assert record is not None

    redelivered = b.handle_request(
        user, CommandInput("start"), request=(CHANNEL, "21"), input_id=21
    )
    assert redelivered is not None, "the redelivery of an unanswered request sent nothing"
    assert redelivered.replies == [b.flow.prompt(record, CHANNEL)]
    b.storage.mark_request(CHANNEL, "21")  # the door, once the replies were sent
    assert b.storage.load_conversation(user) == record  # asked again, nothing applied
    assert a.handle_request(user, CommandInput("start"), request=(CHANNEL, "21")) is None

    # A request answered by its instance: its duplicate still gets nothing.
    step = a.handle_request(user, ChoiceInput(record.state, "agree"), request=(CHANNEL, "22"))
    assert step is not None
    a.storage.mark_request(CHANNEL, "22")
    assert (
        b.handle_request(user, ChoiceInput(record.state, "agree"), request=(CHANNEL, "22")) is None
    )


async def test_a_first_update_redelivered_after_its_instance_died_unanswered_is_answered(
    pg_database: str, tmp_path, caplog
):
    """Regression: an instance killed between its turn's commit and its reply left the
    person's very first update (/start, no conversation before it) claimed but never
    answered; Telegram redelivered it (no 200 came) to the other instance, whose door asks
    ``seen_request`` before the turn, and on PostgreSQL that was true for any claimed
    request, answered or not: 200 and nothing sent, so the person never got their first
    question (the two-instance test's "the bot never asked anything", about one run in
    three, e.g. seeds 277634300 and 893737236; a later update's silence was only counted,
    as the person answers the last question again). Through the real Telegram door and
    webhook now: the redelivery reaches the turn, waits for the dead instance's reply and,
    when none comes, asks the first question; its duplicate afterwards sends nothing.
    At LOG_LEVEL=DEBUG the take-over is in the log."""
    from bot.telegram import TELEGRAM
    from tests.support.bot_api import BotAPIStandIn
    from tests.support.running_bot import RunningBot, bot_settings

    async with BotAPIStandIn() as api:
        person = api.user(810_000_022, "User22", "ko")
        update = api.command_update(person, "/start")
        key, request_id = tg(810_000_022), str(update["update_id"])
        # The instance that is killed: its turn commits (the claim, the new conversation)
        # and it dies before replying, so the request is never marked answered.
        dying = PostgresStorage(pg_database, pool_size=1)
        try:
            with dying.user_turn(key, (TELEGRAM, request_id)) as claimed:
                assert claimed
                service_on(dying).handle_input(
                    key, CommandInput("start"), language_code="ko", input_id=update["update_id"]
                )
        finally:
            dying.close()

        settings = bot_settings(api, tmp_path / "b", "webhook")

        class OnPostgres(RunningBot):
            def open_storage(self) -> PostgresStorage:
                return PostgresStorage(pg_database, pool_size=4)

        other = OnPostgres(api, settings, "webhook")
        await other.start()
        try:
            assert other.channel is not None and other.storage is not None
            other.channel.service.reply_wait = 0.2
            caplog.set_level(logging.DEBUG, logger="bot")
            record = other.storage.load_conversation(key)
            assert record is not None
            first_question = other.channel.service.flow.prompt(record, TELEGRAM)

            sent = await other.process(update)  # the redelivery, to the other instance
            assert [m["text"] for m in sent] == [first_question.text], (
                "the redelivered first update of a person was answered 200 with nothing sent"
            )
            assert other.storage.seen_request(TELEGRAM, request_id)
            assert f"('telegram', '{request_id}') of user {key}: never answered, taken over" in (
                caplog.text
            )
            assert await other.process(update) == []  # answered now: a duplicate sends nothing
        finally:
            await other.stop()


async def test_an_album_another_instance_is_answering_is_not_answered_again_at_start_up(
    pg_database: str, tmp_path, monkeypatch
):
    """Regression: an instance's start-up scan answered every album stored in a draft,
    as one process's restart owes them all; on PostgreSQL that included an album a live
    instance had just taken (its quiet-period timer running, or its reply on the way), so
    the person got its reply twice. Now, on a shared store, an album whose draft was
    written in the last ``album_orphan_s`` is looked at again that long after it was
    last written, and answered only if it is still there, unchanged: an album of a dead
    instance is still answered once."""
    from bot.intake import IncomingFiles
    from bot.telegram import TelegramChannel
    from flows.messages import AlbumDeliveredInput, AlbumEndInput
    from tests.support.bot_api import BotAPIStandIn
    from tests.support.running_bot import RunningBot, bot_settings

    monkeypatch.setattr(TelegramChannel, "album_orphan_s", 3.0, raising=False)
    script = report_script()
    files_at = next(i for i, s in enumerate(script) if isinstance(s, tuple))
    alive = PostgresStorage(pg_database, pool_size=2)  # an instance answering its album
    async with BotAPIStandIn() as api:
        users = [tg(api.user(810_000_040 + n, f"User{40 + n}", "ko")["id"]) for n in range(2)]
        service = service_on(alive)
        for user in users:
            for message in script[:files_at]:
                service.handle(user, message)
            photo = IncomingFile(f"{user.id}.jpg", "image/jpeg", 4, b"\xff\xd8ab")
            service.handle(user, IncomingFiles((photo,), group=f"album-{user.id}"))

        class OnPostgres(RunningBot):
            def open_storage(self) -> PostgresStorage:
                return PostgresStorage(pg_database, pool_size=4)

        starting = OnPostgres(api, bot_settings(api, tmp_path / "b", "webhook"), "webhook")
        await starting.start()
        try:
            assert starting.channel is not None and starting.storage is not None
            drafts = [starting.storage.load_conversation(user) for user in users]
            # The starting instance's clock stands at the drafts' last write, however long
            # its start took: its checks wait the whole album_orphan_s from the scan on.
            written = max(draft.updated_at for draft in drafts if draft is not None)
            starting.channel.service.clock = lambda: written
            # What its start-up scan does with each stored draft:
            for draft in drafts:
                assert draft is not None
                due = starting.channel.album_due(draft)
                assert due is not None
                due()
            # Right after the scan (its checks wait album_orphan_s) the live instance's
            # timer answers the first person's album.
            answering, dead = users
            service.handle(answering, AlbumEndInput(f"album-{answering.id}"))
            service.handle(answering, AlbumDeliveredInput(f"album-{answering.id}"))
            await asyncio.gather(*starting.channel.album_checks)
            await starting.channel.idle()
            assert api.messages_to(int(answering.id)) == [], "the album was answered twice"
            sent = api.messages_to(int(dead.id))  # the other's instance died: answered once
            assert len(sent) == 1, sent
        finally:
            await starting.stop()
            alive.close()


async def test_a_staff_commands_mark_is_not_made_on_the_event_loop_on_postgresql(
    pg_database: str, tmp_path
):
    """Regression: the Telegram door made its update marks in a worker thread on
    PostgreSQL (a mark is a durable commit: the event loop would wait for its WAL flush,
    and every other person's update with it), except after a staff command, an update
    with no input and a message in a group, whose marks still ran on the event loop."""
    import dataclasses
    import threading

    from tests.support.bot_api import BotAPIStandIn
    from tests.support.running_bot import RunningBot, bot_settings

    on_loop: list[bool] = []

    class Watched(PostgresStorage):
        def mark_request(self, channel: str, request_id: str) -> None:
            on_loop.append(threading.current_thread() is threading.main_thread())
            super().mark_request(channel, request_id)

    class OnPostgres(RunningBot):
        def open_storage(self) -> PostgresStorage:
            return Watched(pg_database, pool_size=4)

    async with BotAPIStandIn() as api:
        staff = api.user(810_000_050, "Staff", "ko")
        settings = dataclasses.replace(
            bot_settings(api, tmp_path / "b", "webhook"), staff_ids=frozenset({staff["id"]})
        )
        bot = OnPostgres(api, settings, "webhook")
        await bot.start()
        try:
            assert await bot.process(api.command_update(staff, "/stats"))
            group = api.text_update(staff, "hello", chat_type="group", chat_id=-100_500)
            assert await api.deliver(group) == 200
            assert on_loop == [False, False], on_loop
        finally:
            await bot.stop()
