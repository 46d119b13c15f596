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
from bot.staff.templates.words import channel_name
from flows.locales import namespace
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
    by_channel: Mapping[str, int]  # the channel each case came by (telegram, console, ...)
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
            "by_channel": dict(self.by_channel),
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
    channels: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    days: Counter[int] = Counter()
    amounts: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        total += 1
        types[row.reporter_type] += 1
        channels[row.user_id.channel] += 1
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
        by_channel=dict(channels.most_common()),
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


def render_text(stats: CaseStats, policy: Policy, lang: str = "ko") -> str:
    """The statistics as aligned plain text for a terminal or a Telegram ``<pre>`` block."""
    labels = Labels(policy, lang)
    text = namespace(lang, "stats")  # the catalog's stats.* words (flows/locales/)
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
        text["channel"],
        [(channel_name(lang, k), n) for k, n in stats.by_channel.items()],
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
            amount = text["median_amount"].format(amount=median)
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
