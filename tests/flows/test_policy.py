"""The compensation policy file: validation with clear errors, and decide_tier."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib

import pytest

from flows.errors import PolicyError
from flows.policy import DEFAULT_POLICY, decide_tier, load_policy, parse_policy


@pytest.fixture
def raw() -> dict:
    with DEFAULT_POLICY.open("rb") as fh:
        return tomllib.load(fh)


def answers(**kw):
    base = {
        "reporter_type": "small_business",
        "paid": False,
        "monetary": True,
        "service": "kakaotalk",
    }
    return base | kw


@pytest.mark.parametrize(
    ("amount", "tier"),
    [
        (1, "cash_30k"),
        (299_999, "cash_30k"),
        (300_000, "cash_30k"),
        (300_001, "cash_50k"),
        (500_000, "cash_50k"),
        (500_001, "review"),
        (10**9, "review"),
    ],
)
def test_brackets_follow_the_inclusive_upper_bound(policy, amount, tier):
    assert decide_tier(answers(amount=amount), policy).tier.id == tier


@pytest.mark.parametrize(
    ("amount", "tier"),
    [(299_999, "cash_30k"), (300_000, "cash_50k"), (499_999, "cash_50k"), (500_000, "review")],
)
def test_exclusive_boundary_rule_moves_the_edges(raw, amount, tier):
    """A policy written as "미만 / 이상" puts the exact bound in the next bracket."""
    raw["policy"]["boundary"] = "upper_exclusive"
    assert decide_tier(answers(amount=amount), parse_policy(raw)).tier.id == tier


def test_rules_in_order(policy):
    assert decide_tier(answers(paid=True, amount=10**8), policy).tier.id == "paid_terms"
    assert decide_tier(answers(monetary=False), policy).tier.id == "non_monetary"
    company = answers(reporter_type="company", amount=10)
    assert decide_tier(company, policy).tier.id == "company_review"
    assert (
        decide_tier(answers(reporter_type="general", amount=10), policy).tier.id
        == "general_package"
    )


def test_channel_cash_only_for_small_businesses_running_one(policy):
    assert decide_tier(answers(amount=1, has_channel=True), policy).channel_cash.support == 50_000
    assert decide_tier(answers(amount=1, has_channel=False), policy).channel_cash is None
    general = answers(reporter_type="general", amount=1, has_channel=True)
    assert decide_tier(general, policy).channel_cash is None


def test_review_tier_lists_documents_and_needs_evidence(policy):
    decision = decide_tier(answers(amount=600_000), policy)
    assert decision.needs_evidence
    assert any("통장 사본" in d.ko for d in decision.tier.documents)


def test_services_carry_billing_and_substitutes(policy):
    assert policy.service("kakaomap").billing == "free"
    assert [s.ko for s in policy.service("kakaomap").substitutes] == ["T맵", "네이버 지도"]
    assert len(policy.services) == 11


def break_it(raw, path, value):
    raw = copy.deepcopy(raw)
    target = raw
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("policy", "boundary"), "below", "policy.boundary must be one of"),
        (("policy", "amount_cap"), -1, "amount_cap must be a positive integer"),
        (("tiers", "cash_30k", "kind"), "gift", "tiers.cash_30k.kind"),
        (("tiers", "cash_30k", "support"), KeyError, "tiers.cash_30k.support"),
        (("tiers", "review", "text"), {"ko": "심사"}, "tiers.review.text needs a text in each"),
        (("rules", 2, "above"), "nowhere", "rules[2].above: unknown tier 'nowhere'"),
        (("rules", 2, "brackets", 1, "up_to"), 100, "up_to must strictly increase"),
        (("rules", 2, "when"), {"reporter_type": "alien"}, "unknown type 'alien'"),
        (("rules", 4, "when"), {"paid": False}, "last rule must have an empty `when`"),
        (("services", 0, "billing"), "maybe", "services[0].billing"),
        (("services", 1, "id"), "kakaotalk", "id 'kakaotalk' appears twice"),
        (("channel_cash", "reporter_types"), ["martian"], "channel_cash.reporter_types: unknown"),
        (
            ("windows",),
            [
                {
                    "reporter_types": ["general"],
                    "opens": dt.date(2023, 2, 1),
                    "closes": dt.date(2023, 1, 1),
                }
            ],
            "opens 2023-02-01 is after closes",
        ),
        (("package",), KeyError, "[package] table is missing"),
    ],
)
def test_invalid_policies_name_the_key_at_fault(raw, path, value, message):
    with pytest.raises(PolicyError, match=None) as excinfo:
        parse_policy(break_it(raw, path, value))
    assert message in str(excinfo.value)


def test_load_policy_reports_the_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[policy\nid=", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.toml: not valid TOML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="policy file not found"):
        load_policy(tmp_path / "missing.toml")


def test_windows_per_reporter_type(raw):
    raw["windows"] = [
        {
            "reporter_types": ["general", "small_business"],
            "opens": dt.date(2023, 1, 30),
            "closes": dt.date(2023, 2, 27),
        },
        {
            "reporter_types": ["small_business"],
            "opens": dt.date(2023, 2, 13),
            "closes": dt.date(2023, 4, 14),
        },
    ]
    policy = parse_policy(raw)
    kst = dt.timezone(dt.timedelta(hours=9))
    march = dt.datetime(2023, 3, 10, 12, tzinfo=kst)
    assert policy.window_for("small_business", march).open
    closed = policy.window_for("general", march)
    assert not closed.open and closed.closed_on == dt.date(2023, 2, 27)
    early = policy.window_for("general", dt.datetime(2023, 1, 1, tzinfo=kst))
    assert not early.open and early.opens == dt.date(2023, 1, 30)
    # The last day counts until midnight in Korea, not in UTC.
    last_evening = dt.datetime(2023, 2, 27, 23, 30, tzinfo=kst)
    assert policy.window_for("general", last_evening).open
    assert policy.window_for("company", march).open  # no window for companies: always open


def test_closed_window_refuses_that_reporter_type_in_the_chat(raw, make_talk):
    from flows.conversation import IntakeFlow

    raw["windows"] = [
        {
            "reporter_types": ["general"],
            "opens": dt.date(2022, 10, 19),
            "closes": dt.date(2022, 11, 6),
        }
    ]
    talk = make_talk(flow=IntakeFlow(parse_policy(raw)))
    talk.command("start")
    talk.press("agree")
    talk.press("general")
    assert talk.state == "reporter_type"
    assert "2022-11-06에 마감됐어요" in talk.text
    talk.press("company")
    assert talk.state == "service"
