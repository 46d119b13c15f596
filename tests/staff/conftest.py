"""Fixtures for the staff tools: the 1015 policy and a builder of stored cases.

The storages (``store`` once per kind, ``memory_store``) come from tests/conftest.py.
"""

from __future__ import annotations

import pytest

from flows.policy import Policy, load_policy
from storage.base import Storage
from storage.memory import MemoryStorage
from tests.staff.cases import AddCase


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def add_case(store: Storage) -> AddCase:
    """Add cases to the storage under test (each test runs once per storage)."""
    return AddCase(store)


@pytest.fixture
def add_memory_case(memory_store: MemoryStorage) -> AddCase:
    return AddCase(memory_store)
