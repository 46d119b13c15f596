"""The geometry of the statistics charts; ``charts.html`` draws them as inline SVG (no script).

Every number is also written out as text beside or inside the picture. Python
works out the sizes and positions here; the markup is in the template's macros.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    width: str  # of 100, formatted for the SVG
    shown: str  # the value as text
    share: str | None  # "12.5%" of the total, or None


@dataclass(frozen=True)
class Bars:
    rows: tuple[Bar, ...]
    wide_values: bool


def bars(
    items: Sequence[tuple[str, float, str]],
    *,
    total: float | None = None,
    wide_values: bool = False,
) -> Bars:
    """Horizontal bars: one row per ``(label, value, shown value)``, widest bar the largest value.

    The label and the number are HTML text beside the bar (screen readers and
    narrow screens get them as text); only the bar itself is SVG, stretched by
    ``preserveAspectRatio="none"`` so no inline style is needed under the CSP.
    With ``total`` each row also shows its share of it.
    """
    top = max((value for _, value, _ in items), default=0) or 1
    rows = tuple(
        Bar(
            label=label,
            width=f"{100 * value / top:.2f}",
            shown=shown,
            share=f"{100 * value / total:.1f}%" if total else None,
        )
        for label, value, shown in items
    )
    return Bars(rows, wide_values)


@dataclass(frozen=True)
class Column:
    x: str
    y: str
    width: str
    height: str
    title: str  # "2022-10-19: 3건"


@dataclass(frozen=True)
class AxisLabel:
    x: str
    anchor: str  # "start", "middle" or "end"
    text: str


@dataclass(frozen=True)
class DayColumns:
    css_class: str
    title: str
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    top: int
    middle: str  # y of the half-peak line
    middle_text: str  # y of its label
    bottom: int  # y of the axis
    peak: str
    half: str
    columns: tuple[Column, ...]
    labels: tuple[AxisLabel, ...]


def day_chart(
    per_day: Mapping[str, int],
    *,
    title: str,
    unit: str,
    width: int = 960,
    labels: int = 8,
    css_class: str = "",
) -> DayColumns | None:
    """A column per Korean date (``YYYY-MM-DD`` keys, in order), scaled to the busiest day.

    Each column carries a ``<title>`` with its date and count; the axis shows the
    maximum and ``labels`` dates spread over the range, the first and last at the
    picture's edges (anchored inwards, so none is cut). Dates carry the year
    when the range crosses one. ``unit`` is a format string with ``{n}`` for the
    count ("{n}건"). The picture scales with the page, so its text is only as
    large as ``width`` allows: draw a narrow one (about the phone's width in px)
    for phones and a wide one for desktops, and let CSS show one of them.
    None when there are no days (nothing is drawn).
    """
    days = list(per_day.items())
    if not days:
        return None
    height = 260 if width >= 600 else 200
    left, right, top, bottom = 44, 8, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(n for _, n in days) or 1
    slot = plot_w / len(days)
    gap = min(2.0, slot * 0.2)
    columns = []
    for i, (day, n) in enumerate(days):
        h = plot_h * n / peak
        x = left + i * slot + gap / 2
        columns.append(
            Column(
                x=f"{x:.2f}",
                y=f"{top + plot_h - h:.2f}",
                width=f"{max(slot - gap, 0.5):.2f}",
                height=f"{h:.2f}",
                title=f"{day}: {unit.format(n=f'{n:,}')}",
            )
        )
    with_year = days[0][0][:4] != days[-1][0][:4]
    count = max(1, min(labels, len(days)))
    picked = sorted({round(k * (len(days) - 1) / max(count - 1, 1)) for k in range(count)})
    axis = []
    for i in picked:
        if i == 0:
            x, anchor = float(left), "start"
        elif i == len(days) - 1:
            x, anchor = float(width - right), "end"
        else:
            x, anchor = left + (i + 0.5) * slot, "middle"
        axis.append(AxisLabel(f"{x:.1f}", anchor, _short_day(days[i][0], with_year=with_year)))
    return DayColumns(
        css_class=f"columns {css_class}".strip(),
        title=title,
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=top,
        middle=f"{top + plot_h / 2:.1f}",
        middle_text=f"{top + plot_h / 2 + 4:.1f}",
        bottom=top + plot_h,
        peak=f"{peak:,}",
        half=f"{peak / 2:,.0f}",
        columns=tuple(columns),
        labels=tuple(axis),
    )


def day_columns(per_day: Mapping[str, int], **options: Any) -> Markup:
    """The day chart drawn by its template macro (for a page, or a test that reads the SVG)."""
    from bot.staff.templates import environment

    chart = day_chart(per_day, **options)
    macro = environment().get_template("charts.html").module.day_columns  # type: ignore[attr-defined]  # a template's macros are attributes made at run time
    return Markup(macro(chart)) if chart is not None else Markup()


def _short_day(day: str, *, with_year: bool = False) -> str:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return day
    return date.isoformat() if with_year else f"{date.month}/{date.day}"
