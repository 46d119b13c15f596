"""Case numbers: short, random, easy to read aloud, and carrying a check character."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

# 31 symbols: the digits 2-9 and the letters without I, L and O, so that 0/O,
# 1/I/L never have to be told apart on a receipt, a screenshot or the phone.
# 31 is prime, which is what makes the check character below catch every
# single-character typo and every swap of two neighbouring characters.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_BASE = len(ALPHABET)

# 8 random symbols: 31**8 is about 8.5e11 numbers, so with the 105,116 cases of
# the 1015 outage a guessed number hits a real case about once in 8 million tries.
RANDOM_LENGTH = 8
LENGTH = RANDOM_LENGTH + 1  # plus the check character, last
_PAYLOADS = _BASE**RANDOM_LENGTH
_DRAW_LIMIT = (1 << 64) // _PAYLOADS * _PAYLOADS  # 64-bit draws at or above it are redrawn
GROUP = 3  # shown as XXX-XXX-XXX

# What people put between or around the characters: spaces, hyphens and dashes.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.]+")


def _check_char(payload: str) -> str:
    """Return the symbol c that makes sum(i * value) over payload + c divisible by 31.

    Position weights 1..9 are distinct and non-zero modulo 31, so changing one
    symbol or swapping two neighbours always changes the sum modulo 31.
    """
    total = sum(i * _VALUE[ch] for i, ch in enumerate(payload, start=1))
    weight = len(payload) + 1
    # weight * c == -total (mod 31); pow(weight, -1, 31) is weight's inverse.
    return ALPHABET[(-total * pow(weight, -1, _BASE)) % _BASE]


def _group(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def new_case_number() -> str:
    """Return a fresh random case number in its canonical form, e.g. ``K7F-3QX-9MZ``.

    Uniqueness is not promised here: the storage that records the case creates
    its file or row exclusively and draws again on a clash.
    """
    # One draw for all 8 symbols (secrets.choice per symbol was a getrandom each), uniform
    # over the 31**8 payloads: 64 random bits, drawn again in the last, incomplete range.
    while True:
        value = int.from_bytes(secrets.token_bytes(8), "big")
        if value < _DRAW_LIMIT:
            break
    value %= _PAYLOADS
    symbols = []
    for _ in range(RANDOM_LENGTH):
        value, digit = divmod(value, _BASE)
        symbols.append(ALPHABET[digit])
    payload = "".join(symbols)
    return _group(payload + _check_char(payload))


def normalize_case_number(s: str) -> str | None:
    """Return the canonical form of a typed case number, or None when it is not one.

    Lower case, full-width characters (as a Korean keyboard may produce),
    spaces, hyphens and dashes are accepted; a wrong check character is not.
    """
    if not isinstance(s, str):
        return None
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", s)).upper()
    if len(compact) != LENGTH or any(ch not in _VALUE for ch in compact):
        return None
    if _check_char(compact[:-1]) != compact[-1]:
        return None
    return _group(compact)


def is_valid_case_number(s: str) -> bool:
    """Tell whether ``s`` is a well-formed case number with a matching check character."""
    return normalize_case_number(s) is not None


# -- numbers from a sequence (the PostgreSQL store) ------------------------------------------
# A store with a sequence gets uniqueness for free, but the n-th case must not be
# numbered so that the (n+1)-th can be guessed. A balanced Feistel network over the
# 31**8 payloads (two halves of 31**4), its round function an HMAC under a key
# the store keeps, is a permutation: distinct n give distinct numbers, and without
# the key the number of one case says nothing of another's.
_HALF: int = _BASE ** (RANDOM_LENGTH // 2)
SEQUENCE_SPACE = _HALF * _HALF  # how many numbers there are: 31**8
_ROUNDS = 4


def _round(key: bytes, i: int, half: int) -> int:
    mac = hmac.new(key, f"{i}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") % _HALF


def case_number_from_sequence(n: int, key: bytes) -> str:
    """Return the case number of the ``n``-th case (0 <= n < 31**8) under ``key``.

    A bijection: two values of ``n`` never give the same number.
    """
    if not 0 <= n < SEQUENCE_SPACE:
        raise ValueError(f"sequence value {n} is out of range")
    left, right = divmod(n, _HALF)
    for i in range(_ROUNDS):
        left, right = right, (left + _round(key, i, right)) % _HALF
    value = left * _HALF + right
    digits = []
    for _ in range(RANDOM_LENGTH):
        value, d = divmod(value, _BASE)
        digits.append(ALPHABET[d])
    payload = "".join(reversed(digits))
    return _group(payload + _check_char(payload))
