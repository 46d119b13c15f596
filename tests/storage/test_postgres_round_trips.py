"""How many round trips to the server one update costs on PostgreSQL, and that the cheap
paths stay correct.

Every statement is a round trip (a wait for the server, work in both processes); a
transaction or savepoint adds two (BEGIN/SAVEPOINT, COMMIT/RELEASE). bench/e2e.py
--store postgres showed a PostgreSQL instance spending far more CPU per update than a
TinyDB one, much of it in psycopg waiting on 17 round trips per update. Counted here
at the psycopg layer: ``Connection.execute`` calls (the pool's check of a connection
it hands out is one) and ``Connection.transaction`` blocks, two each.
"""

from __future__ import annotations

import contextlib
from collections import Counter

import psycopg
import pytest

from storage.postgres import PostgresStorage
from storage.postgres_turns import check_lent
from tests.support.users import tg

TELEGRAM = "telegram"


@pytest.fixture
def pg(pg_database):
    opened = PostgresStorage(pg_database, pool_size=2)
    yield opened
    opened.close()


@pytest.fixture
def round_trips(monkeypatch):
    """Count what the store sends: statements, and transaction blocks (entered)."""
    counted: Counter[str] = Counter()
    execute, transaction = psycopg.Connection.execute, psycopg.Connection.transaction

    def counting_execute(self, query, *args, **kwargs):
        text = query if isinstance(query, str) else repr(query)
        counted["statements"] += 1
        counted["checks" if text == "" else "queries"] += 1
        return execute(self, query, *args, **kwargs)

    @contextlib.contextmanager
    def counting_transaction(self, *args, **kwargs):
        counted["transactions"] += 1
        with transaction(self, *args, **kwargs) as tx:
            yield tx

    monkeypatch.setattr(psycopg.Connection, "execute", counting_execute)
    monkeypatch.setattr(psycopg.Connection, "transaction", counting_transaction)
    return counted


def total(counted: Counter[str]) -> int:
    return counted["statements"] + 2 * counted["transactions"]


def test_marking_a_claimed_request_replied_is_one_statement(pg, round_trips):
    """Regression: mark_request opened a transaction around its UPDATE (BEGIN, UPDATE,
    COMMIT: three round trips and a check) for the request its turn had claimed."""
    with pg.user_turn(tg(1), (TELEGRAM, "501")) as claimed:
        assert claimed
    round_trips.clear()
    pg.mark_request(TELEGRAM, "501")
    assert round_trips["transactions"] == 0, round_trips
    assert round_trips["queries"] == 1, round_trips
    assert pg.seen_request(TELEGRAM, "501")
    assert not pg.take_unreplied(TELEGRAM, "501", wait=0)  # marked replied


def test_marking_an_unclaimed_request_still_stores_it(pg):
    """The cheap path must not lose the other case: a request no turn claimed is stored."""
    assert not pg.seen_request(TELEGRAM, "777")
    pg.mark_request(TELEGRAM, "777")
    assert pg.seen_request(TELEGRAM, "777")
    assert not pg.take_unreplied(TELEGRAM, "777", wait=0)


def test_releasing_a_draft_that_holds_nothing_is_one_statement(pg, round_trips):
    """Regression: release_evidence opened a transaction (inside a turn a savepoint) for
    the read that finds nothing held, every update: three round trips for one."""
    with pg.user_turn(tg(2), None):
        round_trips.clear()
        assert pg.release_evidence("draft:telegram:2") == []
    assert round_trips["transactions"] == 0, round_trips
    assert round_trips["queries"] == 1, round_trips


def test_releasing_held_evidence_still_deletes_it(pg):
    """The read before the transaction changes nothing when something is held."""
    digest = pg.put_evidence(b"receipt", holder="draft:telegram:3")
    kept = pg.put_evidence(b"kept", holder="draft:telegram:3")
    with pg.user_turn(tg(3), None):
        assert pg.release_evidence("draft:telegram:3", keep=[kept]) == [digest]
    assert not pg.blobs.exists(digest) and pg.blobs.exists(kept)


def test_a_healthy_pooled_connection_is_handed_out_without_a_query(pg, round_trips):
    """Regression: the pool checked every connection it handed out with an empty query,
    a round trip before each of the three checkouts of an update."""
    pg.seen_request(TELEGRAM, "1")
    round_trips.clear()
    pg.seen_request(TELEGRAM, "2")
    assert round_trips["checks"] == 0, round_trips
    assert round_trips["queries"] == 1, round_trips


def test_a_connection_the_server_ended_is_not_handed_out(pg_database):
    """The check still refuses a connection whose server process is gone (a restart, an
    administrator's pg_terminate_backend): the pool replaces it, the caller never sees it."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        check_lent(conn)  # alive: passes
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (conn.info.backend_pid,))
        with pytest.raises(psycopg.OperationalError):
            check_lent(conn)


def test_a_store_answers_after_its_connections_were_terminated(pg, pg_database):
    """Every pooled connection ended by the server: the next calls get fresh ones."""
    pg.mark_request(TELEGRAM, "900")
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert pg.seen_request(TELEGRAM, "900")
    pg.mark_request(TELEGRAM, "901")
    assert pg.seen_request(TELEGRAM, "901")


def test_a_turn_locks_and_claims_in_one_statement(pg, round_trips):
    """Regression: the person's advisory lock and the request's claim were two statements
    (two round trips) at the start of every turn; one statement takes the lock, then
    inserts the claim (the lock is its CTE, evaluated first)."""
    with pg.user_turn(tg(5), (TELEGRAM, "601")) as claimed:
        assert claimed
        assert round_trips["queries"] == 1 and round_trips["transactions"] == 1, round_trips
    with pg.user_turn(tg(5), (TELEGRAM, "601")) as claimed:  # a duplicate
        assert not claimed
    with pg.user_turn(tg(5), None) as claimed:  # no request: the lock alone
        assert claimed


def test_a_claim_waits_for_the_persons_turn_on_another_connection(pg, pg_database):
    """The claim is made under the lock: while another connection holds the person's turn
    (it has claimed the request, not yet committed), a second claim of that request
    waits, and once the first commits finds it claimed."""
    import threading

    from storage.postgres_turns import USER_LOCK_SPACE

    user = str(tg(6))
    outcome: list[bool] = []
    with psycopg.connect(pg_database, autocommit=True) as other:
        with other.transaction():
            other.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (USER_LOCK_SPACE, user))
            other.execute(
                "INSERT INTO processed_requests (channel, request_id) VALUES (%s, %s)",
                (TELEGRAM, "701"),
            )

            def second() -> None:
                with pg.user_turn(tg(6), (TELEGRAM, "701")) as claimed:
                    outcome.append(claimed)

            worker = threading.Thread(target=second)
            worker.start()
            worker.join(0.5)
            assert worker.is_alive() and outcome == []  # waiting for the lock
        worker.join(10)
    assert outcome == [False]


def test_one_update_takes_at_most_eight_round_trips(pg, round_trips, make_conversation):
    """What the door and the intake do for one update of a person with nothing held and
    no notice waiting: the turn (lock and claim, load, save, release, the mailbox), the
    reply's mark. Regression: 17 round trips (3 pool checks, 3 transactions or savepoints
    of which 2 avoidable, the lock and the claim apart), then 9 with the door's seen check
    (no longer asked before a turn on PostgreSQL), now 8."""
    user = tg(4)
    pg.save_conversation(make_conversation(user_id=user))
    round_trips.clear()
    with pg.user_turn(user, (TELEGRAM, "1001")) as claimed:
        assert claimed
        record = pg.load_conversation(user)
        assert record is not None
        pg.save_conversation(record)
        pg.release_evidence(f"draft:{user}", keep=[])
        assert pg.undelivered_notices(user) == []
    pg.mark_request(TELEGRAM, "1001")
    assert total(round_trips) <= 8, round_trips


@pytest.fixture
def hand_offs(monkeypatch):
    """The worker-thread calls the Telegram door makes (``asyncio.to_thread`` from
    bot/telegram.py and its marks, bot/request_marks.py), by the name of what each runs."""
    import asyncio
    import sys

    made: list[str] = []
    to_thread = asyncio.to_thread

    def counting(func, /, *args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__") in ("bot.telegram", "bot.request_marks"):
            made.append(getattr(func, "__qualname__", repr(func)))
        return to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    return made


async def test_an_update_through_the_telegram_door_is_two_hand_offs(
    pg_database, tmp_path, round_trips, hand_offs
):
    """Regression: the Telegram door asked ``seen_request`` in a worker thread before the
    turn (a round trip and a thread hand-off per update), though the turn's claim (``ON
    CONFLICT DO NOTHING``) finds a duplicate by itself: three hand-offs (seen, turn, mark)
    and nine round trips per update (bench/e2e.py --store postgres: an instance behind the
    balancer cost 1.5x TinyDB's CPU per update). Now the turn (the claim, the intake, the
    mailbox) and, after the reply, the mark: two. A duplicate of the answered update still
    sends nothing, and is not processed again."""
    from tests.support.bot_api import BotAPIStandIn
    from tests.support.running_bot import RunningBot, bot_settings

    class OnPostgres(RunningBot):
        def open_storage(self) -> PostgresStorage:
            return PostgresStorage(pg_database, pool_size=4)

    async with BotAPIStandIn() as api:
        bot = OnPostgres(api, bot_settings(api, tmp_path / "data", "webhook"), "webhook")
        await bot.start()
        try:
            person = api.user(820_000_001, "User", "ko")
            assert await bot.process(api.command_update(person, "/start"))
            hand_offs.clear()
            round_trips.clear()
            update = api.text_update(person, "안녕하세요")
            assert await bot.process(update)
            assert hand_offs == ["IntakeService.handle_request", "PostgresStorage.mark_requests"]
            # The claim with its BEGIN and COMMIT, load, save, release, mailbox, mark.
            assert total(round_trips) <= 8, round_trips
            assert bot.storage.seen_request(TELEGRAM, str(update["update_id"]))
            before = bot.storage.load_conversation(tg(820_000_001))
            assert await bot.process(update) == []  # a duplicate: nothing sent, nothing done
            assert bot.storage.load_conversation(tg(820_000_001)) == before
        finally:
            await bot.stop()


def test_the_marks_of_several_claimed_requests_are_one_statement(pg, round_trips):
    """Regression: each answered mark was a statement (a commit) of its own; the marks the
    door makes together (bot/request_marks.py) are one. One no turn claimed is stored."""
    for n in (1101, 1102, 1103):
        with pg.user_turn(tg(n), (TELEGRAM, str(n))) as claimed:
            assert claimed
    round_trips.clear()
    pg.mark_requests([(TELEGRAM, "1101"), (TELEGRAM, "1102"), (TELEGRAM, "1103")])
    assert round_trips["queries"] == 1 and round_trips["transactions"] == 0, round_trips
    pg.mark_requests([(TELEGRAM, "1104"), ("webchat", "1101")])  # no turn claimed these
    for request in ((TELEGRAM, "1101"), (TELEGRAM, "1102"), (TELEGRAM, "1103"),
                    (TELEGRAM, "1104"), ("webchat", "1101")):  # fmt: skip
        assert pg.seen_request(*request), request
        assert not pg.take_unreplied(*request, wait=0)
    assert not pg.seen_request(TELEGRAM, "1105")
    with pytest.raises(ValueError):
        pg.mark_requests([(TELEGRAM, "")])
