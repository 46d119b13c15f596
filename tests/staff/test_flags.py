"""Flags on small hand-made index rows: each rule, its thresholds and what it leaves alone."""

from __future__ import annotations

import itertools

from bot.staff.flags import Flag, FlagRules, compute_flags, flag_name
from storage.records import CaseStatus, CaseSummary
from tests.support.users import tg

_numbers = itertools.count(1)


def row(user_id: int, *, evidence=(), amount=None, reporter_type="small_business", monetary=True):
    n = next(_numbers)
    return CaseSummary(
        case_number=f"C{n}",
        user_id=tg(user_id),
        submitted_at=1_666_137_600.0 + n,
        updated_at=1_666_137_600.0 + n,
        status=CaseStatus.SUBMITTED,
        tier="cash_30k",
        reporter_type=reporter_type,
        service="talk_channel",
        paid=False,
        monetary=monetary,
        amount=amount,
        final_amount=None,
        evidence_sha256=tuple(evidence),
    )


SHA_A, SHA_B = "a" * 64, "b" * 64


def test_no_flags_for_ordinary_cases():
    rows = [row(i, evidence=[f"{i:064x}"], amount=300_000) for i in range(30)]
    assert compute_flags(rows) == {}


def test_same_file_in_cases_of_different_users():
    first, second, other = row(1, evidence=[SHA_A]), row(2, evidence=[SHA_B, SHA_A]), row(3)
    flags = compute_flags([first, second, other])
    assert flags == {
        first.case_number: {Flag.SHARED_EVIDENCE},
        second.case_number: {Flag.SHARED_EVIDENCE},
    }


def test_one_user_reusing_a_file_is_a_repeat_not_shared_evidence():
    first, second = row(1, evidence=[SHA_A]), row(1, evidence=[SHA_A])
    flags = compute_flags([first, second])
    assert flags == {first.case_number: {Flag.REPEAT_USER}, second.case_number: {Flag.REPEAT_USER}}


def test_several_cases_of_one_user():
    cases = [row(7), row(7), row(7), row(8)]
    flags = compute_flags(cases)
    assert set(flags) == {c.case_number for c in cases[:3]}
    assert compute_flags(cases, FlagRules(repeat_min_cases=4)) == {}


def test_amount_far_above_the_median_of_its_type():
    typical = [row(i, amount=300_000) for i in range(19)]
    at_limit = row(100, amount=3_000_000)  # exactly 10x the median: not above it
    above = row(101, amount=3_000_001)
    # Ordinary for a company, but the company type has too few cases to be judged.
    company = row(102, amount=50_000_000, reporter_type="company")
    flags = compute_flags([*typical, at_limit, above, company])
    assert flags == {above.case_number: {Flag.AMOUNT_OUTLIER}}


def test_no_outlier_judgement_below_the_minimum_count():
    rows = [row(i, amount=300_000) for i in range(18)] + [row(99, amount=10**9)]
    assert compute_flags(rows) == {}  # 19 amounts of the type, 20 needed
    assert compute_flags(rows, FlagRules(outlier_min_cases=19)) != {}


def test_non_monetary_cases_and_missing_amounts_do_not_count():
    rows = [row(i, amount=300_000) for i in range(20)]
    rows += [row(50 + i, amount=None) for i in range(30)]
    rows += [row(90 + i, amount=1, monetary=False) for i in range(30)]
    rows.append(row(200, amount=4_000_000))
    assert compute_flags(rows) == {rows[-1].case_number: {Flag.AMOUNT_OUTLIER}}


def test_flags_combine_on_one_case():
    typical = [row(i, amount=100_000) for i in range(20)]
    a = row(500, evidence=[SHA_A], amount=5_000_000)
    b = row(500, amount=100_000)
    c = row(501, evidence=[SHA_A], amount=100_000)
    flags = compute_flags([*typical, a, b, c])
    assert flags[a.case_number] == {Flag.SHARED_EVIDENCE, Flag.REPEAT_USER, Flag.AMOUNT_OUTLIER}
    assert flags[b.case_number] == {Flag.REPEAT_USER}
    assert flags[c.case_number] == {Flag.SHARED_EVIDENCE}


def test_flag_names():
    assert flag_name(Flag.REPEAT_USER, "ko") == "동일 이용자 다건"
    assert flag_name(Flag.SHARED_EVIDENCE, "en") == "Evidence shared with another user"


def test_every_store_gives_the_flags_compute_flags_gives(store):
    """flags_of: PostgreSQL computes the rules' facts in SQL; they must agree with the rows."""
    from bot.staff.flags import flags_of
    from storage.records import EvidenceRef
    from tests.staff.cases import draft as make_draft

    def ref(n):
        return EvidenceRef(sha256=f"{n:064x}", name="r.jpg", mime="image/jpeg", size=1)

    amounts = [30_000, 50_000, 40_000, 35_000] * 6  # 24 monetary cases: medians are judged
    for i, amount in enumerate(amounts):
        store.create_case(
            make_draft(user_id=tg(100 + i), amount=amount, monetary=True, evidence=[ref(i)]),
            now=float(i),
        )
    store.create_case(make_draft(user_id=tg(500), amount=10_000_000, monetary=True), now=50.0)
    store.create_case(make_draft(user_id=tg(600), evidence=[ref(3)]), now=51.0)  # shares 3's
    store.create_case(make_draft(user_id=tg(700), amount=None, monetary=False), now=52.0)
    store.create_case(make_draft(user_id=tg(700), evidence=[ref(99), ref(99 + 1)]), now=53.0)
    store.create_case(make_draft(user_id=tg(800), reporter_type="company"), now=54.0)
    expected = compute_flags(store.list_cases())
    assert set(expected.values()) >= {
        frozenset({Flag.AMOUNT_OUTLIER}),
        frozenset({Flag.SHARED_EVIDENCE}),
        frozenset({Flag.REPEAT_USER}),
    }
    assert flags_of(store) == expected
    rules = FlagRules(repeat_min_cases=3, outlier_factor=2.0, outlier_min_cases=30)
    assert flags_of(store, rules) == compute_flags(store.list_cases(), rules)
