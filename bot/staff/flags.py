"""Flags that point staff at cases worth a second look, computed from index rows alone.

A flag is a hint for a person, never a decision: each rule is simple enough to
explain to the reporter in one sentence, and every rule reads only
:class:`storage.CaseSummary` rows, so all flags of 105,000 cases take well
under a second.

The rules:

``shared_evidence``
    The same evidence file (same sha256) is attached to cases of *different*
    users. One user attaching the same receipt to two of their own reports is
    not this flag (``repeat_user`` covers it).
``repeat_user``
    One user has submitted several cases (``FlagRules.repeat_min_cases``, 2 by
    default). Every case of that user carries the flag.
``amount_outlier``
    A monetary case whose amount is more than ``outlier_factor`` (10) times the
    median amount of its reporter type, judged only where that type has at
    least ``outlier_min_cases`` (20) monetary cases with an amount.

    Why a ratio to the median and not mean + k·stdev or a MAD rule: reported
    losses are heavy-tailed (a few 100억 claims among 30만 ones), and one huge
    claim moves a mean and a standard deviation enough to hide itself; the
    median does not move. A MAD rule is robust too, but amounts cluster at
    round figures (30만, 50만 원), so the MAD of a type can be tiny or zero and
    would flag almost everything above the cluster. "More than ten times what
    is typical for reporters like you" is scale-free and easy to explain; the
    minimum count keeps a type with a handful of cases from being judged on
    noise.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from storage.records import CaseSummary


class Flag(StrEnum):
    """Why a case deserves a second look."""

    SHARED_EVIDENCE = "shared_evidence"
    REPEAT_USER = "repeat_user"
    AMOUNT_OUTLIER = "amount_outlier"


FLAG_NAMES: Mapping[Flag, Mapping[str, str]] = {
    Flag.SHARED_EVIDENCE: {
        "ko": "증빙 중복(다른 이용자)",
        "en": "Evidence shared with another user",
    },
    Flag.REPEAT_USER: {"ko": "동일 이용자 다건", "en": "Several cases of one user"},
    Flag.AMOUNT_OUTLIER: {"ko": "금액 이상치", "en": "Amount far above typical"},
}


@dataclass(frozen=True)
class FlagRules:
    """The thresholds of the rules above; the defaults are the documented ones."""

    repeat_min_cases: int = 2
    outlier_factor: float = 10.0
    outlier_min_cases: int = 20


def flag_name(flag: Flag, lang: str) -> str:
    """The name staff read for a flag."""
    return FLAG_NAMES[flag]["en" if lang == "en" else "ko"]


def compute_flags(
    rows: Iterable[CaseSummary], rules: FlagRules | None = None
) -> dict[str, frozenset[Flag]]:
    """Return the flags of every flagged case, by case number.

    Cases without a flag are left out, so ``number in flags`` tells whether a
    case is flagged. Pass every case, not a filtered selection: whether a user
    has several cases or shares a file depends on all of them.
    """
    rules = rules or FlagRules()
    cases_of_user: dict[int, list[str]] = defaultdict(list)
    users_of_file: dict[str, set[int]] = defaultdict(set)
    cases_of_file: dict[str, list[str]] = defaultdict(list)
    amounts_of_type: dict[str, list[int]] = defaultdict(list)
    claims: list[tuple[str, str, int]] = []  # (case, reporter type, amount)

    for row in rows:
        cases_of_user[row.user_id].append(row.case_number)
        for sha in row.evidence_sha256:
            users_of_file[sha].add(row.user_id)
            cases_of_file[sha].append(row.case_number)
        if row.monetary and row.amount is not None and row.amount > 0:
            amounts_of_type[row.reporter_type].append(row.amount)
            claims.append((row.case_number, row.reporter_type, row.amount))

    found: dict[str, set[Flag]] = defaultdict(set)
    for numbers in cases_of_user.values():
        if len(numbers) >= rules.repeat_min_cases:
            for number in numbers:
                found[number].add(Flag.REPEAT_USER)
    for sha, users in users_of_file.items():
        if len(users) > 1:
            for number in cases_of_file[sha]:
                found[number].add(Flag.SHARED_EVIDENCE)
    limits = {
        kind: rules.outlier_factor * statistics.median(amounts)
        for kind, amounts in amounts_of_type.items()
        if len(amounts) >= rules.outlier_min_cases
    }
    for number, kind, amount in claims:
        limit = limits.get(kind)
        if limit is not None and amount > limit:
            found[number].add(Flag.AMOUNT_OUTLIER)
    return {number: frozenset(flags) for number, flags in found.items()}
