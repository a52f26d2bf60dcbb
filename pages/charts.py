"""Charts drawn on the server as SVG: no JavaScript, nothing loaded from anyone else.

Each function takes data and ready-made (translated) text and returns SVG markup safe to put
in a page: every text is escaped, every number formatted for the active language. Each chart
is ``role="img"`` named by its ``<title>`` and described by its ``<desc>``; the page shows the
same data as a table beside it, for screen readers and for anyone who wants the numbers.

Written by hand rather than with a charting library: the three shapes needed (a cumulative
line, horizontal bars, one proportion bar) are small, and the libraries that draw SVG on the
server (pygal, matplotlib) bring their own scripts, styles or a large dependency.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# The site's palette (static/css/site.css): ink on white, the campaign's red for data.
INK = "#14151a"
INK_SOFT = "#40434d"
ACCENT = "#b3122e"
GRID = "#d9d1c4"
TRACK = "#f1ebe1"
# Average advance of a character, as a share of the font size: to leave room for labels.
CHAR_WIDTH = 0.6


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class Point:
    """One point of a line chart. A point with a ``label`` gets a marker whose tooltip is the
    label; a point without one only shapes the line."""

    day: datetime.date
    value: int
    label: str = ""


def format_count(value: int) -> str:
    """A count with the active language's digit grouping: 12,345 or 12 345."""
    return number_format(value, force_grouping=True)


def _n(number: float) -> str:
    """A coordinate, short: 12.5, not 12.500000001."""
    return f"{number:.1f}".removesuffix(".0")


def _join(pieces: Sequence[SafeString]) -> SafeString:
    return mark_safe("".join(pieces))  # noqa: S308 - every piece comes from format_html


def _svg(
    *, kind: str, chart_id: str, title: str, description: str, width: int, height: int, body
) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--{kind}" '
        'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" focusable="false">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        "{body}</svg>",
        kind=kind,
        width=width,
        height=_n(height),
        id=chart_id,
        title=title,
        description=description,
        body=body,
    )


def _text(
    x: float, y: float, text: str, *, size: int, anchor: str = "start", css: str = "", bold=False
) -> SafeString:
    return format_html(
        '<text class="{}" x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}"{}>{}</text>',
        css,
        _n(x),
        _n(y),
        size,
        anchor,
        INK,
        mark_safe(' font-weight="600"') if bold else "",  # noqa: S308 - a constant
        text,
    )


def nice_step(maximum: int, ticks: int) -> int:
    """A round step (1, 2, 5 × a power of ten) that divides 0…maximum into about ``ticks``."""
    raw = max(maximum / max(ticks, 1), 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return int(multiple * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


# --- Line chart ------------------------------------------------------------------------------


def line_chart(
    points: Sequence[Point],
    *,
    chart_id: str,
    title: str,
    description: str,
    axis_label: Callable[[datetime.date], str],
    compact: bool = False,
    max_markers: int = 120,
) -> SafeString:
    """A running total over time, from zero: a step line (the total holds until the next day
    that adds to it) over a shaded area, a value axis with round ticks, and dates at the ends
    (and the middle) of the time axis, written by ``axis_label``.

    ``compact`` draws a smaller chart with fewer ticks and no markers, for the home page.
    Markers (with the point's label as tooltip) are drawn only up to ``max_markers`` points.
    """
    points = sorted(points, key=lambda p: p.day)
    width, height, size = (320, 130, 12) if compact else (360, 220, 13)
    top_value = max((p.value for p in points), default=0)
    step = nice_step(top_value, 2 if compact else 4)
    y_max = max(step * math.ceil(top_value / step), step)
    ticks = list(range(0, y_max + 1, step))
    left = 10 + CHAR_WIDTH * size * max(len(format_count(t)) for t in ticks)
    right, top, bottom = 14, 10, height - size - 14
    # The total starts from zero: on the first day when there are several, else on the eve of
    # the only one (so that one day is still a line, not a dot).
    last = points[-1].day if points else datetime.date.today()
    start = points[0].day if points else last
    if start == last:
        start -= datetime.timedelta(days=1)
    span = (last - start).days

    def x(day: datetime.date) -> float:
        return left + (day - start).days / span * (width - left - right)

    def y(value: int) -> float:
        return bottom - value / y_max * (bottom - top)

    pieces = []
    for tick in ticks:
        pieces.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                _n(left),
                _n(width - right),
                _n(y(tick)),
                _n(y(tick)),
                GRID,
            )
        )
        pieces.append(
            _text(
                left - 6,
                y(tick) + size / 3,
                format_count(tick),
                size=size,
                anchor="end",
                css="chart__ytick",
            )
        )
    if points:
        line = _step_path([Point(start, 0), *points], x, y)
        pieces.append(
            format_html(
                '<path d="{} V {} H {} Z" fill="{}" fill-opacity="0.12" stroke="none"/>',
                line,
                _n(bottom),
                _n(x(start)),
                ACCENT,
            )
        )
        pieces.append(
            format_html(
                '<path class="chart__line" d="{}" fill="none" stroke="{}" stroke-width="{}" '
                'stroke-linejoin="round"/>',
                line,
                ACCENT,
                2 if compact else 2.5,
            )
        )
        labelled = [p for p in points if p.label]
        if not compact and len(labelled) <= max_markers:
            pieces.extend(
                format_html(
                    '<circle class="chart__point" cx="{}" cy="{}" r="3.5" fill="{}">'
                    "<title>{}</title></circle>",
                    _n(x(p.day)),
                    _n(y(p.value)),
                    ACCENT,
                    p.label,
                )
                for p in labelled
            )
        pieces.extend(_time_axis(points, x, bottom + size + 8, size, axis_label, compact))
    return _svg(
        kind="line",
        chart_id=chart_id,
        title=title,
        description=description,
        width=width,
        height=height,
        body=_join(pieces),
    )


def _step_path(points: Sequence[Point], x, y) -> str:
    """Each day's total holds flat until the eve of the next point, then rises to it."""
    path = [f"M {_n(x(points[0].day))} {_n(y(points[0].value))}"]
    for before, point in zip(points, points[1:], strict=False):
        eve = point.day - datetime.timedelta(days=1)
        if eve > before.day:
            path.append(f"H {_n(x(eve))}")
        path.append(f"L {_n(x(point.day))} {_n(y(point.value))}")
    return " ".join(path)


def _time_axis(points, x, baseline: float, size: int, axis_label, compact: bool) -> list:
    """Dates under the time axis: the first and last days (and the middle one on a full-size
    chart spanning a few days); the last alone when there is only one."""
    first, last = points[0].day, points[-1].day
    ticks = []
    if last != first:
        ticks.append((first, "start"))
        if not compact and (last - first).days >= 2:
            ticks.append((first + (last - first) / 2, "middle"))
    ticks.append((last, "end"))
    return [
        _text(x(day), baseline, axis_label(day), size=size, anchor=anchor, css="chart__xtick")
        for day, anchor in ticks
    ]


# --- Bar chart -------------------------------------------------------------------------------

BAR_ROW = 44
BAR_HEIGHT = 14


def bar_chart(
    bars: Sequence[Bar], *, chart_id: str, title: str, description: str, width: int = 340
) -> SafeString:
    """Horizontal bars, one row each: the label above its bar, the value after it. Long labels
    are shortened with an ellipsis (the full label is the row's tooltip, and in the table)."""
    size = 14
    top_value = max((b.value for b in bars), default=0) or 1
    value_room = 8 + CHAR_WIDTH * size * max((len(format_count(b.value)) for b in bars), default=1)
    scale = (width - value_room) / top_value
    longest = int(width / (CHAR_WIDTH * size))
    rows = []
    for index, bar in enumerate(bars):
        row_top = index * BAR_ROW
        length = max(bar.value * scale, 1)
        shown = bar.label if len(bar.label) <= longest else bar.label[: longest - 1] + "…"
        rows.append(
            format_html(
                '<g class="chart__bar"><title>{}</title>{}'
                '<rect x="0" y="{}" width="{}" height="{}" rx="2" fill="{}"/>{}</g>',
                bar.label,
                _text(0, row_top + 15, shown, size=size, css="chart__label"),
                _n(row_top + 21),
                _n(length),
                BAR_HEIGHT,
                ACCENT,
                _text(
                    length + 6,
                    row_top + 21 + BAR_HEIGHT - 2,
                    format_count(bar.value),
                    size=size,
                    css="chart__value",
                    bold=True,
                ),
            )
        )
    return _svg(
        kind="bars",
        chart_id=chart_id,
        title=title,
        description=description,
        width=width,
        height=max(len(bars), 1) * BAR_ROW,
        body=_join(rows),
    )


# --- Proportion bar --------------------------------------------------------------------------


def proportion_bar(
    part: int,
    total: int,
    *,
    chart_id: str,
    title: str,
    description: str,
    part_label: str,
    rest_label: str,
    width: int = 340,
) -> SafeString:
    """One bar split in two: ``part`` of ``total`` in the accent colour, the rest in a light
    track, with a legend line for each (``part_label``, ``rest_label``)."""
    size = 14
    share = part / total if total else 0
    pieces = [
        format_html(
            '<rect x="0.5" y="0.5" width="{}" height="27" rx="3" fill="{}" stroke="{}"/>',
            width - 1,
            TRACK,
            INK_SOFT,
        ),
        format_html(
            '<rect class="chart__part" x="0.5" y="0.5" width="{}" height="27" rx="3" fill="{}"/>',
            _n((width - 1) * share),
            ACCENT,
        ),
    ]
    for row, (label, fill) in enumerate(((part_label, ACCENT), (rest_label, TRACK))):
        baseline = 50 + row * 24
        pieces.append(
            format_html(
                '<rect x="0.5" y="{}" width="14" height="14" fill="{}" stroke="{}"/>',
                _n(baseline - 12),
                fill,
                INK_SOFT,
            )
        )
        pieces.append(_text(22, baseline, label, size=size, css="chart__legend"))
    return _svg(
        kind="proportion",
        chart_id=chart_id,
        title=title,
        description=description,
        width=width,
        height=84,
        body=_join(pieces),
    )
