"""Charts drawn on the server as inline SVG, with every number also written out as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape as esc


def bars(
    items: Sequence[tuple[str, float, str]],
    *,
    total: float | None = None,
    wide_values: bool = False,
) -> str:
    """Horizontal bars: one row per ``(label, value, shown value)``, widest bar the largest value.

    The label and the number are HTML text beside the bar (screen readers and
    narrow screens get them as text); only the bar itself is SVG, stretched by
    ``preserveAspectRatio="none"`` so no inline style is needed under the CSP.
    With ``total`` each row also shows its share of it.
    """
    top = max((value for _, value, _ in items), default=0) or 1
    rows = []
    for label, value, shown in items:
        width = 100 * value / top
        share = ""
        if total:
            share = f'<span class="share">{100 * value / total:.1f}%</span>'
        rows.append(
            '<div class="bar-row" role="listitem">'
            f'<span class="bar-label">{esc(label)}</span>'
            '<svg class="bar-track" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            '<rect class="track" x="0" y="0" width="100" height="10" rx="1"/>'
            f'<rect class="fill" x="0" y="0" width="{width:.2f}" height="10" rx="1"/></svg>'
            f'<span class="bar-value">{esc(shown)}{share}</span>'
            "</div>"
        )
    kind = "bars wide-values" if wide_values else "bars"
    return f'<div class="{kind}" role="list">{"".join(rows)}</div>'


def day_columns(
    per_day: Mapping[str, int],
    *,
    title: str,
    unit: str,
    width: int = 960,
    labels: int = 8,
    css_class: str = "",
) -> str:
    """A column per Korean date (``YYYY-MM-DD`` keys, in order), scaled to the busiest day.

    Each column carries a ``<title>`` with its date and count; the axis shows the
    maximum and ``labels`` dates spread over the range, the first and last at the
    picture's edges (anchored inwards, so none is cut). Dates carry the year
    when the range crosses one. ``unit`` is a format string with ``{n}`` for the
    count ("{n}건"). The picture scales with the page, so its text is only as
    large as ``width`` allows: draw a narrow one (about the phone's width in px)
    for phones and a wide one for desktops, and let CSS show one of them.
    """
    days = list(per_day.items())
    if not days:
        return ""
    height = 260 if width >= 600 else 200
    left, right, top, bottom = 44, 8, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(n for _, n in days) or 1
    slot = plot_w / len(days)
    gap = min(2.0, slot * 0.2)
    kind = f"columns {css_class}".strip()
    parts = [
        f'<svg class="{esc(kind)}" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<line class="grid" x1="{left}" y1="{top}" x2="{width - right}" y2="{top}"/>',
        f'<line class="grid" x1="{left}" y1="{top + plot_h / 2:.1f}" x2="{width - right}" y2="{top + plot_h / 2:.1f}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 6}" y="{top + plot_h / 2 + 4:.1f}" text-anchor="end">{peak / 2:,.0f}</text>',
        f'<text x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end">0</text>',
    ]
    for i, (day, n) in enumerate(days):
        h = plot_h * n / peak
        x = left + i * slot + gap / 2
        y = top + plot_h - h
        parts.append(
            f'<rect class="col" x="{x:.2f}" y="{y:.2f}" width="{max(slot - gap, 0.5):.2f}" height="{h:.2f}">'
            f"<title>{esc(day)}: {esc(unit.format(n=f'{n:,}'))}</title></rect>"
        )
    with_year = days[0][0][:4] != days[-1][0][:4]
    count = max(1, min(labels, len(days)))
    picked = sorted({round(k * (len(days) - 1) / max(count - 1, 1)) for k in range(count)})
    for i in picked:
        if i == 0:
            x, anchor = float(left), "start"
        elif i == len(days) - 1:
            x, anchor = float(width - right), "end"
        else:
            x, anchor = left + (i + 0.5) * slot, "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}">'
            f"{esc(_short_day(days[i][0], with_year=with_year))}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _short_day(day: str, *, with_year: bool = False) -> str:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return day
    return date.isoformat() if with_year else f"{date.month}/{date.day}"
