"""Per-person limits: how many reports one person files, how many bytes of files they send."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from flows.conversation import IntakeFlow
from flows.errors import PolicyError
from flows.limits import Limits, UserUsage
from flows.policy import load_policy, parse_policy
from tests.flows.test_conversation import small_business_report

MB = 1024 * 1024
POLICY_FILE = Path(__file__).resolve().parents[2] / "flows" / "policies" / "kakao_1015.toml"


def test_the_bundled_policy_limits_each_person():
    limits = load_policy().limits
    assert limits == Limits(max_cases=3, max_evidence_bytes=200 * MB)


def test_limits_are_optional_and_checked():
    data = tomllib.loads(POLICY_FILE.read_text())
    del data["limits"]
    assert parse_policy(data).limits == Limits()  # no table: no limits
    for bad in ({"max_cases_per_user": 0}, {"max_evidence_mb_per_user": "lots"}):
        with pytest.raises(PolicyError, match="limits"):
            parse_policy({**data, "limits": bad})


def test_a_person_at_the_case_limit_cannot_start_another_report(talk):
    """Regression: after submitting, a user could start again at once, without end
    (each case can hold 10 x 20 MB on disk)."""
    talk.usage = UserUsage(cases=3)
    talk.command("start")
    assert talk.record is None
    assert "3건" in talk.text and "/status" in talk.text and "1577-3754" in talk.text
    talk.say("안녕하세요")  # anything else would start one too
    assert talk.record is None and "3건" in talk.text
    talk.usage = UserUsage(cases=3, limits_lifted=True)  # staff lifted it
    talk.command("start")
    assert talk.state == "consent"


def test_after_submitting_the_limit_is_said_in_the_users_language(make_talk):
    talk = make_talk(lang="en")
    small_business_report(talk, "1만")
    talk.press("done")
    talk.press("submit")
    assert talk.state == "submitted"
    talk.usage = UserUsage(cases=3)
    talk.command("start")
    assert talk.state == "submitted"
    assert "3 reports" in talk.text and "/status" in talk.text


def test_files_beyond_a_persons_evidence_bytes_are_refused(talk, receipt):
    talk.usage = UserUsage(cases=1, evidence_bytes=200 * MB - 3 * 1000)
    small_business_report(talk, "1만")
    talk.files(receipt(1), receipt(2), receipt(3), receipt(4))  # 1,000 bytes each
    assert [f["name"] for f in talk.answers["evidence"]] == [
        "receipt1.jpg",
        "receipt2.jpg",
        "receipt3.jpg",
    ]
    assert "receipt4.jpg: 한 분이 보낼 수 있는 파일은 모두 200MB까지예요" in talk.text
    talk.usage = dataclasses.replace(talk.usage, limits_lifted=True)
    talk.files(receipt(4))
    assert len(talk.answers["evidence"]) == 4


def test_no_limits_without_the_policy_table(policy, make_talk):
    talk = make_talk(flow=IntakeFlow(dataclasses.replace(policy, limits=Limits())))
    talk.usage = UserUsage(cases=50, evidence_bytes=10**12)
    talk.command("start")
    assert talk.state == "consent"
