"""Reading a loss amount as people type it, in Korean or English, into whole won."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple

from flows.errors import AmountError

# Every ``AmountError.reason`` that parse_amount raises; each has its own hint text.
AMOUNT_REASONS = (
    "empty",
    "no_amount",
    "zero",
    "negative",
    "range",
    "several",
    "fraction",
    "too_large",
    "unreadable",
)

DEFAULT_CAP = 100_000_000_000

# How ambiguous input is read; tests/flows/test_amount.py pins each choice.
# - The thousands separator is a comma. "300 000" is two numbers ("several"), and a
#   point before exactly three digits ("300.000", "1.500만") is "unreadable", since
#   in much of Europe it groups thousands.
# - k is a thousand and m a million (1.5m = 1,500,000); the bot echoes the amount
#   back before it is kept, so a reader who meant 만 by m can correct it.
# - Big units must descend: "5만 3억" and "30만 50만" are two amounts ("several").
# - 영 and 공 are not digits: Korean numerals with units never need a zero, and
#   영원 or 공짜 are words.
# - A bound (이상, 이하, 넘게, 까지, 30만원대, over) counts as a "range": the
#   compensation brackets are bounded at 30만 and 50만, so "30만원 이상" decides nothing.
# - Hedges (약, 정도, 쯤, about) and unknown words around a single number are
#   ignored; the same amount written twice ("300000원 (삼십만원)") is "several".
# - Another currency ($, 달러, 엔, usd) is "unreadable": no exchange rate is guessed.

# Token kinds. A *coefficient* is a number waiting for its unit (3 in 3천, 30 in
# 30만); a small unit (십 백 천) scales within a 만-group, a big unit (만 억 조, k, m)
# scales a whole group. Everything else marks the edge of a number.
_COEF = "coef"
_SMALL = "small"
_BIG = "big"
_WON = "won"  # 원, won, krw, ₩: ends a number it follows, else just a prefix
_BREAK = "break"  # other words and punctuation: a number ends here
_RANGE = "range"  # ~, 에서, 부터, 내지, 사이, to
_DASH = "dash"  # - between two numbers: a range
_SIGN = "sign"  # - glued to the front of a number: a minus sign
_MINUS = "minus"  # 마이너스, minus
_BOUND = "bound"  # 이상, 이하, 미만, 초과, 까지, 넘게, over...: one side of a range
_FOREIGN = "foreign"  # another currency: never guess a rate

_KOREAN_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_KOREAN_SMALL = {"십": 1, "백": 2, "천": 3}
_KOREAN_BIG = {"만": 4, "억": 8, "조": 12}
_NUMERAL_CHARS = frozenset("0123456789").union(_KOREAN_DIGITS, _KOREAN_SMALL, _KOREAN_BIG)

# Hangul words that change the meaning of a number next to them. Unknown words
# need no entry: they only end a number.
_KOREAN_MARKERS = {
    "마이너스": _MINUS,
    "이상": _BOUND,
    "이상하": _BREAK,  # 이상하다, "strange", is not 이상, "or more"
    "이하": _BOUND,
    "미만": _BOUND,
    "초과": _BOUND,
    "이내": _BOUND,
    "까지": _BOUND,
    "넘게": _BOUND,
    "넘는": _BOUND,
    "넘어": _BOUND,
    "넘음": _BOUND,
    "넘었": _BOUND,
    "넘을": _BOUND,
    "최소": _BOUND,
    "최대": _BOUND,
    "최고": _BOUND,
    "적어도": _BOUND,
    "에서": _RANGE,
    "부터": _RANGE,
    "내지": _RANGE,
    "사이": _RANGE,
    # "or" and "and" start a new number, also when typed without spaces.
    "또는": _BREAK,
    "혹은": _BREAK,
    "아니면": _BREAK,
    "하고": _BREAK,
    "과": _BREAK,
    "와": _BREAK,
    "및": _BREAK,
    "랑": _BREAK,
    "달러": _FOREIGN,
    "유로": _FOREIGN,
    "위안": _FOREIGN,
    "엔화": _FOREIGN,
    "엔": _FOREIGN,
}
_LONGEST_MARKER = max(map(len, _KOREAN_MARKERS))
_MARKER_STARTS = frozenset(word[0] for word in _KOREAN_MARKERS if len(word) > 1)

_LATIN_WORDS = {
    "won": (_WON, 0),
    "krw": (_WON, 0),
    "w": (_WON, 0),
    "k": (_BIG, 3),
    "thousand": (_BIG, 3),
    "m": (_BIG, 6),
    "million": (_BIG, 6),
    "billion": (_BIG, 9),
    "to": (_RANGE, 0),
    "minus": (_MINUS, 0),
    "over": (_BOUND, 0),
    "under": (_BOUND, 0),
    "above": (_BOUND, 0),
    "below": (_BOUND, 0),
    "least": (_BOUND, 0),
    "most": (_BOUND, 0),
    "max": (_BOUND, 0),
    "min": (_BOUND, 0),
    "usd": (_FOREIGN, 0),
    "eur": (_FOREIGN, 0),
    "jpy": (_FOREIGN, 0),
    "cny": (_FOREIGN, 0),
    "dollar": (_FOREIGN, 0),
    "dollars": (_FOREIGN, 0),
    "euro": (_FOREIGN, 0),
    "euros": (_FOREIGN, 0),
    "yen": (_FOREIGN, 0),
}

_SYMBOLS = {
    "₩": _WON,  # ￦ becomes ₩ under NFKC
    "\\": _WON,  # Korean fonts draw the backslash as a won sign
    "~": _RANGE,  # ～ becomes ~ under NFKC
    "〜": _RANGE,
    "∼": _RANGE,
    "-": _DASH,
    "−": _DASH,
    "‐": _DASH,
    "–": _DASH,
    "—": _DASH,
    "$": _FOREIGN,
    "€": _FOREIGN,
    "£": _FOREIGN,
    "¥": _FOREIGN,
}
# Arithmetic touching a number ("30%", "30만*2", "3^5") is number-like but not an amount.
_ARITHMETIC = frozenset("%^*×÷=+")

_CHUNKS = re.compile(
    r"(?P<digits>[0-9]+(?:[.,][0-9]+)*|\.[0-9]+)"
    r"|(?P<hangul>[가-힣]+)"
    r"|(?P<latin>[a-z]+)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)

# Beyond this many digits a number is certainly too large, whatever the cap;
# stopping here also keeps int() away from its 4,300-digit limit.
_MAX_DIGITS = 40


class _Token(NamedTuple):
    kind: str
    value: int | Fraction = 0  # a coefficient's value
    glued: bool = False  # no space before it
    decimal: bool = False  # a coefficient typed with a decimal point
    exp: int = 0  # a unit's power of ten


class _Section(NamedTuple):
    """A coefficient times one big unit: 3456만 is (34_560_000, 4)."""

    value: int | Fraction
    exp: int  # power of ten of the unit; 0 when the section has none
    decimal: bool


def parse_amount(text: str, *, cap: int = DEFAULT_CAP) -> int:
    """Return the amount in ``text`` in whole won, or raise :class:`AmountError`.

    ``reason`` is one of :data:`AMOUNT_REASONS`: "empty" (blank), "no_amount" (no
    number), "unreadable" (number-like but malformed), "several" or "range" (more
    than one number, or a bound like 이상), "zero", "negative", "too_large"
    (above ``cap``; ``detail`` holds the digits read) and "fraction" (not whole
    won), checked in that order.
    """
    if not text or text.isspace():
        raise AmountError("empty")
    sections = _read_sections(_tokenize(_prepare(text)))
    reading = _join_sections(sections)
    amounts = reading.amounts
    if not amounts:
        raise AmountError("no_amount")
    if len(amounts) > 1:
        found = ", ".join(str(a) for a in amounts)
        raise AmountError("range" if reading.ranged else "several", found)
    if reading.ranged:
        raise AmountError("range", "a bound such as 이상 or 까지")
    value = amounts[0]
    if value == 0:
        raise AmountError("zero")
    if reading.negative:
        raise AmountError("negative")
    if value > cap:
        raise AmountError("too_large", str(int(value)))
    if isinstance(value, Fraction) and value.denominator != 1:
        raise AmountError("fraction", str(value))
    return int(value)


# Hanja units as on receipts and old forms (三十萬 is rare; 30萬 is not).
_HANJA_UNITS = str.maketrans(
    {"萬": "만", "万": "만", "億": "억", "亿": "억", "兆": "조", "千": "천", "百": "백", "十": "십"}
)
# Other currencies' signs that NFKC leaves alone; an amount in them is not in won.
_FOREIGN_SIGNS = frozenset("円元¥$€£")
# English number words are not read (a misreading would be confirmed as fact):
# "thirty thousand won" must not become 1,000원. Digits with "thousand" still work.
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|hundreds|dozen)\b",
    re.IGNORECASE,
)
# "일금" (the sum of) opens amounts on forms, often glued to them: 일금삼십만원정.
_ILGEUM = re.compile(r"^\s*일금\s*")


def _prepare(text: str) -> str:
    """Refuse what the tokenizer would misread; rewrite hanja units and a glued 일금."""
    text = unicodedata.normalize("NFKC", text)
    if any(ch in _FOREIGN_SIGNS for ch in text):
        raise AmountError("unreadable", "not in won")
    if _NUMBER_WORDS.search(text):
        raise AmountError("unreadable", "number words")
    return _ILGEUM.sub("", text.translate(_HANJA_UNITS))


def format_amount(value: int, lang: str = "ko") -> str:
    """Return ``value`` with thousands commas: "300,000원" (ko) or "KRW 300,000" (en)."""
    if lang == "ko":
        return f"{value:,}원"
    if lang == "en":
        return f"KRW {value:,}"
    raise ValueError(f"no amount format for language {lang!r}")


def format_korean_units(value: int) -> str:
    """Return ``value`` in 만-units, spaced at each unit: "12억 3456만 7898원", "30만원"."""
    if value < 0:
        raise ValueError("amounts are not negative")
    if value == 0:
        return "0원"
    parts = []
    for unit in ("", "만", "억"):
        value, group = divmod(value, 10_000)
        if group:
            parts.append(f"{group}{unit}")
        if not value:
            break
    else:
        parts.append(f"{value}조")  # may exceed 9999: 경 and above are not written
    return " ".join(reversed(parts)) + "원"


# -- tokenizer --------------------------------------------------------------------


def _tokenize(text: str) -> list[_Token]:
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[_Token] = []
    glued = False
    for match in _CHUNKS.finditer(text):
        chunk = match.group()
        group = match.lastgroup
        if group == "space":
            glued = False
            continue
        if group == "digits":
            value, decimal = _read_digits(chunk)
            tokens.append(_Token(_COEF, value, glued, decimal))
        elif group == "hangul":
            after_digits = glued and text[match.start() - 1] in "0123456789"
            tokens.extend(_segment_hangul(chunk, glued, after_digits))
        elif group == "latin":
            kind, exp = _LATIN_WORDS.get(chunk, (None, 0))
            if kind is None:
                if _touches_numeral(text, match.start(), match.end()):
                    raise AmountError("unreadable", chunk)  # "3o만", "300abc"
                kind = _BREAK
            tokens.append(_Token(kind, glued=glued, exp=exp))
        else:
            tokens.append(_Token(_symbol_kind(text, match.start(), chunk), 0, glued))
        glued = True
    for token in tokens:
        if token.kind == _FOREIGN:
            raise AmountError("unreadable", "not in won")
    return tokens


def _read_digits(chunk: str) -> tuple[int | Fraction, bool]:
    """Read "300,000", "1.5" or ".5"; return the value and whether it had decimals."""
    whole, _, fraction = chunk.partition(".")
    if "." in fraction or "," in fraction:
        raise AmountError("unreadable", chunk)  # "1.250.000", "1.5,3"
    if "," in whole:
        head, *groups = whole.split(",")
        if not (0 < len(head) <= 3 and head[0] != "0" and all(len(g) == 3 for g in groups)):
            raise AmountError("unreadable", chunk)  # "3,00,000", "1,5"
        whole = head + "".join(groups)
    elif len(fraction) == 3 and 0 < len(whole) <= 3 and whole[0] != "0":
        # "300.000" is 300,000 in much of Europe and 300 here: too risky to guess.
        raise AmountError("unreadable", chunk)
    whole = whole.lstrip("0")
    if len(whole) > _MAX_DIGITS:
        whole = "1" + "0" * _MAX_DIGITS
    fraction = fraction.rstrip("0")
    if not fraction:
        return int(whole or "0"), False
    if len(fraction) > 20:
        # No unit reaches 10**20, so the tail can only keep the value fractional.
        fraction = fraction[:20] + "1"
    return Fraction(int(whole + fraction), 10 ** len(fraction)), True


def _touches_numeral(text: str, start: int, end: int) -> bool:
    return (start > 0 and text[start - 1] in _NUMERAL_CHARS) or (
        end < len(text) and text[end] in _NUMERAL_CHARS
    )


def _symbol_kind(text: str, at: int, char: str) -> str:
    if char in _ARITHMETIC:
        if _touches_numeral(text, at, at + 1):
            raise AmountError("unreadable", char)
        return _BREAK
    kind = _SYMBOLS.get(char, _BREAK)
    if kind == _DASH:
        # A minus sign is glued to the number after it and to no word before it:
        # "-30만", "(-30만)". "30-50" is a range, "피해액-30만" a label, "- 30만" a bullet.
        before_free = at == 0 or not text[at - 1].isalnum()
        after_number = at + 1 < len(text) and text[at + 1] in _NUMERAL_CHARS
        if before_free and after_number:
            return _SIGN
    return kind


def _segment_hangul(run: str, glued: bool, after_digits: bool) -> list[_Token]:
    """Split a run of Hangul into number tokens, or treat it as a plain word.

    Korean numerals are also ordinary syllables (오늘, 억울해요, 백화점), so a run
    only counts as a number when it reads as one to its end, or when the part that
    does read is plainly an amount followed by an ending (30만원밖에, 삼십만원이요).
    """
    tokens: list[_Token] = []
    start = 0
    while start < len(run):
        glued_to_digits = after_digits and start == 0
        part, stop = _scan_hangul(run, start, glued_to_digits)
        if part and (stop == len(run) or _is_amount_prefix(part, glued_to_digits)):
            first = part[0]
            tokens.append(_Token(first.kind, first.value, glued or start > 0, exp=first.exp))
            tokens.extend(part[1:])
            start = stop
            continue
        tokens.append(_Token(_BREAK, 0, glued or start > 0))
        break
    return tokens


def _is_amount_prefix(part: list[_Token], after_digits: bool) -> bool:
    """Whether the readable start of a Hangul word means something whatever follows."""
    if after_digits or part[0].kind in (_BOUND, _RANGE, _MINUS):
        return True  # 30만원밖에 (digits came first), 넘어요, 이상이에요
    kinds = {t.kind for t in part}
    # 원, a digit with a big unit, or a unit with the particle 이: 천만원도, 삼십만이라,
    # 천이요; but not 천만다행 or 억울해요.
    particle = any(a.kind in (_SMALL, _BIG) and b.kind == _BREAK for a, b in pairwise(part))
    return _WON in kinds or (_BIG in kinds and _COEF in kinds) or particle


def _scan_hangul(run: str, start: int, after_digits: bool) -> tuple[list[_Token], int]:
    """Read tokens from ``run[start:]`` until a syllable fits nowhere; return them and where."""
    tokens: list[_Token] = []
    ended = False  # after 원 or a particle only markers and the particle 만 may follow
    i = start
    n = len(run)
    while i < n:
        word = None
        if run[i] in _MARKER_STARTS:
            for size in range(min(_LONGEST_MARKER, n - i), 1, -1):
                if run[i : i + size] in _KOREAN_MARKERS:
                    word = run[i : i + size]
                    break
        if word is not None:
            kind = _KOREAN_MARKERS[word]
            tokens.append(_Token(kind, 0, True))
            i += len(word)
            ended = ended and kind not in (_RANGE, _BREAK)  # 에서, 또는: a new number
            continue
        char = run[i]
        prev = tokens[-1].kind if tokens else None
        following = run[i + 1] if i + 1 < n else ""
        if char in _KOREAN_MARKERS:  # single-syllable markers: 엔, 과, 와, 및, 랑
            kind = _KOREAN_MARKERS[char]
            tokens.append(_Token(kind, 0, True))
            ended = ended and kind != _BREAK
        elif char == "대" and prev in (_BIG, _WON):
            tokens.append(_Token(_BOUND, 0, True))  # 30만(원)대: "in the 300,000s"
            ended = True
        elif ended:
            if char != "만":
                break
            tokens.append(_Token(_BREAK, 0, True))  # 30만원만: the particle "only"
        elif char == "원":
            tokens.append(_Token(_WON, 0, True))
            ended = True
        elif char in _KOREAN_SMALL:
            tokens.append(_Token(_SMALL, glued=True, exp=_KOREAN_SMALL[char]))
        elif char in _KOREAN_BIG:
            tokens.append(_Token(_BIG, glued=True, exp=_KOREAN_BIG[char]))
        elif char in _KOREAN_DIGITS:
            unit_follows = following in _KOREAN_SMALL or following in _KOREAN_BIG
            # 이 after a unit is mostly the subject particle (30만이요, 천이에요), but
            # a digit before 원 or a unit, and at the very end after 십/백/천 (십이).
            particle = (
                char == "이"
                and prev in (_SMALL, _BIG)
                and not unit_follows
                and following != "원"
                and (following != "" or prev == _BIG)
            )
            # 만일 ("if") is a word, 삼만오 a number: the unit must have its own digits.
            if prev == _BIG and len(tokens) > 1:
                counted_big = tokens[-2].kind in (_COEF, _SMALL)
            else:
                counted_big = prev == _BIG and after_digits  # 3만오
            if particle:
                tokens.append(_Token(_BREAK, 0, True))
                ended = True
            elif unit_follows or prev == _SMALL or counted_big:
                tokens.append(_Token(_COEF, _KOREAN_DIGITS[char], True))
            else:
                break  # a lone numeral syllable is a word: 오늘, 일단, 사과
        else:
            break
        i += 1
    return tokens, i


# -- grammar ----------------------------------------------------------------------


class _SectionReader:
    """Turn tokens into sections and markers; a group of small units ends at a big one."""

    def __init__(self) -> None:
        self.items: list[_Section | str] = []
        self._clear()

    def _clear(self) -> None:
        self.total: int | Fraction = 0  # small-unit pieces so far: 2천5백 is 2500
        self.small_exp: int | None = None  # the last small unit's power of ten
        self.pending: int | Fraction | None = None  # a coefficient awaiting its unit
        self.decimal = False

    def coefficient(self, token: _Token) -> None:
        if self.pending is not None:
            # The previous token was a coefficient too.
            if token.glued:
                raise AmountError("unreadable", "digits run into each other")
            self.end_group()  # "300 000": the first number has ended
        elif self.small_exp is not None:
            if self.decimal or token.decimal:
                raise AmountError("unreadable", "a decimal inside 천/백/십")
            if token.value >= 10**self.small_exp:
                self.end_group()  # 2천 5000: not a digit of 2천
        self.pending = token.value
        self.decimal = self.decimal or token.decimal

    def small_unit(self, exp: int) -> None:
        coefficient = 1 if self.pending is None else self.pending
        piece = coefficient * 10**exp
        if self.small_exp is not None and (exp >= self.small_exp or piece >= 10**self.small_exp):
            raise AmountError("unreadable", "units out of order")  # 십십, 백천, 2천15백
        self.total += piece
        self.small_exp = exp
        self.pending = None

    def big_unit(self, exp: int, right_after_big: bool) -> None:
        if self.pending is None and self.small_exp is None:
            if right_after_big:
                raise AmountError("unreadable", "units run into each other")  # 억만, 만k
            group: int | Fraction = 1  # 만원 is 1만
        else:
            group = self.total + (self.pending or 0)
        self.items.append(_Section(group * 10**exp, exp, self.decimal))
        self._clear()

    def end_group(self) -> None:
        if self.pending is None and self.small_exp is None:
            return
        self.items.append(_Section(self.total + (self.pending or 0), 0, self.decimal))
        self._clear()

    def marker(self, kind: str) -> None:
        self.end_group()
        self.items.append(kind)


def _read_sections(tokens: list[_Token]) -> list[_Section | str]:
    reader = _SectionReader()
    prev = None
    for token in tokens:
        kind = token.kind
        if kind == _COEF:
            reader.coefficient(token)
        elif kind == _SMALL:
            reader.small_unit(token.exp)
        elif kind == _BIG:
            reader.big_unit(token.exp, prev == _BIG and token.glued)
        else:
            reader.marker(kind)
        prev = kind
    reader.end_group()
    return reader.items


class _Reading(NamedTuple):
    amounts: list[int | Fraction]
    ranged: bool  # two numbers joined by ~, 에서..., or one with a bound like 이상
    negative: bool  # the only amount carries a minus


def _join_sections(items: list[_Section | str]) -> _Reading:
    """Join descending sections into amounts: 12억 3456만 7898 is one, 30만 50만 two."""
    amounts: list[int | Fraction] = []
    last: _Section | None = None  # the previous item, when it was a section
    between: set[str] = set()  # markers since the last amount
    ranged = negative = False
    for item in items:
        if isinstance(item, str):
            last = None
            between.add(item)
            ranged = ranged or item == _BOUND
            continue
        if last is not None and item.exp < last.exp and item.value < 10**last.exp:
            if item.decimal or last.decimal:
                raise AmountError("unreadable", "a decimal amid units")  # 1.5억 2천만
            amounts[-1] += item.value
        else:
            if amounts:
                ranged = ranged or bool(between & {_RANGE, _DASH, _SIGN})
            else:
                negative = bool(between & {_SIGN, _MINUS})
            amounts.append(item.value)
        between.clear()
        last = item
    return _Reading(amounts, ranged, negative)
