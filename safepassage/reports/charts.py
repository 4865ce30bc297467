"""Small server-rendered SVG charts for the public pages and the printed report."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def signatures_over_time(
    per_day: Mapping[str, int], *, title: str, width: int = 720, height: int = 160
) -> str:
    """Bars of signatures per day, with a line of the running total; "" for under two days.

    per_day maps ISO dates to counts; days in between without signatures are drawn empty.
    """
    days = sorted(dt.date.fromisoformat(day) for day in per_day)
    if len(days) < 2:
        return ""
    span = (days[-1] - days[0]).days + 1
    counts = [
        int(per_day.get((days[0] + dt.timedelta(days=i)).isoformat(), 0)) for i in range(span)
    ]
    top, bottom, left, right = 10, 22, 4, 4
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / span
    peak = max(counts) or 1
    total = sum(counts) or 1
    label = _text(title)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sp-chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-label="{label}"><title>{label}</title>'
        "<style>.bar{fill:#7c9cc8}.line{fill:none;stroke:#1f3f73;stroke-width:2}"
        ".axis{stroke:#9aa1b1}text{font:11px system-ui,sans-serif;fill:#4a5163}</style>",
    ]
    running, line = 0, []
    for i, count in enumerate(counts):
        day = (days[0] + dt.timedelta(days=i)).isoformat()
        x = left + i * step
        bar_h = plot_h * count / peak
        if count:
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - bar_h:.1f}"'
                f' width="{max(step - 1, 0.5):.1f}" height="{bar_h:.1f}">'
                f"<title>{day}: {count}</title></rect>"
            )
        running += count
        line.append(f"{x + step / 2:.1f},{top + plot_h - plot_h * running / total:.1f}")
    out.append(f'<polyline class="line" points="{" ".join(line)}"/>')
    base = top + plot_h
    out.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
    out.append(f'<text x="{left}" y="{height - 6}">{days[0].isoformat()}</text>')
    out.append(
        f'<text x="{width - right}" y="{height - 6}" text-anchor="end">'
        f"{days[-1].isoformat()}</text>"
    )
    out.append("</svg>")
    return "".join(out)


YEAR_BAR_COLOUR = "#d9822b"
YEAR_BAR_CURRENT_COLOUR = "#a8501a"


def year_bars(
    rows: Sequence[tuple[str, int]],
    *,
    title: str,
    current: str = "",
    width: int = 480,
    bar_height: int = 22,
) -> str:
    """Horizontal bars, one per labelled value (e.g. signatures per year); "" for no rows.

    The row whose label equals ``current`` is drawn darker. Labels and values are
    written beside the bars, so the chart reads without a legend or colours.
    """
    if not rows:
        return ""
    label_w, value_w, gap = 120, 80, 6
    plot_w = width - label_w - value_w
    height = len(rows) * (bar_height + gap) + gap
    peak = max(value for _label, value in rows) or 1
    name = _text(title)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sp-chart sp-years"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{name}"><title>{name}</title>'
        f"<style>.ybar{{fill:{YEAR_BAR_COLOUR}}}.ybar.now{{fill:{YEAR_BAR_CURRENT_COLOUR}}}"
        "text{font:12px system-ui,sans-serif;fill:#333333}</style>",
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        bar_w = plot_w * max(value, 0) / peak
        css = "ybar now" if current and label == current else "ybar"
        out.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{_text(label)}</text>"
        )
        if bar_w > 0:
            out.append(
                f'<rect class="{css}" x="{label_w}" y="{y}" width="{bar_w:.1f}"'
                f' height="{bar_height}"><title>{_text(label)}: {value}</title></rect>'
            )
        out.append(
            f'<text x="{label_w + bar_w + 4:.1f}" y="{y + bar_height * 0.7:.1f}">{value}</text>'
        )
    out.append("</svg>")
    return "".join(out)
