"""Charts for the HTML report, drawn as inline SVG from Python.

The report is one file that must open offline, print, and run no script, so there is no
charting library: each chart is a few rectangles, lines and labels in an `<svg>` with a
`<title>` (what a screen reader announces) and the numbers written on it, so nothing
depends on colour alone. Every text is escaped here; callers pass plain strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from consultations.exports.text import xml_safe

WIDTH = 640
SUPPORT, OPPOSE, ABSTAIN = "#1a7f37", "#c2410c", "#8c959f"
# Distinct, colour-blind-safe hues (Okabe & Ito) for groups in the line chart.
GROUP_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")


def esc(text: object) -> str:
    return escape(xml_safe(str(text)), quote=True)


def _svg(height: float, title: str, body: list[str], css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}">'
        f"<title>{esc(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: object, css: str = "", anchor: str = "start") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls}>{esc(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str = "") -> str:
    tip = f"<title>{esc(title)}</title>" if title else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{fill}">{tip}</rect>'
    )


@dataclass(frozen=True)
class Stack:
    """One group's support, oppose and abstain counts."""

    label: str
    support: int
    oppose: int
    abstain: int

    @property
    def total(self) -> int:
        return self.support + self.oppose + self.abstain


def votes_chart(title: str, rows: Sequence[Stack], legend: tuple[str, str, str]) -> str:
    """Stacked bars, one per group, on one scale so groups can be compared."""
    most = max((r.total for r in rows), default=0) or 1
    scale = (WIDTH - 70) / most
    body: list[str] = []
    y = 4.0
    for row in rows:
        body.append(_text(0, y + 11, row.label, "label"))
        x = 0.0
        for count, colour, name in zip(
            (row.support, row.oppose, row.abstain), (SUPPORT, OPPOSE, ABSTAIN), legend, strict=True
        ):
            width = count * scale
            if count:
                body.append(_rect(x, y + 15, width, 16, colour, f"{row.label}: {count} {name}"))
                if width >= 22:
                    body.append(_text(x + width / 2, y + 27, count, "in", "middle"))
            x += width
        body.append(_text(x + 6, y + 27, f"{row.support} · {row.oppose} · {row.abstain}", "n"))
        y += 40
    key, last = _legend(y, list(zip(legend, (SUPPORT, OPPOSE, ABSTAIN), strict=True)))
    body.append(key)
    return _svg(last + 22, title, body, "votes")


LEGEND_ROW = 20  # px between rows of a legend
CHAR = 7.5  # px: the width of a character at the legend's 12 px, about (SVG cannot measure)


def _legend(y: float, items: list[tuple[str, str]]) -> tuple[str, float]:
    """Colour keys with their names, wrapping onto as many rows as they need (SVG text
    does not wrap by itself); a name too long for a row is cut with "…", whole in its
    tooltip. Returns the SVG and the y of its last row."""
    parts = []
    x = 0.0
    room = int((WIDTH - 16) / CHAR)
    for name, colour in items:
        shown = name if len(name) <= room else name[: room - 1].rstrip() + "…"
        width = 16 + CHAR * len(shown)
        if x > 0 and x + width > WIDTH:
            x, y = 0.0, y + LEGEND_ROW
        parts.append(_rect(x, y + 4, 12, 12, colour))
        tip = f"<title>{esc(name)}</title>" if shown != name else ""
        parts.append(
            f'<text x="{x + 16:.1f}" y="{y + 14:.1f}" class="legend">{tip}{esc(shown)}</text>'
        )
        x += width + 8
    return "".join(parts), y


def participation_chart(title: str, rows: Sequence[tuple[str, int, int]]) -> str:
    """Per group: of those invited (the pale bar), how many answered (the dark one)."""
    most = max((invited for _, _, invited in rows), default=0) or 1
    scale = (WIDTH - 90) / most
    body: list[str] = []
    y = 4.0
    for label, answered, invited in rows:
        body.append(_text(0, y + 11, label, "label"))
        body.append(_rect(0, y + 15, invited * scale, 16, "#d0d7de"))
        body.append(_rect(0, y + 15, answered * scale, 16, "#0072b2", f"{label}: {answered}"))
        body.append(_text(invited * scale + 6, y + 27, f"{answered}/{invited}", "n"))
        y += 40
    return _svg(y, title, body, "participation")


def timeline_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[datetime]]],
    start: datetime,
    end: datetime,
    labels: tuple[str, str],
) -> str:
    """Cumulative input per group over the round, one line per group."""
    height, top, left, bottom = 180.0, 10.0, 40.0, 150.0
    span = max((end - start).total_seconds(), 1.0)
    most = max((len(times) for _, times in series), default=0) or 1
    plot_w = WIDTH - left - 10

    def point(when: datetime, count: int) -> str:
        x = left + plot_w * min(max((when - start).total_seconds() / span, 0.0), 1.0)
        y = bottom - (bottom - top) * count / most
        return f"{x:.1f},{y:.1f}"

    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" class="axis"/>',
        _text(left - 4, top + 8, most, "n", "end"),
        _text(left - 4, bottom, 0, "n", "end"),
        _text(left, bottom + 16, labels[0], "n"),
        _text(WIDTH - 10, bottom + 16, labels[1], "n", "end"),
    ]
    legend = []
    for index, (label, times) in enumerate(series):
        colour = GROUP_COLOURS[index % len(GROUP_COLOURS)]
        ordered = sorted(times)
        # A step line through at most ~200 points: enough to see the shape of a round
        # with ten thousand inputs without writing ten thousand coordinates.
        stride = max(1, len(ordered) // 200)
        points = [point(start, 0)]
        count = 0
        for n in [*range(stride - 1, len(ordered), stride), len(ordered) - 1]:
            if n + 1 > count:
                points += [point(ordered[n], count), point(ordered[n], n + 1)]
                count = n + 1
        points.append(point(end, count))
        body.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{" ".join(points)}"><title>{esc(label)}: {len(ordered)}</title></polyline>'
        )
        legend.append((f"{label} ({len(ordered)})", colour))
    key, last = _legend(height - 4, legend)
    body.append(key)
    return _svg(last + 24, title, body, "timeline")


def consensus_chart(
    title: str,
    rows: Sequence[tuple[str, float | None, float | None, bool]],
    legend: tuple[str, str, str],
) -> str:
    """Per paragraph: consensus (0 to 1) where enough votes define it, and divergence
    between groups where two have a position.

    `legend` names the three colours: consensus, consensus on common ground, divergence.
    """
    top, bottom, left = 10.0, 140.0, 30.0
    slot = (WIDTH - left) / max(len(rows), 1)
    bar = min(slot * 0.35, 28)
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH}" y2="{bottom}" class="axis"/>',
        _text(left - 4, top + 8, "1", "n", "end"),
        _text(left - 4, bottom, "0", "n", "end"),
    ]
    for index, (label, consensus, divergence, common) in enumerate(rows):
        x = left + slot * index + slot / 2
        if consensus is not None:
            h = (bottom - top) * consensus
            colour = SUPPORT if common else "#0072b2"
            body.append(_rect(x - bar, bottom - h, bar, h, colour, f"{label}: {consensus:.2f}"))
        if divergence is not None:
            d = (bottom - top) * divergence
            body.append(_rect(x, bottom - d, bar, d, "#e69f00", f"{label}: {divergence:.2f}"))
        body.append(_text(x, bottom + 14, label, "n", "middle"))
    key, last = _legend(
        bottom + 20, list(zip(legend, ("#0072b2", SUPPORT, "#e69f00"), strict=True))
    )
    body.append(key)
    return _svg(last + 22, title, body, "consensus")
