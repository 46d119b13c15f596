"""Fixtures for the staff tools: the 1015 policy, every storage, and a builder of stored cases."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.policy import Policy, load_policy
from storage.base import Storage
from storage.memory import MemoryStorage
from storage.records import Case, CaseStatus
from storage.tinydb_store import TinyDBStorage
from tests.staff.cases import FIRST_DAY, AddCase, draft

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
    """Store a case and return it as stored; ``status`` and ``final_amount`` are set after.

    Without ``at`` the cases of a test are submitted one second apart from
    2022-10-19 09:00 KST, so they list in the order they were made.
    """
    seconds = itertools.count()

    def build(
        *,
        at: float | None = None,
        status: CaseStatus | None = None,
        final_amount: int | None = None,
        **overrides,
    ) -> Case:
        at = FIRST_DAY + next(seconds) if at is None else at
        case = store.create_case(draft(**overrides), now=at)
        if status is not None or final_amount is not None:
            case = store.update_case(
                case.case_number,
                actor="staff:1",
                now=at + 60,
                status=status,
                final_amount=final_amount,
            )
        return case

    return build
