"""The PostgreSQL store through a server crash: the first call once it is back is served.

Each test runs a server of its own (tests/support/postgres_server.py), durable
(``synchronous_commit`` and ``fsync`` on), since it crashes it. Nothing here measures
time: the tests count failures; ``bench/pg_restart.py`` prints how long serving again takes.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from storage import StorageError
from storage.postgres import DatabaseUnavailable, PostgresStorage
from tests.support.users import tg


def _failures(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls in order; the exceptions they raised, by type."""
    failed = []
    for call in calls:
        try:
            call()
        except Exception as exc:
            failed.append(type(exc).__name__)
    return failed


def _fill_pool(store: PostgresStorage, n: int) -> None:
    """Leave ``n`` idle connections in the store's pool, as a busy moment does."""
    held = [store._pool.pool.getconn() for _ in range(n)]
    for conn in held:
        store._pool.pool.putconn(conn)
    assert store._pool.pool.get_stats()["pool_available"] >= n


def test_the_first_call_after_an_immediate_restart_is_served(own_server, make_draft):
    """Regression: after ``pg_ctl restart -m immediate`` a pool holding several idle
    connections checked the dead ones one by one with a growing sleep between
    (psycopg_pool's check back-off: 1 + 2 + 4 + 8 + 16 s), so the first call waited for
    its whole 30 s and failed with PoolTimeout although the server was back."""
    store = PostgresStorage(own_server.create_database("crash"), pool_size=10)
    try:
        case = store.create_case(make_draft(), now=1.0)
        store.save_user_lang(tg(1), "ko")
        _fill_pool(store, 8)
        own_server.restart("immediate")  # a crash, recovery, then accepting again
        seen: dict[str, object] = {}
        failed = _failures(
            [
                lambda: seen.setdefault("case", store.get_case(case.case_number)),
                lambda: store.save_user_lang(tg(1), "en"),
                lambda: seen.setdefault("lang", store.load_user_lang(tg(1))),
            ]
        )
        assert failed == []
        # Nothing acknowledged before the crash is lost (commits are durable).
        assert seen == {"case": case, "lang": "en"}
    finally:
        store.close()


def test_a_call_during_an_outage_fails_as_a_storage_error_and_the_next_one_is_served(
    own_server, make_draft
):
    """Regression: while the server was down a call waited for the pool's 30 s and raised
    psycopg_pool's PoolTimeout (not a StorageError), and the reconnect attempts it
    started backed off (1, 2, 4 ... s), so the server coming back was noticed late."""
    store = PostgresStorage(own_server.create_database("outage"), pool_size=10)
    try:
        case = store.create_case(make_draft(), now=1.0)
        _fill_pool(store, 4)
        own_server.halt()
        with pytest.raises(StorageError) as raised:
            store.load_user_lang(tg(1))
        assert isinstance(raised.value, DatabaseUnavailable)
        assert not isinstance(raised.value, psycopg.Error)
        own_server.resume()
        failed = _failures(
            [
                lambda: store.save_user_lang(tg(1), "en"),
                lambda: store.get_case(case.case_number),
            ]
        )
        assert failed == []
        assert store.load_user_lang(tg(1)) == "en"
        assert store.get_case(case.case_number) == case
    finally:
        store.close()
