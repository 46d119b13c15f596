"""Builders of drafts, evidence and stored cases for the staff tests (importable by tests)."""

from __future__ import annotations

import datetime as dt
import itertools

from flows.policy import KST
from storage.base import Storage
from storage.records import Case, CaseChange, CaseDraft, CaseStatus, EvidenceRef
from tests.support.users import tg

# 2022-10-19 09:00 KST, the first morning of the real intake.
FIRST_DAY = dt.datetime(2022, 10, 19, 9, 0, tzinfo=KST).timestamp()

_ids = itertools.count(1)


def draft(**overrides) -> CaseDraft:
    """A small business's free-service loss of 250,000 KRW; keywords override fields."""
    n = next(_ids)
    fields = {
        "draft_id": f"draft-{n}",
        "user_id": tg(5_000_000_000 + n),
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


class AddCase:
    """Stores cases in one storage; ``status`` and ``final_amount`` are set after creation.

    Without ``at`` the cases are submitted one second apart from 2022-10-19
    09:00 KST, so they list in the order they were made.
    """

    def __init__(self, store: Storage) -> None:
        self.store = store
        self._seconds = itertools.count()

    def __call__(
        self,
        *,
        at: float | None = None,
        status: CaseStatus | None = None,
        final_amount: int | None = None,
        **overrides,
    ) -> Case:
        at = FIRST_DAY + next(self._seconds) if at is None else at
        case = self.store.create_case(draft(**overrides), now=at)
        if status is not None or final_amount is not None:
            case = self.store.update_case(
                case.case_number,
                CaseChange(actor="staff:1", now=at + 60, status=status, final_amount=final_amount),
            )
        return case
