"""Korean particles that take their form from the word before them.

``'접수 확인'으로`` but ``'처음부터'를``: whether the last syllable ends in a
consonant (받침) picks the form. Kept beside the Korean texts because the forms
are Korean words a person reads.
"""

from __future__ import annotations

# particle as written -> (form after a final consonant, form after a vowel)
_FORMS = {
    "으로": ("으로", "로"),
    "로": ("으로", "로"),
    "을": ("을", "를"),
    "를": ("을", "를"),
    "이": ("이", "가"),
    "가": ("이", "가"),
    "은": ("은", "는"),
    "는": ("은", "는"),
    "과": ("과", "와"),
    "와": ("과", "와"),
}
_HANGUL_FIRST = 0xAC00
_HANGUL_COUNT = 11172
_RIEUL = 8  # ㄹ as a final consonant: 로, not 으로


def fit_particle(word: str, particle: str) -> str:
    """The form of ``particle`` that follows ``word``; a particle with one form is returned as is.

    A word that does not end in a Hangul syllable counts as ending in a vowel.
    """
    forms = _FORMS.get(particle)
    if forms is None or not word:
        return particle
    index = ord(word[-1]) - _HANGUL_FIRST
    final = index % 28 if 0 <= index < _HANGUL_COUNT else 0
    if forms[0] == "으로":
        return forms[0] if final not in (0, _RIEUL) else forms[1]
    return forms[0] if final else forms[1]
