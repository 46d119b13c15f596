"""Reading loss amounts as Korean and English users type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.amount import (
    AMOUNT_REASONS,
    DEFAULT_CAP,
    format_amount,
    format_korean_units,
    parse_amount,
)
from flows.errors import AmountError, FlowError

# (id, text, amount in won)
ACCEPTED = [
    ("plain-digits", "300000", 300_000),
    ("commas", "300,000", 300_000),
    ("commas-won", "300,000원", 300_000),
    ("man", "30만", 300_000),
    ("man-won", "30만원", 300_000),
    ("man-space-won", "30만 원", 300_000),
    ("digit-sip-man", "3십만원", 300_000),
    ("hangul-samsip-man", "삼십만원", 300_000),
    ("hangul-samsibo-man", "삼십오만 원", 350_000),
    ("commas-before-man", "1,250만", 12_500_000),
    ("eok-cheonman", "1억 2천만원", 120_000_000),
    ("cheque-style", "일금 삼십만원정", 300_000),
    ("won-sign", "₩300,000", 300_000),
    ("fullwidth-won-sign", "￦300,000", 300_000),
    ("backslash-as-won-sign", "\\300,000", 300_000),
    ("krw-prefix", "KRW 300000", 300_000),
    ("krw-suffix", "300000 KRW", 300_000),
    ("krw-glued", "KRW300,000", 300_000),
    ("won-word", "300,000 won", 300_000),
    ("k-suffix", "300k", 300_000),
    ("thousand-word", "300 thousand", 300_000),
    ("m-suffix", "1.5m", 1_500_000),
    ("m-suffix-upper", "1.5M", 1_500_000),
    ("m-then-k", "1m 500k", 1_500_000),
    ("fullwidth-digits", "３０만원", 300_000),
    ("fullwidth-commas", "３００，０００원", 300_000),
    ("spaces-around-units", "30 만 원", 300_000),
    ("spacing-at-man-units", "12억 3456만 7898", 1_234_567_898),
    ("all-hangul-long", "십이억 삼천사백오십육만 칠천팔백구십팔원", 1_234_567_898),
    ("cheonman", "천만원", 10_000_000),
    ("bare-man", "만원", 10_000),
    ("simman", "십만원", 100_000),
    ("baekman", "백만원", 1_000_000),
    ("ilok", "일억", 100_000_000),
    ("hangul-two-sections", "이십만 오천원", 205_000),
    ("glued-sections", "3만5천원", 35_000),
    ("spaced-sections", "3만 5천 원", 35_000),
    ("every-small-unit", "3만3천3백3십3원", 33_333),
    ("cheon-then-obaek", "천 오백원", 1_500),
    ("ones-after-man", "30만 5000", 305_000),
    ("ones-after-hangul-man", "삼만오", 30_005),
    ("i-as-digit-before-won", "삼만이원", 30_002),
    ("decimal-man", "1.5만원", 15_000),
    ("decimal-cheonman", "1.5천만원", 15_000_000),
    ("decimal-zero-cents", "300,000.00원", 300_000),
    ("cheon-won", "5천원", 5_000),
    ("leading-zero", "0300000", 300_000),
    ("leading-leading-dot", ".5만", 5_000),
    ("large-leading-coefficient", "12345만", 123_450_000),
    ("at-cap", "1000억", 100_000_000_000),
    ("about-yak", "약 30만원", 300_000),
    ("about-jeongdo", "30만원 정도", 300_000),
    ("about-daeryak-jjeum", "대략 30만 원쯤", 300_000),
    ("about-english", "about 300,000 won", 300_000),
    ("ending-yo", "30만원요", 300_000),
    ("ending-imnida", "30만원입니다", 300_000),
    ("ending-iyo-spaced", "삼십만 원이요", 300_000),
    ("ending-ieyo", "30만원이에요", 300_000),
    ("particle-i-after-man", "30만이요", 300_000),
    ("particle-i-after-cheon", "천이요", 1_000),
    ("particle-man-only", "30만원만", 300_000),
    ("ending-unknown", "30만원밖에", 300_000),
    ("friendly-tilde", "30만 원이요~", 300_000),
    ("punctuation", "(30만원)!!", 300_000),
    ("sentence", "억울해요 30만원 손해 봤어요", 300_000),
    ("numeral-syllables-in-words", "오늘 백화점에서 30만원", 300_000),
    ("isanghada-is-not-isang", "이상하네요 30만원", 300_000),
    ("dash-inside-a-label", "피해액-30만원", 300_000),
    ("dash-as-a-bullet", "- 30만원", 300_000),
]

# (id, text, reason)
REFUSED = [
    ("empty", "", "empty"),
    ("blank", "   ", "empty"),
    ("ideographic-space", "\u3000", "empty"),
    ("words-only", "모르겠어요", "no_amount"),
    ("lone-numeral-syllable", "오", "no_amount"),
    ("manil-means-if", "만일", "no_amount"),
    ("english-words", "I don't know", "no_amount"),
    ("zero", "0원", "zero"),
    ("zero-decimal", "0.0", "zero"),
    ("minus-sign", "-30만원", "negative"),
    ("minus-word", "마이너스 30만원", "negative"),
    ("minus-before-hangul", "-삼십만원", "negative"),
    ("minus-in-parentheses", "(-30만)", "negative"),
    ("range-tilde", "30~50만", "range"),
    ("range-dash", "30-50만원", "range"),
    ("range-units-both-sides", "30만~50만", "range"),
    ("range-eseo", "30에서 50만", "range"),
    ("range-eseo-sai", "30만원에서 40만원 사이", "range"),
    ("range-spaced-dash", "30만원 - 50만원", "range"),
    ("range-to", "300000 to 500000", "range"),
    ("bound-isang", "30만원 이상", "range"),
    ("bound-iha", "30만원 이하", "range"),
    ("bound-neomeoyo", "30만원 넘어요", "range"),
    ("bound-choedae", "최대 50만원", "range"),
    ("bound-dae", "30만원대", "range"),
    ("bound-over", "over 300000", "range"),
    ("several-won", "30만원 50만원", "several"),
    ("several-digits", "300000 500000", "several"),
    ("several-count-and-amount", "2건 30만원", "several"),
    ("several-space-group", "300 000", "several"),
    ("several-units-ascending", "5만 3억", "several"),
    ("several-same-unit", "30만 50만", "several"),
    ("several-ddoneun", "30만 또는 50만", "several"),
    ("several-glued-hangul", "삼십만원오천원", "several"),
    ("several-restated", "300000원 (삼십만원)", "several"),
    ("fraction-won", "300000.5", "fraction"),
    ("fraction-after-man", "1.23456만", "fraction"),
    ("fraction-small", "0.5", "fraction"),
    ("too-large", "1000억1원", "too_large"),
    ("too-large-jo", "1조", "too_large"),
    ("too-large-many-digits", "9" * 5000, "too_large"),
    ("bad-comma-groups", "3,00,000", "unreadable"),
    ("decimal-comma", "1,5만", "unreadable"),
    ("european-thousands", "300.000", "unreadable"),
    ("european-thousands-two-dots", "1.250.000", "unreadable"),
    ("letter-o-for-zero", "3o만", "unreadable"),
    ("digits-then-letters", "300000abc", "unreadable"),
    ("percent", "30%", "unreadable"),
    ("arithmetic", "30만*2", "unreadable"),
    ("dollars-word", "100달러", "unreadable"),
    ("dollar-sign", "$300", "unreadable"),
    ("yen", "3만엔", "unreadable"),
    ("big-units-glued", "억만원", "unreadable"),
    ("small-units-repeated", "십십만원", "unreadable"),
    ("small-units-ascending", "백천원", "unreadable"),
    ("digit-glued-to-numeral", "3삼만", "unreadable"),
    ("decimal-then-more-sections", "1.5억 2천만", "unreadable"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(text, value, id=id_) for id_, text, value in ACCEPTED]
)
def test_reads_amount(text: str, expected: int) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"), [pytest.param(text, reason, id=id_) for id_, text, reason in REFUSED]
)
def test_refuses_with_reason(text: str, reason: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.reason == reason


def test_table_covers_every_reason() -> None:
    assert {reason for _, _, reason in REFUSED} == set(AMOUNT_REASONS)


def test_table_ids_are_unique() -> None:
    ids = [id_ for id_, _, _ in ACCEPTED + REFUSED]
    assert len(ids) == len(set(ids))


def test_amount_error_is_a_flow_error() -> None:
    with pytest.raises(FlowError):
        parse_amount("")


def test_cap_is_inclusive_and_adjustable() -> None:
    assert parse_amount("50만원", cap=500_000) == 500_000
    with pytest.raises(AmountError) as caught:
        parse_amount("50만 1원", cap=500_000)
    assert caught.value.reason == "too_large"
    assert caught.value.detail == "500001"  # the bot echoes what it read


def test_several_names_the_amounts_found() -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount("30만원 50만원")
    assert caught.value.detail == "300000, 500000"


@pytest.mark.parametrize(
    ("value", "ko", "en"),
    [
        (1, "1원", "KRW 1"),
        (300_000, "300,000원", "KRW 300,000"),
        (1_234_567_898, "1,234,567,898원", "KRW 1,234,567,898"),
    ],
)
def test_format_amount(value: int, ko: str, en: str) -> None:
    assert format_amount(value) == ko
    assert format_amount(value, "ko") == ko
    assert format_amount(value, "en") == en


def test_format_amount_refuses_unknown_language() -> None:
    with pytest.raises(ValueError):
        format_amount(300_000, "ja")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0원"),
        (7_898, "7898원"),
        (10_000, "1만원"),
        (300_000, "30만원"),
        (305_000, "30만 5000원"),
        (100_007_898, "1억 7898원"),
        (1_234_567_898, "12억 3456만 7898원"),
        (100_000_000_000, "1000억원"),
        (1_000_000_000_000, "1조원"),
        (123_456_789_012_345_678, "123456조 7890억 1234만 5678원"),
    ],
)
def test_format_korean_units(value: int, expected: str) -> None:
    assert format_korean_units(value) == expected


def test_format_korean_units_refuses_negative() -> None:
    with pytest.raises(ValueError):
        format_korean_units(-1)


amounts = st.integers(min_value=1, max_value=DEFAULT_CAP)


@given(amounts, st.sampled_from(["ko", "en"]))
def test_formatted_amount_reads_back(value: int, lang: str) -> None:
    assert parse_amount(format_amount(value, lang)) == value


@given(amounts)
def test_korean_units_read_back(value: int) -> None:
    assert parse_amount(format_korean_units(value)) == value


@given(amounts, st.sampled_from(["약 {}", "{} 정도", "{}요", "{}입니다", "₩{}", "{}~"]))
def test_hedges_and_endings_do_not_change_the_amount(value: int, frame: str) -> None:
    assert parse_amount(frame.format(format_korean_units(value))) == value


@given(amounts, amounts)
def test_two_amounts_are_never_read_as_one(first: int, second: int) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(f"{format_amount(first)} {format_amount(second)}")
    assert caught.value.reason == "several"


# Characters that make up amounts, so that random text often comes close to one.
amountish = st.text(
    alphabet=st.sampled_from(list("0123456789,.~- 만억조천백십일이삼사오육칠팔구원요이상에서km₩%")),
    max_size=20,
)


@given(st.one_of(st.text(), amountish))
def test_arbitrary_text_only_raises_amount_error(text: str) -> None:
    try:
        value = parse_amount(text)
    except AmountError as exc:
        assert exc.reason in AMOUNT_REASONS
    else:
        assert 1 <= value <= DEFAULT_CAP
