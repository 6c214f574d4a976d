"""Server-side SVG charts: pure functions from data to accessible, well-formed SVG markup.

Each chart is `<svg role="img">` named by its `<title>` and `<desc>` (the desc says the figures in
words), draws text labels and values beside every bar (so colour is never the only cue; the
series of a grouped chart also differ by pattern, shown in a legend), and scales with its
`viewBox`: bars are horizontal with each label on its own line, so it reads at 320px width.
Every label is escaped. The page puts a data table behind a `<details>` under each chart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from learncom import vocab
from learncom.posts.kinds import KINDS

WIDTH = 300
FONT = 13
INK = "#1d2430"
MUTED = "#4a5565"
#: A series' colour by name: each kind's (posts/kinds.py), and the site's accent.
COLOURS = {**{kind.name: kind.colour for kind in KINDS.values()}, "default": "#0b5cad"}
# Per series index a texture drawn in white over the colour, so series differ without colour.
PATTERNS = (
    "",
    '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.5"/>',
    '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
    '<path d="M0,3 h6" stroke="#fff" stroke-width="1.5"/>',
)
_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = "default"  # a key of COLOURS
    value_label: str | None = None  # how the value is written (default: the number)


@dataclass(frozen=True)
class Series:
    label: str
    colour: str = "default"


def _check_id(chart_id: str) -> str:
    if not _ID.match(chart_id):
        raise ValueError(f"chart id {chart_id!r}: lower case letters, digits and hyphens")
    return chart_id


def _fit(label: str, max_chars: int) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + "…"


def _number(value: float) -> str:
    """In the locale's style: 1.234 and 2,5 in Dutch."""
    return format_decimal(int(value) if float(value).is_integer() else value)


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[str],
         defs: str = "") -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    defs_part = f"<defs>{defs}</defs>" if defs else ""
    return Markup(head + defs_part + "".join(body) + "</svg>")  # noqa: S704 - escaped parts


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar], *,
              empty: str | None = None) -> Markup:
    """Horizontal bars, one per row: the label on a line of its own, the bar below it with its
    value at the end."""
    chart_id = _check_id(chart_id)
    row, bar_height, value_room = 40, 14, 40
    scale_max = max((bar.value for bar in bars), default=0) or 1
    body: list[str] = []
    if not bars:
        body.append(f'<text x="0" y="{FONT + 4}" fill="{MUTED}">'
                    f'{escape(empty or _("Nothing to show."))}</text>')
        return _svg(chart_id, title, desc, 28, body)
    for index, bar in enumerate(bars):
        top = index * row
        width = (WIDTH - value_room) * max(bar.value, 0) / scale_max
        colour = COLOURS.get(bar.colour, COLOURS["default"])
        value = bar.value_label if bar.value_label is not None else _number(bar.value)
        body.append(
            f'<g class="bar">'
            f'<text x="0" y="{top + FONT}" fill="{INK}">{escape(_fit(bar.label, 42))}</text>'
            f'<rect x="0" y="{top + 18}" width="{width:.1f}" height="{bar_height}" '
            f'fill="{colour}"/>'
            f'<text x="{width + 4:.1f}" y="{top + 18 + FONT - 2}" fill="{INK}" '
            f'font-weight="bold">{escape(value)}</text>'
            f'</g>')
    return _svg(chart_id, title, desc, len(bars) * row, body)


def grouped_bar_chart(chart_id: str, title: str, desc: str, series: Sequence[Series],
                      groups: Sequence[tuple[str, Sequence[float]]]) -> Markup:
    """A legend, then per group (say a month) its label on the left and one bar per series,
    each bar filled with its series' colour and pattern and followed by its value."""
    chart_id = _check_id(chart_id)
    defs = "".join(
        f'<pattern id="{chart_id}-s{i}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{COLOURS.get(s.colour, COLOURS["default"])}"/>'
        f'{PATTERNS[i % len(PATTERNS)]}</pattern>'
        for i, s in enumerate(series))
    body: list[str] = []
    # Legend: swatch and label per series, wrapping to a new line when the row is full.
    x, y = 0, 0
    for i, s in enumerate(series):
        label = _fit(s.label, 30)
        item_width = 22 + len(label) * 8 + 12
        if x and x + item_width > WIDTH:
            x, y = 0, y + 20
        body.append(
            f'<g class="legend-item">'
            f'<rect x="{x}" y="{y + 2}" width="14" height="14" fill="url(#{chart_id}-s{i})" '
            f'stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{x + 20}" y="{y + 14}" fill="{INK}">{escape(label)}</text></g>')
        x += item_width
    top = y + 32
    label_room, value_room, bar_height, gap = 74, 24, 11, 2
    scale_max = max((v for _, values in groups for v in values), default=0) or 1
    span = WIDTH - label_room - value_room
    group_height = len(series) * (bar_height + gap) + 10
    for label, values in groups:
        middle = top + (len(series) * (bar_height + gap)) / 2
        body.append(f'<g class="group"><text x="0" y="{middle + FONT / 2 - 1:.1f}" '
                    f'fill="{INK}">{escape(_fit(label, 11))}</text>')
        for i, value in enumerate(values):
            bar_top = top + i * (bar_height + gap)
            width = span * max(value, 0) / scale_max
            body.append(
                f'<rect x="{label_room}" y="{bar_top}" width="{width:.1f}" '
                f'height="{bar_height}" fill="url(#{chart_id}-s{i})"/>'
                f'<text x="{label_room + width + 3:.1f}" y="{bar_top + bar_height}" '
                f'fill="{INK}" font-size="{FONT - 1}">{escape(_number(value))}</text>')
        body.append("</g>")
        top += group_height
    return _svg(chart_id, title, desc, top, body, defs)


# -- the dashboard's charts --------------------------------------------------------------------

def month_label(month) -> str:
    return format_date(month, "MMM yyyy")


def posts_per_month_chart(months) -> Markup:
    series = [Series(str(KINDS[kind].plural), kind) for kind in KINDS]
    totals = {kind: sum(m.counts[kind] for m in months) for kind in KINDS}
    busiest = max(months, key=lambda m: m.total, default=None)
    desc = ngettext("%(count)s month.", "%(count)s months.", len(months),
                    count=_number(len(months))) + " " + ", ".join(
        f"{KINDS[kind].plural}: {_number(totals[kind])}" for kind in KINDS) + "."
    if busiest is not None and busiest.total:
        desc += " " + ngettext("Busiest month: %(month)s (%(count)s post).",
                               "Busiest month: %(month)s (%(count)s posts).", busiest.total,
                               month=month_label(busiest.month), count=_number(busiest.total))
    return grouped_bar_chart(
        "chart-posts-per-month", _("Posts per kind per month"), desc, series,
        [(month_label(m.month), [m.counts[kind] for kind in KINDS]) for m in months])


def status_chart(rows) -> Markup:
    bars = [Bar(str(vocab.CHANGE_STATUSES[status]), n, "friction") for status, n in rows]
    desc = ", ".join(f"{bar.label}: {_number(bar.value)}" for bar in bars) + "."
    return bar_chart("chart-frictions-per-status", _("Frictions per change status"), desc, bars)


def felt_chart(rows) -> Markup:
    bars = [Bar(row.post.title, row.recognised, "friction") for row in rows]
    desc = "; ".join(f"{bar.label}: {_number(bar.value)}" for bar in bars) + "." if bars else \
        _("No open friction has been recognised yet.")
    return bar_chart("chart-most-felt", _("Most-felt open frictions"), desc, bars,
                     empty=_("No open friction has been recognised yet."))


def neighbourhoods_chart(rows) -> Markup:
    bars = [Bar(row.neighbourhood.name, row.total, "default") for row in rows]
    desc = "; ".join(
        _("%(name)s: %(posts)s, %(comments)s", name=row.neighbourhood.name,
          posts=ngettext("%(count)s post", "%(count)s posts", row.posts,
                         count=_number(row.posts)),
          comments=ngettext("%(count)s comment", "%(count)s comments", row.comments,
                            count=_number(row.comments)))
        for row in rows) + "." if rows else _("No activity in any neighbourhood.")
    return bar_chart("chart-active-neighbourhoods", _("Most active neighbourhoods"), desc, bars,
                     empty=_("No activity in any neighbourhood."))
