"""The Korean particle after a quoted button name takes the word's form."""

import pytest

from flows.locales.ko_particles import fit_particle


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("접수 확인", "로", "으로"),  # ends in ㄴ
        ("처음부터", "으로", "로"),  # ends in a vowel
        ("뒤로", "으로", "로"),
        ("이어서 보기", "을", "를"),
        ("접수 확인", "를", "을"),
        ("메일", "으로", "로"),  # ㄹ takes 로
        ("English", "을", "를"),  # not Hangul: as after a vowel
        ("처음부터", "만", "만"),  # one form only
        ("", "을", "을"),
    ],
)
def test_the_particle_fits_the_word(word: str, particle: str, expected: str) -> None:
    assert fit_particle(word, particle) == expected
