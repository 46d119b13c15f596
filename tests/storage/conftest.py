"""Fixtures for the storage tests: builders of drafts and conversations.

The storages themselves (``store``, ``make_store``, ``tiny``) come from tests/conftest.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.records import CaseDraft
from tests.support.users import tg

USER_42 = tg(42)

_ids = itertools.count(1)


@pytest.fixture
def make_draft() -> Callable[..., CaseDraft]:
    """Return a builder of plausible drafts; keyword arguments override fields."""

    def build(**overrides) -> CaseDraft:
        n = next(_ids)
        fields = {
            "draft_id": f"draft-{n}",
            "user_id": tg(1000 + n),
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
    def build(user_id: UserKey = USER_42, **overrides) -> ConversationRecord:
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
