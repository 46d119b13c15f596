"""The breakdown of reports the compensation council worked from, computed from index rows only."""

from __future__ import annotations

import datetime as dt
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.staff.exports import Labels
from flows.policy import Policy
from storage.records import CaseStatus, CaseSummary

_KST_OFFSET = 9 * 3600
_DAY = 86400
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class CaseStats:
    """Counts of submitted cases; keys are the ids cases store (names come with rendering).

    ``free_monetary`` is the council's middle group: money lost on a free
    service (``paid`` counts damage to a paid service, monetary or not).
    ``per_day`` runs from the first to the last day with a case, Korean dates,
    days without cases included as 0. ``median_loss`` is over monetary cases
    with an amount, per reporter type; ``loss_cases`` says how many that was.
    """

    total: int
    by_reporter_type: Mapping[str, int]
    paid: int
    free: int
    monetary: int
    non_monetary: int
    free_monetary: int
    by_tier: Mapping[str, int]
    by_status: Mapping[str, int]
    per_day: Mapping[str, int]
    median_loss: Mapping[str, float]
    loss_cases: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible copy."""
        return {
            "total": self.total,
            "by_reporter_type": dict(self.by_reporter_type),
            "paid": self.paid,
            "free": self.free,
            "monetary": self.monetary,
            "non_monetary": self.non_monetary,
            "free_monetary": self.free_monetary,
            "by_tier": dict(self.by_tier),
            "by_status": dict(self.by_status),
            "per_day": dict(self.per_day),
            "median_loss": dict(self.median_loss),
            "loss_cases": dict(self.loss_cases),
        }


def compute_stats(rows: Iterable[CaseSummary]) -> CaseStats:
    """Count the rows (e.g. ``storage.list_cases()``) in one pass."""
    total = paid = monetary = free_monetary = 0
    types: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    days: Counter[int] = Counter()
    amounts: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        total += 1
        types[row.reporter_type] += 1
        tiers[row.tier] += 1
        statuses[row.status] += 1
        # Whole days since the epoch in Korean time: no datetime per row.
        days[int((row.submitted_at + _KST_OFFSET) // _DAY)] += 1
        if row.paid:
            paid += 1
        if row.monetary:
            monetary += 1
            if not row.paid:
                free_monetary += 1
            if row.amount is not None:
                amounts[row.reporter_type].append(row.amount)
    per_day: dict[str, int] = {}
    if days:
        for day in range(min(days), max(days) + 1):
            per_day[(_EPOCH + dt.timedelta(days=day)).isoformat()] = days.get(day, 0)
    return CaseStats(
        total=total,
        by_reporter_type=dict(types.most_common()),
        paid=paid,
        free=total - paid,
        monetary=monetary,
        non_monetary=total - monetary,
        free_monetary=free_monetary,
        by_tier=dict(tiers.most_common()),
        by_status={str(s): statuses[s] for s in CaseStatus if statuses[s]},
        per_day=per_day,
        median_loss={kind: statistics.median(values) for kind, values in sorted(amounts.items())},
        loss_cases={kind: len(values) for kind, values in sorted(amounts.items())},
    )


# -- the daily chart's range -----------------------------------------------------------

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years of columns at most


@dataclass(frozen=True)
class DayRange:
    """Cases per Korean day over a chosen range, and how many fell before and after it."""

    first: dt.date
    last: dt.date
    days: Mapping[str, int]  # every day of the range, in order, 0 where none
    before: int
    after: int


def default_day_range(policy: Policy, today: dt.date) -> tuple[dt.date, dt.date]:
    """The policy's claim windows (first opening to last closing), else the last 30 days."""
    if policy.windows:
        return min(w.opens for w in policy.windows), max(w.closes for w in policy.windows)
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


def days_in_range(per_day: Mapping[str, int], first: dt.date, last: dt.date) -> DayRange:
    """``per_day`` (ISO date -> count) cut to ``first``..``last`` (at most :data:`MAX_DAYS`)."""
    if last < first:
        first, last = last, first
    first = max(first, last - dt.timedelta(days=MAX_DAYS - 1))
    start, end = first.isoformat(), last.isoformat()
    days = {(first + dt.timedelta(days=i)).isoformat(): 0 for i in range((last - first).days + 1)}
    before = after = 0
    for day, n in per_day.items():
        if day < start:
            before += n
        elif day > end:
            after += n
        else:
            days[day] = n
    return DayRange(first=first, last=last, days=days, before=before, after=after)


# -- rendering -------------------------------------------------------------------------

_TEXTS = {
    "ko": {
        "title": "접수 통계",
        "total": "전체",
        "reporter_type": "신고자 유형",
        "billing": "유료·무료",
        "paid_damage": "유료 서비스 피해",
        "paid": "유료 서비스",
        "free": "무료 서비스",
        "other": "무료 서비스 · 금전 피해 없음",
        "kind": "피해 구분",
        "money": "금전 피해",
        "monetary": "금전 피해 있음",
        "non_monetary": "금전 피해 없음 (유료·무료 모두)",
        "free_monetary": "무료 서비스 금전 피해",
        "tier": "지원 구간",
        "status": "상태",
        "per_day": "일별 접수(KST)",
        "median": "피해 금액 중앙값(금전 피해, 금액 있는 건)",
        "cases": "{n:,}건",
        "none": "접수된 건이 없어요.",
    },
    "en": {
        "title": "Case statistics",
        "total": "Total",
        "reporter_type": "Reporter type",
        "billing": "Paid or free",
        "paid_damage": "Damage to a paid service",
        "paid": "Paid service",
        "free": "Free service",
        "other": "Free service, no monetary loss",
        "kind": "Kind of damage",
        "money": "Monetary loss",
        "monetary": "With monetary loss",
        "non_monetary": "No monetary loss (paid and free)",
        "free_monetary": "Money lost on a free service",
        "tier": "Tier",
        "status": "Status",
        "per_day": "Cases per day (KST)",
        "median": "Median loss (monetary cases with an amount)",
        "cases": "{n:,}",
        "none": "No cases yet.",
    },
}


def render_text(stats: CaseStats, policy: Policy, lang: str = "ko") -> str:
    """The statistics as aligned plain text for a terminal or a Telegram ``<pre>`` block."""
    labels = Labels(policy, lang)
    text = _TEXTS["en" if lang == "en" else "ko"]
    lines = [f"{text['title']} — {policy.name(lang)}"]
    if stats.total == 0:
        lines.append(text["none"])
        return "\n".join(lines)

    def count(n: int) -> str:
        return text["cases"].format(n=n)

    def table(title: str, items: Iterable[tuple[str, int]]) -> None:
        items = list(items)
        lines.append("")
        lines.append(title)
        width = max(_width(label) for label, _ in items)
        numbers = [count(n) for _, n in items]
        number_width = max(len(n) for n in numbers)
        for (label, n), shown in zip(items, numbers, strict=True):
            share = f"{100 * n / stats.total:5.1f}%"
            lines.append(f"  {_pad(label, width)}  {shown:>{number_width}}  {share}")

    lines.append(f"{text['total']} {count(stats.total)}")
    type_order = [r.id for r in policy.reporter_types]
    table(
        text["reporter_type"],
        [(labels.reporter_type(k), n) for k, n in _ordered(stats.by_reporter_type, type_order)],
    )
    table(
        text["kind"],
        [
            (text["paid_damage"], stats.paid),
            (text["free_monetary"], stats.free_monetary),
            (text["other"], stats.total - stats.paid - stats.free_monetary),
        ],
    )
    table(text["billing"], [(text["paid"], stats.paid), (text["free"], stats.free)])
    table(
        text["money"],
        [(text["monetary"], stats.monetary), (text["non_monetary"], stats.non_monetary)],
    )
    table(
        text["tier"],
        [(labels.tier(k), n) for k, n in _ordered(stats.by_tier, list(policy.tiers))],
    )
    table(
        text["status"],
        [(labels.status(k), n) for k, n in _ordered(stats.by_status, list(CaseStatus))],
    )
    table(text["per_day"], list(stats.per_day.items()))
    if stats.median_loss:
        lines.append("")
        lines.append(text["median"])
        items = [
            (labels.reporter_type(k), stats.median_loss[k], stats.loss_cases[k])
            for k, _ in _ordered(stats.median_loss, type_order)
        ]
        width = max(_width(label) for label, _, _ in items)
        for label, median, n in items:
            amount = f"{median:,.0f}원" if lang != "en" else f"KRW {median:,.0f}"
            lines.append(f"  {_pad(label, width)}  {amount:>14}  (n={n:,})")
    return "\n".join(lines)


def _ordered(counts: Mapping[str, Any], order: list[str]) -> list[tuple[str, Any]]:
    """Items in the policy's order, ids the policy does not know last."""
    known = [(k, counts[k]) for k in order if k in counts]
    rest = [(k, v) for k, v in counts.items() if k not in order]
    return known + rest


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: Korean syllables take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
