"""Reading and checking a Korean business registration number (사업자등록번호)."""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from flows.errors import BusinessNumberError

# Every ``BusinessNumberError.reason`` that parse_business_number raises.
BUSINESS_NUMBER_REASONS = ("format", "checksum", "trivial")

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
# Hyphen-like characters people type between the groups (NFKC already folds －).
_DASHES = str.maketrans("", "", "-‐‑‒–—−")
_MASKED_UNKNOWN = "***-**-*****"


def parse_business_number(text: str) -> str:
    """Return ``text`` as "XXX-XX-XXXXX", or raise :class:`BusinessNumberError`.

    Spaces, hyphens and full-width digits are accepted. ``reason`` is "format"
    (not ten digits), "trivial" (a placeholder such as 000-00-00000 or
    123-45-67890, refused whatever its check digit) or "checksum".
    """
    digits = _ten_digits(text)
    if digits is None:
        raise BusinessNumberError("format")
    if _is_trivial(digits):
        raise BusinessNumberError("trivial")
    if _check_digit(digits) != int(digits[9]):
        raise BusinessNumberError("checksum")
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def mask_business_number(text: str) -> str:
    """Return the number for logs with its last five digits hidden: "123-45-*****".

    Never raises: text that is not a ten-digit number is hidden entirely.
    """
    digits = _ten_digits(text)
    if digits is None:
        return _MASKED_UNKNOWN
    return f"{digits[:3]}-{digits[3:5]}-*****"


def is_business_number(digits: str) -> bool:
    """Whether ten ASCII digits carry a valid check digit (placeholders included)."""
    return len(digits) == 10 and digits.isdigit() and _check_digit(digits) == int(digits[9])


def _ten_digits(text: str) -> str | None:
    """Return the ten ASCII digits of ``text`` without separators, or None."""
    digits = "".join(unicodedata.normalize("NFKC", text).split()).translate(_DASHES)
    if len(digits) == 10 and digits.isascii() and digits.isdigit():
        return digits
    return None


def _check_digit(digits: str) -> int:
    # The ninth digit counts twice: times 5, plus the tens of that product.
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    total += int(digits[8]) * 5 // 10
    return (10 - total % 10) % 10


def _is_trivial(digits: str) -> bool:
    """Whether ``digits`` is a placeholder: one digit repeated, or a run up or down by one.

    These are what people type to get past the question (0000000000, 1234567890,
    9876543210). The list stays this small and this obvious on purpose.
    """
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(digits)}
    return steps in ({0}, {1}, {9})
