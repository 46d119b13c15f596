"""Business registration numbers: layout, check digit and placeholder numbers."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from flows.bizno import BUSINESS_NUMBER_REASONS, mask_business_number, parse_business_number
from flows.errors import BusinessNumberError, FlowError


def check_digit(first_nine: str) -> int:
    """The published rule, written out separately from flows.bizno as an oracle."""
    d = [int(c) for c in first_nine]
    total = d[0] + 3 * d[1] + 7 * d[2] + d[3] + 3 * d[4] + 7 * d[5] + d[6] + 3 * d[7] + 5 * d[8]
    total += (d[8] * 5) // 10
    return (10 - total % 10) % 10


def complete(first_nine: str) -> str:
    return first_nine + str(check_digit(first_nine))


def dashed(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


# One repeated digit, or a run counting up or down by one with 9 -> 0 wrapping.
TRIVIAL = (
    {str(d) * 10 for d in range(10)}
    | {"".join(str((s + k) % 10) for k in range(10)) for s in range(10)}
    | {"".join(str((s - k) % 10) for k in range(10)) for s in range(10)}
)

# Published numbers of well-known companies (Samsung Electronics, Kakao, Naver).
PUBLIC = ["124-81-00998", "120-81-47521", "220-81-62517"]
GENERATED = [
    dashed(complete(nine)) for nine in ("101010101", "214869999", "605123451", "888888880")
]


@pytest.mark.parametrize("number", PUBLIC + GENERATED)
def test_valid_numbers_pass(number: str) -> None:
    digits = number.replace("-", "")
    assert check_digit(digits[:9]) == int(digits[9])  # the oracle agrees they are valid
    assert parse_business_number(number) == number


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1248100998", id="digits-only"),
        pytest.param("124-81-00998", id="hyphens"),
        pytest.param("124 81 00998", id="spaces"),
        pytest.param("  124-81-00998\n", id="surrounding-whitespace"),
        pytest.param("１２４－８１－００９９８", id="full-width"),
        pytest.param("124‐81‐00998", id="unicode-hyphens"),
        pytest.param("124 - 81 - 00998", id="spaced-hyphens"),
        pytest.param("12481-00998", id="hyphens-misplaced"),
    ],
)
def test_layouts_normalise(text: str) -> None:
    assert parse_business_number(text) == "124-81-00998"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("", "format", id="empty"),
        pytest.param("124-81-0099", "format", id="nine-digits"),
        pytest.param("124-81-009981", "format", id="eleven-digits"),
        pytest.param("124-81-0099O", "format", id="letter-o"),
        pytest.param("124.81.00998", "format", id="dots"),
        pytest.param("일이사팔일공공구구팔", "format", id="hangul-digits"),
        pytest.param("١٢٤٨١٠٠٩٩٨", "format", id="arabic-indic-digits"),
        pytest.param("124-81-00999", "checksum", id="check-digit-off-by-one"),
        pytest.param("214-81-00998", "checksum", id="swapped-digits"),
        pytest.param("000-00-00000", "trivial", id="all-zeros"),
        pytest.param("111-11-11111", "trivial", id="all-ones"),
        pytest.param("123-45-67890", "trivial", id="counting-up"),
        pytest.param("0123456789", "trivial", id="counting-up-from-zero"),
        pytest.param("987-65-43210", "trivial", id="counting-down"),
    ],
)
def test_refusals(text: str, reason: str) -> None:
    with pytest.raises(BusinessNumberError) as caught:
        parse_business_number(text)
    assert caught.value.reason == reason
    assert caught.value.reason in BUSINESS_NUMBER_REASONS


def test_trivial_numbers_are_refused_even_when_the_check_digit_fits() -> None:
    passing = sorted(n for n in TRIVIAL if check_digit(n[:9]) == int(n[9]))
    assert "0000000000" in passing
    for number in passing:
        with pytest.raises(BusinessNumberError) as caught:
            parse_business_number(number)
        assert caught.value.reason == "trivial"


def test_error_is_a_flow_error() -> None:
    with pytest.raises(FlowError):
        parse_business_number("12")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("123-45-67890", "123-45-*****"),
        ("1234567890", "123-45-*****"),
        ("１２３ ４５ ６７８９０", "123-45-*****"),
        ("12345", "***-**-*****"),
        ("", "***-**-*****"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask_business_number(text) == masked


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_any_nine_digits_with_their_check_digit_pass(nine: str) -> None:
    number = complete(nine)
    assume(number not in TRIVIAL)
    assert parse_business_number(number) == dashed(number)


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_fails_the_checksum(nine: str, position: int, shift: int) -> None:
    number = complete(nine)
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assume(changed not in TRIVIAL)
    with pytest.raises(BusinessNumberError) as caught:
        parse_business_number(changed)
    assert caught.value.reason == "checksum"


@given(st.text())
def test_arbitrary_text_is_normalised_or_refused(text: str) -> None:
    try:
        number = parse_business_number(text)
    except BusinessNumberError as exc:
        assert exc.reason in BUSINESS_NUMBER_REASONS
    else:
        assert re.fullmatch(r"\d{3}-\d{2}-\d{5}", number, re.ASCII)


@given(st.text())
def test_mask_never_shows_the_last_five_digits(text: str) -> None:
    masked = mask_business_number(text)
    assert masked.endswith("-*****")
    assert re.fullmatch(r"(\d{3}-\d{2}|\*{3}-\*{2})-\*{5}", masked, re.ASCII)
