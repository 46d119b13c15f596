"""Statistics on hand-made index rows, and their text in Korean and English."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re

from bot.staff.stats import compute_stats, days_in_range, default_day_range, render_text
from bot.staff.templates.charts import day_columns
from flows.identity import UserKey
from flows.policy import KST, Policy, Window
from storage.records import CaseStatus, CaseSummary
from tests.support.users import tg

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
        user_id=tg(next(_numbers)),
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


def test_render_text_labels_the_two_no_loss_counts_apart(policy: Policy):
    """Regression: "금전 피해 없음" named two different counts (the council's and the plain one)."""
    text = render_text(compute_stats(sample()), policy, "ko")
    assert re.search(r"무료 서비스 · 금전 피해 없음 +1건", text)
    assert "금전 피해 없음 (유료·무료 모두)" in text


def test_render_english(policy: Policy):
    text = render_text(compute_stats(sample()), policy, "en")
    assert "Total 8" in text
    assert "Small business" in text and "Committee review" in text
    assert "KRW 400,000" in text


def test_render_empty(policy: Policy):
    assert "접수된 건이 없어요." in render_text(compute_stats([]), policy, "ko")


def test_the_daily_chart_shows_a_date_range_not_first_to_last_case():
    """Regression: the axis ran from the first to the last case, so a few stray dates
    squashed the intake into a sliver; the chart now shows a chosen range."""
    rows = [*sample(), row((2021, 3, 1, 9, 0)), row((2023, 2, 1, 9, 0))]
    stats = compute_stats(rows)
    shown = days_in_range(stats.per_day, dt.date(2022, 10, 18), dt.date(2022, 10, 22))
    assert shown.days == {
        "2022-10-18": 0,
        "2022-10-19": 4,
        "2022-10-20": 0,
        "2022-10-21": 4,
        "2022-10-22": 0,
    }
    assert (shown.before, shown.after) == (1, 1)


def test_default_range_is_the_claim_window_else_the_last_30_days(policy: Policy):
    today = dt.date(2022, 11, 30)
    assert default_day_range(policy, today) == (dt.date(2022, 11, 1), today)
    windowed = dataclasses.replace(
        policy,
        windows=(
            Window(("small_business",), dt.date(2022, 10, 19), dt.date(2022, 11, 18)),
            Window(("general",), dt.date(2022, 10, 20), dt.date(2022, 12, 2)),
        ),
    )
    assert default_day_range(windowed, today) == (dt.date(2022, 10, 19), dt.date(2022, 12, 2))


def test_day_labels_carry_the_year_when_the_range_crosses_one_and_fit_the_chart():
    """Regression: dates had no year, and the last label was cut ("12/")."""
    days = {(dt.date(2022, 12, 20) + dt.timedelta(days=i)).isoformat(): i for i in range(25)}
    svg = day_columns(days, title="t", unit="{n}", width=360, labels=4)
    texts = re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"[^>]*>([^<]+)</text>', svg
    )
    dates = [(float(x), anchor, label) for x, anchor, label in texts if "-" in label]
    assert dates[0][2] == "2022-12-20" and dates[-1][2] == "2023-01-13"
    assert dates[-1][1] == "end" and dates[-1][0] <= 360  # ends inside the picture
    assert dates[0][1] == "start"
    same_year = {f"2022-10-{d:02d}": 1 for d in range(19, 31)}
    svg = day_columns(same_year, title="t", unit="{n}", width=360, labels=4)
    labels = re.findall(r'text-anchor="\w+">([^<]+)</text>', svg)
    assert labels[3:] == ["10/19", "10/23", "10/26", "10/30"]  # after the y axis' three


def test_reports_are_counted_per_channel(policy: Policy):
    """Regression: cases record the channel they came by, but the statistics did not count it."""
    rows = sample()
    rows[0] = dataclasses.replace(rows[0], user_id=UserKey("console", "1"))
    stats = compute_stats(rows)
    assert dict(stats.by_channel) == {"telegram": 7, "console": 1}
    assert stats.to_dict()["by_channel"] == {"telegram": 7, "console": 1}
    text = render_text(stats, policy, "ko")
    assert "접수 경로" in text and re.search(r"텔레그램\s+7건", text), text
    assert "Channel" in render_text(stats, policy, "en")
