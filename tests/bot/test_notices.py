"""Notices through each channel's notifier: pushed, kept in a mailbox, retried, never dropped."""

from __future__ import annotations

import pytest

from bot.intake import IntakeService
from bot.notices import RETRY_FIRST_WAIT, Notices, retry_at
from flows.conversation import IntakeFlow
from flows.identity import UserKey
from flows.messages import Button, CommandInput, Reply
from flows.policy import load_policy
from tests.support.users import tg

WEB = UserKey("webtest", "p1")
NEWS = [Reply("심사 결과가 나왔어요.", ((Button("서류 보내기", "docs:K-1"),),))]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class PushNotifier:
    """A channel that pushes, failing while ``down``."""

    def __init__(self, channel: str = "telegram") -> None:
        self.channel = channel
        self.pushes = True
        self.down = False
        self.got: list[tuple[UserKey, list[Reply]]] = []

    async def deliver(self, user_id: UserKey, replies: list[Reply]) -> None:
        if self.down:
            raise ConnectionError("the channel is unreachable")
        self.got.append((user_id, replies))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(storage, clock) -> IntakeService:
    return IntakeService(IntakeFlow(load_policy()), storage, clock=clock)


@pytest.fixture
def notices(service) -> Notices:
    return service.notices


async def test_a_channel_that_cannot_push_keeps_a_mailbox_shown_once(notices, storage):
    """Regression: a person on a channel that cannot push was never told a staff decision."""
    posted = await notices.post(WEB, NEWS, kind="review", case_number="K-1")
    assert posted.delivered_at is None
    assert storage.get_notice(posted.notice_id) == posted  # stored before anything else
    assert notices.unread_count(WEB) == 1
    shown = notices.take_mailbox(WEB)
    assert [r.text for r in shown] == ["읽지 않은 알림이 1개 있어요.", "심사 결과가 나왔어요."]
    assert shown[1].buttons == NEWS[0].buttons
    assert notices.take_mailbox(WEB) == []  # exactly once
    assert notices.unread_count(WEB) == 0
    assert storage.get_notice(posted.notice_id).delivered_at is not None


async def test_the_unread_line_speaks_the_persons_language(notices, storage):
    storage.save_user_lang(WEB, "en")
    await notices.post(WEB, NEWS, kind="review")
    await notices.post(WEB, [Reply("second")], kind="staff_message")
    assert notices.take_mailbox(WEB)[0].text == "You have 2 unread notices."


async def test_a_pushing_channel_delivers_at_once(notices, storage):
    push = PushNotifier()
    notices.register(push)
    posted = await notices.post(tg(5), NEWS, kind="review")
    assert posted.delivered_at is not None and push.got == [(tg(5), NEWS)]
    assert storage.undelivered_notices() == []
    assert notices.take_mailbox(tg(5)) == []


async def test_a_failed_push_is_kept_and_retried_later_never_dropped(notices, storage, clock):
    """Regression: a notice that could not be pushed was only audited, never tried again."""
    push = PushNotifier()
    push.down = True
    notices.register(push)
    posted = await notices.post(tg(5), NEWS, kind="review")
    assert (posted.delivered_at, posted.attempts, posted.last_error) == (None, 1, "ConnectionError")
    assert notices.retries_due(clock.now) == []  # not again at once
    clock.now += RETRY_FIRST_WAIT
    assert [n.notice_id for n in notices.retries_due(clock.now)] == [posted.notice_id]
    again = await notices.push(posted)  # still down: waits longer now
    assert again.attempts == 2 and retry_at(again) == clock.now + 2 * RETRY_FIRST_WAIT
    push.down = False
    clock.now += 2 * RETRY_FIRST_WAIT
    (due,) = notices.retries_due(clock.now)
    assert (await notices.push(due)).delivered_at == clock.now
    assert push.got == [(tg(5), NEWS)] and storage.undelivered_notices() == []


async def test_a_failed_push_is_shown_when_the_person_writes_first(service, notices, storage):
    push = PushNotifier()
    push.down = True
    notices.register(push)
    posted = await notices.post(tg(5), NEWS, kind="review")
    replies = service.handle(tg(5), CommandInput("status"))
    assert [r.text for r in replies[:2]] == [
        "읽지 않은 알림이 1개 있어요.",
        "심사 결과가 나왔어요.",
    ]
    assert storage.get_notice(posted.notice_id).delivered_at is not None
    push.down = False
    assert (await notices.push(posted)).delivered_at is not None
    assert push.got == []  # seen in the reply: not pushed a second time


async def test_posting_with_an_id_twice_keeps_one_notice(notices, storage):
    push = PushNotifier()
    notices.register(push)
    first = await notices.post(tg(5), NEWS, kind="reminder", notice_id="remind:telegram:5:1")
    second = await notices.post(tg(5), NEWS, kind="reminder", notice_id="remind:telegram:5:1")
    assert first == second and len(push.got) == 1


async def test_the_mailbox_comes_before_the_answer_to_the_next_input(service, notices):
    await notices.post(WEB, NEWS, kind="review")
    replies = service.handle(WEB, CommandInput("status"))
    assert [r.text for r in replies[:2]] == [
        "읽지 않은 알림이 1개 있어요.",
        "심사 결과가 나왔어요.",
    ]
    assert len(replies) == 3  # then the answer to /status
    assert len(service.handle(WEB, CommandInput("status"))) == 1


async def test_a_notice_dropped_while_it_is_pushed_ends_the_push_quietly(notices, storage):
    """Regression: a draft's reminder dropped by /delete_my_data (on another instance)
    while this one pushed it made marking it delivered raise NoticeNotFound out of the
    push (the scheduler's round logged a failure; a post raised to its caller)."""
    tg_user = tg(41)

    class DroppingNotifier(PushNotifier):
        async def deliver(self, user_id: UserKey, replies: list[Reply]) -> None:
            await super().deliver(user_id, replies)
            storage.drop_caseless_notices(user_id)  # the person deleted their data meanwhile

    notices.register(DroppingNotifier())
    posted = await notices.post(tg_user, [Reply("작성하던 접수가 남아 있어요.")], kind="reminder")
    assert posted.delivered_at is None and storage.get_notice(posted.notice_id) is None
    assert storage.undelivered_notices(tg_user) == []
    assert notices.retries_due(float("inf")) == []

    class DroppingThenFailing(PushNotifier):  # dropped, then the push fails
        async def deliver(self, user_id: UserKey, replies: list[Reply]) -> None:
            storage.drop_caseless_notices(user_id)
            raise ConnectionError("the channel is unreachable")

    notices.register(DroppingThenFailing())
    posted = await notices.post(tg_user, [Reply("작성하던 접수가 남아 있어요.")], kind="reminder")
    assert storage.get_notice(posted.notice_id) is None
    assert notices.retries_due(float("inf")) == []  # nothing left to retry


async def test_a_notice_another_instance_is_pushing_is_not_also_shown_in_the_mailbox(
    pg_database, clock
):
    """Regression (two instances, tests/bot/test_two_instances.py: "2 reminders sent, 1
    stored"): a person's request reaching instance B while instance A pushed their
    reminder showed it in B's mailbox too, so the person got it twice."""
    from storage.postgres import PostgresStorage
    from storage.postgres_claims import NOTICE_LEASE_S

    a = PostgresStorage(pg_database)
    b = PostgresStorage(pg_database)
    try:
        person = tg(7)
        stored = await Notices(a, lang_of=lambda _: "ko", clock=clock).post(
            person, NEWS, kind="reminder"
        )
        # Instance A has claimed the push and is sending it right now.
        assert a.claim_notice(stored.notice_id, clock(), NOTICE_LEASE_S) is not None
        b_notices = Notices(b, lang_of=lambda _: "ko", clock=clock)
        assert b_notices.take_mailbox(person) == []
        assert b.get_notice(stored.notice_id).delivered_at is None  # A's push records it
        # A push that failed ends the lease: the next request shows it after all.
        a.mark_notice_failed(stored.notice_id, clock(), "ConnectionError")
        shown = b_notices.take_mailbox(person)
        assert [r.text for r in shown[1:]] == [NEWS[0].text]
    finally:
        a.close()
        b.close()
