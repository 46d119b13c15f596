"""Builders of drafts and evidence for the staff tests (plain functions, importable by tests)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from flows.policy import KST
from storage.base import Storage
from storage.records import Case, CaseDraft, EvidenceRef

# 2022-10-19 09:00 KST, the first morning of the real intake.
FIRST_DAY = dt.datetime(2022, 10, 19, 9, 0, tzinfo=KST).timestamp()

_ids = itertools.count(1)

AddCase = Callable[..., Case]


def draft(**overrides) -> CaseDraft:
    """A small business's free-service loss of 250,000 KRW; keywords override fields."""
    n = next(_ids)
    fields = {
        "draft_id": f"draft-{n}",
        "user_id": 5_000_000_000 + n,
        "lang": "ko",
        "policy_id": "kakao_1015",
        "reporter_type": "small_business",
        "service": "talk_channel",
        "paid": False,
        "monetary": True,
        "tier": "cash_30k",
        "amount": 250_000,
        "tentative_support": 30_000,
        "channel_cash": True,
        "business_number": "220-81-62517",
        "description": "예약 문의를 받지 못해 매출이 줄었어요",
        "answers": {"reporter_type": "small_business", "amount": "25만원"},
    }
    fields.update(overrides)
    return CaseDraft(**fields)


def evidence(store: Storage, data: bytes, name: str, mime: str = "image/jpeg") -> EvidenceRef:
    """Store bytes as evidence and return the reference a case keeps."""
    return EvidenceRef(sha256=store.put_evidence(data), name=name, mime=mime, size=len(data))
