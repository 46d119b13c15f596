"""Telegram delivering updates twice, and different users' updates out of order, has exactly one effect each."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from storage import CaseFilter
from tests.support.bot_api import BotAPIStandIn
from tests.support.running_bot import Person, RunningBot, running_bot
from tests.support.users import tg

JSONDict = dict

# Four people filing at the same time. Past the consent button everything is typed, so
# every update can be built before any is delivered (a shuffle then really reorders ids).
# user id -> (language, answers after the consent button)
SCRIPTS: dict[int, tuple[str, list[tuple[str, object]]]] = {
    6101: (  # small business with a KakaoTalk Channel: cash 50k + Channel cash
        "ko",
        [
            ("say", "2"),  # 소상공인
            ("say", "2"),  # 카카오톡 채널
            ("say", "무료"),
            ("say", "네"),
            ("say", "예약 문의 메시지를 못 받았어요"),  # what happened
            ("say", "35만 원"),
            ("say", "네"),
            ("say", "220-81-62517"),  # a Channel's damage: running one is not asked
            ("say", "건너뛰기"),
            ("say", "접수"),
        ],
    ),
    6102: (  # general user, KakaoMap, in English
        "en",
        [
            ("say", "1"),
            ("say", "4"),
            ("say", "yes"),
            ("say", "skip"),  # nothing to say about what happened
            ("say", "50000"),
            ("say", "yes"),
            ("say", "skip"),
            ("say", "submit"),
        ],
    ),
    6103: (  # a question about Daum mail, no money lost
        "ko",
        [
            ("say", "1"),
            ("say", "7"),
            ("say", "아니요"),
            ("say", "메일이 이틀 동안 안 열렸어요"),
            ("say", "접수"),
        ],
    ),
    6104: (  # a company above the brackets: goes back once, sends a receipt
        "ko",
        [
            ("say", "3"),
            ("say", "3"),  # 카카오 로그인
            ("say", "네"),
            ("say", "거래처 주문 접수가 멈췄어요"),
            ("say", "1,200만원"),
            ("say", "/back"),
            ("say", "1,300만원"),
            ("say", "네"),
            ("photo", b"\xff\xd8\xff\xe0receipt-6104"),
            ("say", "완료"),
            ("say", "접수"),
        ],
    ),
}
USERS = tuple(SCRIPTS)
_CASE_NUMBER = re.compile(r"\b[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}\b")
_PHOTO_NAME = re.compile(r"photo_\w+\.jpg")


@dataclass(frozen=True)
class Result:
    """What the people ended up with: the bot's messages to them and their cases."""

    texts: dict[int, list[str]]
    answers: dict[int, list[dict]]  # the answers of each of the user's cases
    evidence: dict[int, list[int]]  # files per case


def normalized(text: str) -> str:
    # Case numbers are random and photo names carry the stand-in's file counter.
    return _PHOTO_NAME.sub("photo.jpg", _CASE_NUMBER.sub("<case>", text))


def result_of(bot: RunningBot) -> Result:
    texts, answers, evidence = {}, {}, {}
    for user in USERS:
        texts[user] = [normalized(m.get("text", "")) for m in bot.api.messages_to(user)]
        cases = [
            bot.storage.get_case(r.case_number)
            for r in bot.storage.list_cases(CaseFilter(user_id=tg(user)))
        ]
        answers[user] = [c.answers for c in cases]
        evidence[user] = [len(c.evidence) for c in cases]
    return Result(texts, answers, evidence)


def people(bot: RunningBot) -> dict[int, Person]:
    return {user: Person(bot, user, language_code=lang) for user, (lang, _) in SCRIPTS.items()}


def opening(bot: RunningBot, persons: dict[int, Person]) -> dict[int, list[JSONDict]]:
    return {user: [bot.api.command_update(p.user, "/start")] for user, p in persons.items()}


def the_rest(bot: RunningBot, persons: dict[int, Person]) -> dict[int, list[JSONDict]]:
    """Every later update, built user after user: their ids are grouped by user."""
    api: BotAPIStandIn = bot.api
    updates = {}
    for user, person in persons.items():
        consent = api.messages_to(user)[-1]
        built = [
            api.callback_update(person.user, "consent:agree", message_id=consent["message_id"])
        ]
        for kind, value in SCRIPTS[user][1]:
            if kind == "photo":
                built.append(api.photo_update(person.user, value))
            else:
                built.append(api.text_update(person.user, value))
        updates[user] = built
    return updates


async def deliver(bot: RunningBot, update: JSONDict) -> None:
    assert await bot.api.deliver(update) == 200


# -- how updates reach the bot ---------------------------------------------------------------
Delivery = Callable[[RunningBot, dict[int, list[JSONDict]], random.Random], Awaitable[None]]


async def once_in_order(bot, per_user, rng) -> None:
    for updates in per_user.values():
        for update in updates:
            await deliver(bot, update)


async def twice_in_a_row(bot, per_user, rng) -> None:
    for updates in per_user.values():
        for update in updates:
            await deliver(bot, update)
            await deliver(bot, update)  # the acknowledgement was lost: Telegram retries


async def twice_at_once(bot, per_user, rng) -> None:
    for updates in per_user.values():
        for update in updates:
            # A retry after a timeout while the first delivery is still being processed.
            await asyncio.gather(deliver(bot, update), deliver(bot, update))


def shuffled_order(per_user: dict[int, list[JSONDict]], rng: random.Random) -> list[JSONDict]:
    """Users interleaved at random; each user's own updates stay in order, as Telegram keeps them."""
    turns = [user for user, updates in per_user.items() for _ in updates]
    rng.shuffle(turns)
    queues = {user: list(updates) for user, updates in per_user.items()}
    return [queues[user].pop(0) for user in turns]


async def users_shuffled(bot, per_user, rng) -> None:
    for update in shuffled_order(per_user, rng):
        await deliver(bot, update)


async def users_shuffled_twice(bot, per_user, rng) -> None:
    for update in shuffled_order(per_user, rng):
        await deliver(bot, update)
        await deliver(bot, update)


async def users_at_once_twice_at_once(bot, per_user, rng) -> None:
    """Every user's chain at the same time (Telegram's parallel webhook connections), each
    update delivered twice at once."""

    async def chain(updates: list[JSONDict], seed: int) -> None:
        mine = random.Random(seed)
        for update in updates:
            for _ in range(mine.randrange(3)):
                await asyncio.sleep(0)  # let the other users get ahead, differently each run
            await asyncio.gather(deliver(bot, update), deliver(bot, update))

    await asyncio.gather(*(chain(u, rng.randrange(1 << 30)) for u in per_user.values()))


async def run_scripts(bot: RunningBot, delivery: Delivery, seed: int = 0) -> None:
    rng = random.Random(seed)
    persons = people(bot)
    await delivery(bot, opening(bot, persons), rng)
    await delivery(bot, the_rest(bot, persons), rng)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Result:
    """The scripts delivered once each, in order, to a bot of their own: the reference."""

    async def run() -> Result:
        async with running_bot(tmp_path_factory.mktemp("clean") / "data", "webhook") as bot:
            await run_scripts(bot, once_in_order)
            return result_of(bot)

    return asyncio.run(run())


def test_the_clean_run_files_one_case_per_person(clean):
    for user in USERS:
        assert len(clean.answers[user]) == 1, clean.texts[user]
        assert "<case>" in clean.texts[user][-1]
    assert clean.answers[6101][0]["amount"] == 350_000
    assert clean.answers[6104][0]["amount"] == 13_000_000 and clean.evidence[6104] == [1]
    assert "Case number" in clean.texts[6102][-1]


@pytest.mark.parametrize(
    ("delivery", "seed"),
    [
        pytest.param(twice_in_a_row, 0, id="every-update-twice-in-a-row"),
        pytest.param(twice_at_once, 0, id="every-update-twice-at-once"),
        pytest.param(users_shuffled, 1, id="users-interleaved-out-of-order-1"),
        pytest.param(users_shuffled, 2, id="users-interleaved-out-of-order-2"),
        pytest.param(users_shuffled_twice, 3, id="users-out-of-order-every-update-twice"),
        pytest.param(users_at_once_twice_at_once, 4, id="users-at-once-every-update-twice-at-once"),
    ],
)
async def test_faulty_delivery_has_exactly_one_effect(tmp_path, caplog, clean, delivery, seed):
    caplog.set_level(logging.ERROR)
    async with running_bot(tmp_path / "data", "webhook") as bot:
        await run_scripts(bot, delivery, seed)
        got = result_of(bot)
        answers = [c for c in bot.api.calls if c.method == "answerCallbackQuery"]
    for user in USERS:
        # Same messages, same order, none twice: each update answered once.
        assert got.texts[user] == clean.texts[user], user
        # One case each, holding each answer once (the /back and the retyped amount included).
        assert got.answers[user] == clean.answers[user], user
        assert got.evidence[user] == clean.evidence[user], user
    # Each button press answered once; a second answer would have been refused.
    assert len(answers) == len(USERS) and all(c.ok for c in answers)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_polling_redelivery_after_a_restart_has_no_effect(tmp_path, caplog):
    """Telegram hands out an update again when the poller stopped before confirming it.

    The stand-in refuses to queue an id twice (Telegram never does), so the lost
    confirmation is made real: the getUpdates call that would confirm the update, and
    the one PTB makes on shutdown, both fail; after a restart the new poller starts from
    offset 0 and is given the same update again.
    """
    caplog.set_level(logging.ERROR)
    async with running_bot(tmp_path / "data", "polling") as bot:
        api = bot.api
        person = Person(bot, 6201)
        await person.say("/start")
        await person.press("agree")
        async with asyncio.timeout(10):
            while api.pending_update_count:  # the press is confirmed: a long poll is waiting
                await asyncio.sleep(0.01)
        before = len(api.messages_to(person.id))

        api.fail_next("getUpdates", 429, retry_after=1, times=2)
        message, data = person.find_button("small_business")
        answer = api.callback_update(person.user, data, message_id=message["message_id"])
        replies = await bot.send(answer)
        assert "어떤 서비스에서" in Person.text(replies)
        await bot.stop()
        assert api.pending_update_count == 1, "the update should still be unconfirmed"

        await bot.start()
        async with asyncio.timeout(10):
            while api.pending_update_count:  # the new poller was handed the update again
                await asyncio.sleep(0.01)
        # The person's next answer is processed after the redelivered one (same user, in
        # order), so once it is answered the redelivery is done too.
        assert "이용 형태를 알려 주세요" in await person.press("talk_channel")
        assert len(api.messages_to(person.id)) == before + 2  # one reply each, none repeated
        record = bot.storage.load_conversation(tg(person.id))
        assert record.state == "paid" and record.history == ["consent", "reporter_type", "service"]
        assert record.answers["reporter_type"] == "small_business"
    # The only errors are PTB's, about the shutdown confirmation that was made to fail.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all("get_updates" in r.getMessage() for r in errors), [
        r.getMessage() for r in errors
    ]
