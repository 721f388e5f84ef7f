"""Server-rendered SVG bar charts for the council statistics pages.

Built as inline SVG so that the strict CSP (no scripts, no inline styles), the browser and
WeasyPrint's PDF all draw the same thing. Colours are presentation attributes so the chart
keeps its colours where charts.css is not loaded; static/css/charts.css sizes it and sets type.
Every piece of text goes through ``format_html``: row labels come from the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# DKFDS palette (static/vendor/dkfds/css/dkfds.min.css): the link blue and the text black.
# #004d99 on white is 8.3:1 and #1a1a1a on white 17.4:1, above WCAG AA for text and graphics.
PRIMARY = "#004d99"
PRIMARY_LIGHT = "#e2f2fb"
TEXT = "#1a1a1a"
AXIS = "#707070"

WIDTH = 760
LABEL_RIGHT = 222  # right edge of the row labels (text-anchor end)
PLOT_X = 230
VALUE_ROOM = 80  # room right of the longest bar for its printed value
PLOT_WIDTH = WIDTH - PLOT_X - VALUE_ROOM
LEGEND_TOP = 6
LEGEND_SWATCH = 15
TOP = 38  # first bar group, below the legend
BAR_HEIGHT = 18
BAR_GAP = 3
GROUP_GAP = 16
BOTTOM = 8
# User units; charts.css caps the chart at 76rem so that on screen a unit is at most a pixel.
FONT_SIZE = 15
# Text is measured nowhere (same bytes for same input), so lengths are budgeted in characters
# from an average glyph width of about 0.55 em: 26 characters fit the label column.
LABEL_MAX_CHARS = 26
LEGEND_MAX_CHARS = 30
CHAR_WIDTH = FONT_SIZE * 0.55

_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Bar:
    """One row of a chart; a hidden figure is its marker string ("<5", or an en dash)."""

    label: str
    current: int | str
    previous: int | str


def bar_chart(
    *, title: str, rows: Sequence[Bar], table_id: str, current_label: str, previous_label: str
) -> SafeString:
    """An inline <svg> horizontal grouped bar chart: per row the current period's bar (solid)
    above the previous period's (hatched), each with its value, scaled from 0 to the largest
    shown value. Described by the table with id ``table_id`` that shows the same numbers."""
    if not _ID_RE.fullmatch(table_id):
        raise ValueError(f"table_id must be an HTML id token, got {table_id!r}")
    for row in rows:
        _check_value(row.current)
        _check_value(row.previous)
    title_id = f"{table_id}-chart-title"
    hatch_id = f"{table_id}-chart-hatch"
    scale = _largest(rows)
    height = _height(len(rows))
    body = [
        format_html('<title id="{}">{}</title>', title_id, title),
        _hatch_pattern(hatch_id),
        _legend(current_label, previous_label, hatch_id),
        _axis(height),
        *(_row(row, index, scale, hatch_id) for index, row in enumerate(rows)),
    ]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%"'
        ' viewBox="0 0 {} {}" aria-labelledby="{}" aria-describedby="{}"'
        ' font-size="{}">{}</svg>',
        WIDTH,
        height,
        title_id,
        table_id,
        FONT_SIZE,
        _join(body),
    )


def format_count(value: int | str) -> str:
    """Danish thousands separator ("1.234"); a marker string is returned as it is."""
    if isinstance(value, str):
        return value
    return f"{value:,}".replace(",", ".")


def _check_value(value: int | str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a chart value is an int or a marker string, got {value!r}")
    if isinstance(value, int) and value < 0:
        raise ValueError(f"a count cannot be negative, got {value}")


def _largest(rows: Sequence[Bar]) -> int:
    shown = [v for row in rows for v in (row.current, row.previous) if isinstance(v, int)]
    return max(shown, default=0)


def _height(row_count: int) -> int:
    groups = row_count * (2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP) - GROUP_GAP if row_count else 0
    return TOP + max(groups, 0) + BOTTOM


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _num(value: float) -> str:
    """Coordinates with at most two decimals, so the output is short and byte-stable."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _hatch_pattern(hatch_id: str) -> SafeString:
    # Hatching keeps the previous period apart from the current one in black-and-white print.
    return format_html(
        '<defs><pattern id="{}" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="6" height="6" fill="{}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="{}" stroke-width="2.5"/></pattern></defs>',
        hatch_id,
        PRIMARY_LIGHT,
        PRIMARY,
    )


def _swatch_attrs(*, current: bool, hatch_id: str) -> SafeString:
    if current:
        return format_html('fill="{}"', PRIMARY)
    return format_html('fill="url(#{})" stroke="{}" stroke-width="1"', hatch_id, PRIMARY)


def _legend(current_label: str, previous_label: str, hatch_id: str) -> SafeString:
    first = _truncate(current_label, LEGEND_MAX_CHARS)
    second = _truncate(previous_label, LEGEND_MAX_CHARS)
    second_x = PLOT_X + LEGEND_SWATCH + 6 + len(first) * CHAR_WIDTH + 24
    return format_html(
        '<g class="chart__legend">{}{}</g>',
        _legend_item(PLOT_X, first, current_label, _swatch_attrs(current=True, hatch_id=hatch_id)),
        _legend_item(
            second_x, second, previous_label, _swatch_attrs(current=False, hatch_id=hatch_id)
        ),
    )


def _legend_item(x: float, shown: str, full: str, swatch: SafeString) -> SafeString:
    return format_html(
        '<g class="chart__legend-item"><rect x="{}" y="{}" width="{}" height="{}" {}/>'
        '<text class="chart__legend-label" x="{}" y="{}" fill="{}">{}</text></g>',
        _num(x),
        LEGEND_TOP,
        LEGEND_SWATCH,
        LEGEND_SWATCH,
        swatch,
        _num(x + LEGEND_SWATCH + 6),
        _num(LEGEND_TOP + LEGEND_SWATCH / 2 + FONT_SIZE * 0.35),
        TEXT,
        _text_content(shown, full),
    )


def _text_content(shown: str, full: str) -> SafeString:
    """The text, with the full one as a tooltip where it was shortened."""
    if shown == full:
        return format_html("{}", shown)
    return format_html("<title>{}</title>{}", full, shown)


def _axis(height: int) -> SafeString:
    return format_html(
        '<line class="chart__axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
        PLOT_X,
        TOP - 4,
        PLOT_X,
        height - BOTTOM + 4,
        AXIS,
    )


def _row(row: Bar, index: int, scale: int, hatch_id: str) -> SafeString:
    top = TOP + index * (2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP)
    label = _truncate(row.label, LABEL_MAX_CHARS)
    return format_html(
        '<g class="chart__row"><text class="chart__label" x="{}" y="{}" text-anchor="end"'
        ' fill="{}">{}</text>{}{}</g>',
        LABEL_RIGHT,
        _num(top + BAR_HEIGHT + BAR_GAP / 2 + FONT_SIZE * 0.35),
        TEXT,
        _text_content(label, row.label),
        _bar(row.current, top, scale, current=True, hatch_id=hatch_id),
        _bar(row.previous, top + BAR_HEIGHT + BAR_GAP, scale, current=False, hatch_id=hatch_id),
    )


def _bar(value: int | str, top: float, scale: int, *, current: bool, hatch_id: str) -> SafeString:
    """One bar and its printed value; a hidden or zero value prints only the value."""
    kind = "current" if current else "previous"
    width = value / scale * PLOT_WIDTH if isinstance(value, int) and scale else 0.0
    rect = format_html(
        '<rect class="chart__bar chart__bar--{}" x="{}" y="{}" width="{}" height="{}" {}/>',
        kind,
        PLOT_X,
        _num(top),
        _num(width),
        BAR_HEIGHT,
        _swatch_attrs(current=current, hatch_id=hatch_id),
    )
    hidden = " chart__value--hidden" if isinstance(value, str) else ""
    text = format_html(
        '<text class="chart__value chart__value--{}{}" x="{}" y="{}" fill="{}">{}</text>',
        kind,
        hidden,
        _num(PLOT_X + width + 5),
        _num(top + BAR_HEIGHT / 2 + FONT_SIZE * 0.35),
        TEXT,
        format_count(value),
    )
    return _join([rect, text]) if width > 0 else text
