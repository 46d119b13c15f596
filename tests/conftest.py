"""Fixtures every test package shares: the storages, opened in one place.

``store`` runs a test once per storage (memory and TinyDB), for tests of what the
storage contract promises; ``tiny`` is a TinyDB on ``tmp_path`` for tests of what only a
disk can do (reopen, damage, permissions, another process). Markers are registered in
pyproject.toml (``slow``: deselected by ``make test-fast``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.base import Storage
from storage.memory import MemoryStorage
from storage.tinydb_store import TinyDBStorage

STORAGES = ["memory", "tinydb"]


def open_storage(kind: str, data_dir: Path, **kwargs) -> Storage:
    if kind == "memory":
        return MemoryStorage(**kwargs)
    return TinyDBStorage(data_dir, **kwargs)


@pytest.fixture(params=STORAGES)
def storage_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(storage_kind: str, data_dir: Path) -> Iterator[Storage]:
    """Each test using it runs once per storage, like tinydb's own ``db`` fixture."""
    opened = open_storage(storage_kind, data_dir)
    yield opened
    opened.close()


@pytest.fixture
def storage(store: Storage) -> Storage:
    """``store`` under the name the service and staff web tests give it (same runs)."""
    return store


@pytest.fixture
def make_store(storage_kind: str, data_dir: Path) -> Iterator[Callable[..., Storage]]:
    """Open a storage of the current kind with extra constructor arguments."""
    opened: list[Storage] = []

    def build(**kwargs) -> Storage:
        opened.append(open_storage(storage_kind, data_dir, **kwargs))
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
