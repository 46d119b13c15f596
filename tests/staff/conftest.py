"""Fixtures for the staff tools: the 1015 policy, every storage, and a builder of stored cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.policy import Policy, load_policy
from storage.base import Storage
from storage.memory import MemoryStorage
from storage.tinydb_store import TinyDBStorage
from tests.staff.cases import AddCase

STORAGES = ["memory", "tinydb"]


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(params=STORAGES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """Each test using it runs once per storage."""
    opened: Storage = (
        MemoryStorage() if request.param == "memory" else TinyDBStorage(tmp_path / "data")
    )
    yield opened
    opened.close()


@pytest.fixture
def add_case(store: Storage) -> AddCase:
    """Add cases to the storage under test (each test runs once per storage)."""
    return AddCase(store)


@pytest.fixture
def memory_store() -> MemoryStorage:
    """For tests of how cases are written out, where the storage does not matter."""
    return MemoryStorage()


@pytest.fixture
def add_memory_case(memory_store: MemoryStorage) -> AddCase:
    return AddCase(memory_store)
