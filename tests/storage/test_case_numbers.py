"""Case numbers: format, tolerant input, and the check character catching typos."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from storage.case_numbers import (
    ALPHABET,
    LENGTH,
    is_valid_case_number,
    new_case_number,
    normalize_case_number,
)

FORMAT = re.compile(rf"[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}")


def _complete(payload: str) -> str:
    """Append the one check character that makes ``payload`` a valid number."""
    (check,) = [c for c in ALPHABET if is_valid_case_number(payload + c)]
    return normalize_case_number(payload + check)


numbers = st.text(alphabet=ALPHABET, min_size=LENGTH - 1, max_size=LENGTH - 1).map(_complete)


def test_alphabet_leaves_out_look_alikes():
    assert not set("01OIL") & set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 31  # prime: see the check character


def test_new_numbers_are_canonical_and_valid():
    for _ in range(1000):
        number = new_case_number()
        assert FORMAT.fullmatch(number)
        assert is_valid_case_number(number)
        assert normalize_case_number(number) == number


def test_new_numbers_are_random_not_sequential():
    drawn = [new_case_number() for _ in range(2000)]
    assert len(set(drawn)) == 2000
    # Every symbol shows up in every random position: nothing is a counter.
    for position in (0, 1, 2, 4, 5, 6, 8, 9):
        assert {n[position] for n in drawn} == set(ALPHABET)


@given(numbers)
def test_every_single_character_typo_is_caught(number):
    compact = number.replace("-", "")
    for i in range(LENGTH):
        for symbol in ALPHABET:
            if symbol != compact[i]:
                typo = compact[:i] + symbol + compact[i + 1 :]
                assert not is_valid_case_number(typo), typo


@given(numbers)
def test_every_swap_of_neighbours_is_caught(number):
    compact = number.replace("-", "")
    for i in range(LENGTH - 1):
        if compact[i] != compact[i + 1]:
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            assert not is_valid_case_number(swapped), swapped


@given(numbers)
def test_a_dropped_or_doubled_character_is_caught(number):
    compact = number.replace("-", "")
    assert not is_valid_case_number(compact[:-1])
    assert not is_valid_case_number(compact + compact[-1])


@given(numbers, st.sampled_from([" ", "-", " - ", "\t", "–", "_"]))
def test_input_is_tolerant_of_case_and_separators(number, sep):
    compact = number.replace("-", "")
    typed = sep.join([compact[:2], compact[2:5], compact[5:]]).lower()
    assert normalize_case_number(typed) == number
    assert normalize_case_number(f"  {number.lower()}  ") == number


def test_full_width_input_from_a_korean_keyboard():
    number = new_case_number()
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in number)
    assert normalize_case_number(full_width) == number


@given(st.text(max_size=20))
def test_arbitrary_text_never_raises(text):
    result = normalize_case_number(text)
    assert result is None or is_valid_case_number(result)


def test_look_alikes_are_refused_not_guessed():
    number = new_case_number().replace("-", "")
    for wrong in "0O1IL":
        assert normalize_case_number(wrong + number[1:]) is None
    assert normalize_case_number(None) is None  # type: ignore[arg-type]


def test_numbers_from_a_sequence_are_distinct_valid_and_keyed():
    """The PostgreSQL store's numbers: a permutation of the sequence, unguessable without the key."""
    from storage.case_numbers import case_number_from_sequence

    key, other_key = b"k" * 32, b"q" * 32
    numbers = [case_number_from_sequence(n, key) for n in range(3000)]
    assert len(set(numbers)) == 3000
    assert all(FORMAT.fullmatch(n) and is_valid_case_number(n) for n in numbers)
    assert numbers[:50] != sorted(numbers[:50])  # consecutive values are not in order
    assert [case_number_from_sequence(n, other_key) for n in range(50)] != numbers[:50]
    assert case_number_from_sequence(7, key) == numbers[7]  # the same key, the same number
