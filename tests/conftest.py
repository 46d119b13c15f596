"""Fixtures every test package shares: the storages, opened in one place.

``store`` runs a test once per storage (memory, TinyDB and PostgreSQL), for tests of
what the storage contract promises; ``tiny`` is a TinyDB on ``tmp_path`` for tests of what only a
disk can do (reopen, damage, permissions, another process). Markers are registered in
pyproject.toml (``slow``: deselected by ``make test-fast``).

PostgreSQL: one throw-away server per test session (tests/support/postgres_server.py),
started the first time a test needs it. Without the server binaries those tests skip
and say so, except under ``CI``, where they fail: CI must test every store.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.base import Storage
from storage.memory import MemoryStorage
from storage.tinydb_store import TinyDBStorage
from tests.support.postgres_server import PostgresServer, find_bindir

STORAGES = ["memory", "tinydb", "postgres"]


def open_storage(kind: str, data_dir: Path, pg_url: str | None = None, **kwargs) -> Storage:
    if kind == "memory":
        return MemoryStorage(**kwargs)
    if kind == "postgres":
        from storage.postgres import PostgresStorage

        assert pg_url is not None
        return PostgresStorage(pg_url, pool_size=4, **kwargs)
    return TinyDBStorage(data_dir, **kwargs)


NO_POSTGRES = (
    "PostgreSQL's server (initdb, pg_ctl) is not installed, so the PostgreSQL tests "
    "cannot run: install Debian's postgresql package (`make test` does it as root)"
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test session's own, on a free port in a temporary directory."""
    bindir = find_bindir()
    missing = NO_POSTGRES if bindir is None else None
    if importlib.util.find_spec("psycopg") is None:
        missing = "psycopg is not installed in this venv: run `make .venv/.installed-test`"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    assert bindir is not None
    server = PostgresServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture
def own_server(pg_server: PostgresServer) -> Iterator[PostgresServer]:
    """A durable PostgreSQL server of the test's own, for a test that stops, crashes or
    restarts it (the session's ``pg_server`` is shared; asking for it first skips or
    fails this one the same way when PostgreSQL is missing)."""
    bindir = find_bindir()
    assert bindir is not None
    server = PostgresServer(bindir, settings={}).start()
    yield server
    server.stop()


_databases = itertools.count(1)


@pytest.fixture
def pg_database(pg_server: PostgresServer) -> str:
    """The URL of a new, empty database (migrations are applied by whoever opens it)."""
    return pg_server.create_database(f"test_{os.getpid()}_{next(_databases)}")


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, storage_kind: str) -> str | None:
    """A fresh database for a ``postgres`` run of ``store``; None for the other kinds."""
    if storage_kind != "postgres":
        return None
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture(params=STORAGES)
def storage_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(storage_kind: str, data_dir: Path, pg_url: str | None) -> Iterator[Storage]:
    """Each test using it runs once per storage, like tinydb's own ``db`` fixture."""
    opened = open_storage(storage_kind, data_dir, pg_url)
    yield opened
    opened.close()


@pytest.fixture
def storage(store: Storage) -> Storage:
    """``store`` under the name the service and staff web tests give it (same runs)."""
    return store


@pytest.fixture
def make_store(
    storage_kind: str, data_dir: Path, pg_url: str | None
) -> Iterator[Callable[..., Storage]]:
    """Open a storage of the current kind with extra constructor arguments."""
    opened: list[Storage] = []

    def build(**kwargs) -> Storage:
        opened.append(open_storage(storage_kind, data_dir, pg_url, **kwargs))
        return opened[-1]

    yield build
    for each in opened:
        each.close()


@pytest.fixture
def tiny(data_dir: Path) -> Iterator[TinyDBStorage]:
    """A TinyDB storage for tests of what only a disk can do (reopen, damage, permissions)."""
    opened = TinyDBStorage(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def memory_store() -> Iterator[MemoryStorage]:
    """For tests where the storage does not matter (how cases are written out)."""
    opened = MemoryStorage()
    yield opened
    opened.close()
