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
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from flows.identity import UserKey
from flows.texts import LANGS, t
from storage.base import Storage
from storage.records import CaseSummary


class Flag(StrEnum):
    """Why a case deserves a second look."""

    SHARED_EVIDENCE = "shared_evidence"
    REPEAT_USER = "repeat_user"
    AMOUNT_OUTLIER = "amount_outlier"


# The names staff read, from the catalog's ``flags.*`` words (flows/locales/).
FLAG_NAMES: Mapping[Flag, Mapping[str, str]] = {
    flag: {lang: t(lang, f"flags.{flag}") for lang in LANGS} for flag in Flag
}


@dataclass(frozen=True)
class FlagRules:
    """The thresholds of the rules above; the defaults are the documented ones."""

    repeat_min_cases: int = 2
    outlier_factor: float = 10.0
    outlier_min_cases: int = 20


def flag_name(flag: Flag, lang: str) -> str:
    """The name staff read for a flag."""
    return t(lang, f"flags.{flag}")


def flags_of(storage: Storage, rules: FlagRules | None = None) -> dict[str, frozenset[Flag]]:
    """The flags of every case in ``storage``, as :func:`compute_flags` gives them.

    A store that can compute the rules' facts itself (PostgreSQL's ``flag_facts``)
    does, so a million cases are never read into memory; any other store's index
    rows go through :func:`compute_flags`.
    """
    rules = rules or FlagRules()
    facts = getattr(storage, "flag_facts", None)
    if facts is None:
        return compute_flags(storage.list_cases(), rules)
    found: dict[str, frozenset[Flag]] = {}
    for number, repeat, shared, outlier in facts(
        rules.repeat_min_cases, rules.outlier_factor, rules.outlier_min_cases
    ):
        flags = [Flag.REPEAT_USER] * repeat + [Flag.SHARED_EVIDENCE] * shared
        found[number] = frozenset(flags + [Flag.AMOUNT_OUTLIER] * outlier)
    return found


def compute_flags(
    rows: Iterable[CaseSummary], rules: FlagRules | None = None
) -> dict[str, frozenset[Flag]]:
    """Return the flags of every flagged case, by case number.

    Cases without a flag are left out, so ``number in flags`` tells whether a
    case is flagged. Pass every case, not a filtered selection: whether a user
    has several cases or shares a file depends on all of them.
    """
    rules = rules or FlagRules()
    rows = list(rows)
    # First pass: counts only, no per-case containers (most cases get no flag).
    cases_per_user = Counter(row.user_id for row in rows)
    first_user: dict[str, UserKey] = {}
    shared: set[str] = set()
    amounts_of_type: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        for sha in row.evidence_sha256:
            if first_user.setdefault(sha, row.user_id) != row.user_id:
                shared.add(sha)
        if row.monetary and row.amount is not None and row.amount > 0:
            amounts_of_type[row.reporter_type].append(row.amount)
    limits = {
        kind: rules.outlier_factor * statistics.median(amounts)
        for kind, amounts in amounts_of_type.items()
        if len(amounts) >= rules.outlier_min_cases
    }

    found: dict[str, frozenset[Flag]] = {}
    for row in rows:
        flags = []
        if cases_per_user[row.user_id] >= rules.repeat_min_cases:
            flags.append(Flag.REPEAT_USER)
        if shared and not shared.isdisjoint(row.evidence_sha256):
            flags.append(Flag.SHARED_EVIDENCE)
        limit = limits.get(row.reporter_type)
        if limit is not None and row.monetary and row.amount is not None and row.amount > limit:
            flags.append(Flag.AMOUNT_OUTLIER)
        if flags:
            found[row.case_number] = frozenset(flags)
    return found
