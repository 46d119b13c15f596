"""The examples the bot gives must be accepted by the checks it applies (issue 10, item 19)."""

from __future__ import annotations

import re

import pytest

from bot.staff.templates.words import WORDS
from flows.bizno import parse_business_number
from flows.texts import EN, KO
from storage.case_numbers import is_valid_case_number


@pytest.mark.parametrize("catalog", [KO, EN], ids=["ko", "en"])
def test_business_number_examples_pass_the_check(catalog):
    """Regression: the example 123-45-67890 in the prompt was itself refused."""
    examples = [m for text in catalog.values() for m in re.findall(r"\b\d{3}-\d{2}-\d{5}\b", text)]
    assert examples
    for example in examples:
        assert parse_business_number(example) == example


@pytest.mark.parametrize(
    "catalog", [KO, EN, WORDS["ko"], WORDS["en"]], ids=["ko", "en", "staff-ko", "staff-en"]
)
def test_case_number_examples_are_real_case_numbers(catalog):
    """Regression: the staff search example K7F-3QX was not in the real 3-3-3 form."""
    examples = [
        m for text in catalog.values() for m in re.findall(r"\b[0-9A-Z]{3}-[0-9A-Z]{3}\S*", text)
    ]
    assert examples
    for example in examples:
        assert is_valid_case_number(example.rstrip(".,)")), example


def test_no_particle_is_glued_to_a_placeholder_that_may_end_either_way():
    """Regression: "접수번호 34H-UVZ-E76는": 은/는, 이/가, 을/를 depend on the last sound,
    which a number or a name does not tell (은(는) and friends are fine).

    Regression too: the staff words "← 접수 {number}로 돌아가기" and "접수번호 {number}를
    찾을 수 없어요." (로/으로 as well)."""
    glued = re.compile(
        r"\{(case_number|number|name|names|service|reporter_type|substitutes)\}"
        r"[은는이가을를로와과](?!\()"
    )
    texts = {**KO, **{f"staff.{key}": text for key, text in WORDS["ko"].items()}}
    offenders = [key for key, text in texts.items() if glued.search(text)]
    assert not offenders


def test_no_space_before_a_particle():
    """Regression: "접수일 부터" / "접수일 까지" (부터, 까지 attach to the word)."""
    texts = {**KO, **WORDS["ko"]}
    offenders = [key for key, text in texts.items() if re.search(r"[가-힣] (부터|까지)\b", text)]
    assert not offenders
