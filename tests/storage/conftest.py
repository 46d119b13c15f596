"""Fixtures for the storage tests: every storage behind one parametrised fixture."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flows.record import ConversationRecord
from storage.base import Storage
from storage.memory import MemoryStorage
from storage.records import CaseDraft
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
def store(storage_kind: str, tmp_path: Path) -> Iterator[Storage]:
    """Each contract test runs once per storage, like tinydb's own ``db`` fixture."""
    opened = open_storage(storage_kind, tmp_path / "data")
    yield opened
    opened.close()


@pytest.fixture
def make_store(storage_kind: str, tmp_path: Path) -> Iterator[Callable[..., Storage]]:
    """Open a storage of the current kind with extra constructor arguments."""
    opened: list[Storage] = []

    def build(**kwargs) -> Storage:
        opened.append(open_storage(storage_kind, tmp_path / "data", **kwargs))
        return opened[-1]

    yield build
    for each in opened:
        each.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def tiny(data_dir: Path) -> Iterator[TinyDBStorage]:
    """A TinyDB storage for tests of what only a disk can do (reopen, damage, permissions)."""
    opened = TinyDBStorage(data_dir)
    yield opened
    opened.close()


_ids = itertools.count(1)


@pytest.fixture
def make_draft() -> Callable[..., CaseDraft]:
    """Return a builder of plausible drafts; keyword arguments override fields."""

    def build(**overrides) -> CaseDraft:
        n = next(_ids)
        fields = {
            "draft_id": f"draft-{n}",
            "user_id": 1000 + n,
            "lang": "ko",
            "policy_id": "kakao_1015",
            "reporter_type": "small_business",
            "service": "kakaotalk_channel",
            "paid": False,
            "monetary": True,
            "tier": "cash_30000",
            "amount": 250_000,
            "tentative_support": 30_000,
            "description": "예약 문의를 받지 못해 매출이 줄었습니다",
            "answers": {"reporter_type": "small_business", "amount": "25만원"},
        }
        fields.update(overrides)
        return CaseDraft(**fields)

    return build


@pytest.fixture
def make_conversation() -> Callable[..., ConversationRecord]:
    def build(user_id: int = 42, **overrides) -> ConversationRecord:
        fields = {
            "state": "ask_amount",
            "answers": {"reporter_type": "general", "service": "kakaotalk"},
            "history": ["ask_reporter_type", "ask_service"],
            "draft_id": f"conv-draft-{user_id}",
            "created_at": 1_666_000_000.0,
            "updated_at": 1_666_000_060.0,
        }
        fields.update(overrides)
        return ConversationRecord(user_id=user_id, **fields)

    return build
