"""Statistics on hand-made index rows, and their text in Korean and English."""

from __future__ import annotations

import datetime as dt
import itertools

from bot.staff.stats import compute_stats, render_text
from flows.policy import KST, Policy
from storage.records import CaseStatus, CaseSummary

_numbers = itertools.count(1)


def row(
    when: tuple[int, ...],
    *,
    reporter_type="general",
    paid=False,
    monetary=False,
    amount=None,
    tier="non_monetary",
    status=CaseStatus.SUBMITTED,
):
    at = dt.datetime(*when, tzinfo=KST).timestamp()
    return CaseSummary(
        case_number=f"C{next(_numbers)}",
        user_id=next(_numbers),
        submitted_at=at,
        updated_at=at,
        status=status,
        tier=tier,
        reporter_type=reporter_type,
        service="kakaotalk",
        paid=paid,
        monetary=monetary,
        amount=amount,
        final_amount=None,
    )


def sample() -> list[CaseSummary]:
    sb = {"reporter_type": "small_business", "monetary": True}
    return [
        row((2022, 10, 19, 0, 0)),  # the first second of the 19th in Korea
        row((2022, 10, 19, 23, 59), paid=True, tier="paid_terms"),
        row((2022, 10, 19, 12, 0), **sb, amount=200_000, tier="cash_30k"),
        row((2022, 10, 19, 13, 0), **sb, amount=400_000, tier="cash_50k"),
        row((2022, 10, 21, 9, 0), **sb, amount=900_000, tier="review", status=CaseStatus.APPROVED),
        row((2022, 10, 21, 9, 30), **sb, amount=None, tier="review"),
        row((2022, 10, 21, 10, 0), monetary=True, amount=50_000, tier="general_package"),
        row(
            (2022, 10, 21, 11, 0),
            reporter_type="company",
            paid=True,
            monetary=True,
            tier="paid_terms",
        ),
    ]


def test_counts():
    stats = compute_stats(sample())
    assert stats.total == 8
    assert dict(stats.by_reporter_type) == {"small_business": 4, "general": 3, "company": 1}
    assert (stats.paid, stats.free) == (2, 6)
    assert (stats.monetary, stats.non_monetary) == (6, 2)
    assert stats.free_monetary == 5
    assert stats.by_tier["review"] == 2 and stats.by_tier["paid_terms"] == 2
    assert dict(stats.by_status) == {"submitted": 7, "approved": 1}


def test_cases_per_korean_day_with_empty_days():
    stats = compute_stats(sample())
    assert dict(stats.per_day) == {"2022-10-19": 4, "2022-10-20": 0, "2022-10-21": 4}


def test_median_loss_per_reporter_type():
    stats = compute_stats(sample())
    # small business: 200k, 400k, 900k (the case without an amount does not count)
    assert dict(stats.median_loss) == {"general": 50_000, "small_business": 400_000}
    assert dict(stats.loss_cases) == {"general": 1, "small_business": 3}


def test_to_dict_is_plain_json():
    data = compute_stats(sample()).to_dict()
    assert data["total"] == 8
    assert data["per_day"]["2022-10-20"] == 0
    assert isinstance(data["by_status"], dict)


def test_no_cases():
    stats = compute_stats([])
    assert stats.total == 0 and dict(stats.per_day) == {} and dict(stats.median_loss) == {}


def test_render_korean(policy: Policy):
    text = render_text(compute_stats(sample()), policy, "ko")
    assert text.startswith("접수 통계 — 카카오 1015 피해지원")
    assert "전체 8건" in text
    assert "소상공인" in text and "일반 이용자" in text
    assert "2022-10-20" in text
    assert "400,000원" in text
    assert "이용자 지원 패키지 (문의·의견)" in text  # two tiers share a reporter-facing name
    line = next(line for line in text.splitlines() if "소상공인" in line and "건" in line)
    assert "4건" in line and "50.0%" in line


def test_render_english(policy: Policy):
    text = render_text(compute_stats(sample()), policy, "en")
    assert "Total 8" in text
    assert "Small business" in text and "Committee review" in text
    assert "KRW 400,000" in text


def test_render_empty(policy: Policy):
    assert "접수된 건이 없어요." in render_text(compute_stats([]), policy, "ko")
