"""Typed text made safe and comparable: control characters out, buttons matched loosely."""

from __future__ import annotations

import re
import unicodedata

from flows.evidence import normalize_file_name

# Bidirectional overrides can disguise text in staff views; joiners inside emoji are kept.
_BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)


# Letters that render as nothing: Hangul fillers and the blank braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def clean_text(text: str) -> str:
    """Drop control characters and bidi overrides (keeping line breaks) and surrounding space.

    A text with nothing visible in it (zero-width spaces, Hangul fillers…) is empty.
    """
    kept = "".join(
        ch
        for ch in text
        if ch in "\n\t"
        or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI_CONTROLS)
    ).strip()
    if not any(_visible(ch) for ch in kept):
        return ""
    return kept


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LETTERS


def clean_file_name(name: str) -> str:
    """A file name safe to echo and store: its normal form (:func:`normalize_file_name`),
    which the type check reads and staff download under; ``file`` when nothing shows."""
    return normalize_file_name(clean_text(name.replace("\n", " ").replace("\t", " ")))


def fold(text: str) -> str:
    """Normalise typed text for matching button labels: width, case, spaces, punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


# A note in brackets after a button's words: "카카오 로그인(다른 서비스)", "Gifts (선물하기)".
_NOTE = re.compile(r"\s*[(\uff08][^()\uff08\uff09]*[)\uff09]")


def without_note(label: str) -> str:
    """A label without its parenthesised notes ("카카오 로그인(다른 서비스)" → "카카오 로그인")."""
    return _NOTE.sub("", label).strip()
