"""Plain-text formatting the staff pages share (times, money, sizes); the templates escape the results."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.staff.flags import Flag
from bot.staff.flags import flag_name as _flag_name
from flows.amount import format_amount
from flows.policy import KST


def kst(timestamp: float, seconds: bool = False) -> str:
    """A POSIX time as a Korean wall-clock time."""
    when = dt.datetime.fromtimestamp(timestamp, KST)
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def money(value: int | None, lang: str) -> str:
    return "-" if value is None else format_amount(int(value), "en" if lang == "en" else "ko")


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def plain(value: Any) -> str:
    """A stored value as one line of text (structures as compact JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def flag_name(flag: Flag, lang: str) -> str:
    return _flag_name(flag, lang)
