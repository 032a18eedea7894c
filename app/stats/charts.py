"""Stacked bar charts of counts, written as plain SVG text: no plotting dependency.

Every label is escaped, so the output is well-formed XML that can be inlined in HTML.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 760
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 30, 40
GRID_LINES = 4
NICE_STEPS = (1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


@dataclass(frozen=True)
class Series:
    """One stacked layer: its legend, colour and one value per bar."""

    name: str
    color: str
    values: Sequence[float]


def _scale(highest: float) -> tuple[int, int]:
    """A round axis maximum for counts up to ``highest``, and how many whole-number steps."""
    top = max(1, math.ceil(highest))
    if top <= GRID_LINES:
        return top, top
    power = 10 ** math.floor(math.log10(top / GRID_LINES))
    steps = (n * power for n in NICE_STEPS if (n * power).is_integer())
    step = int(next(s for s in steps if s * GRID_LINES >= top))
    return step * GRID_LINES, GRID_LINES


def _axis(top: int, steps: int) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = []
    for n in range(steps + 1):
        y = HEIGHT - BOTTOM - plot_height * n / steps
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{top * n // steps}</text>'
        )
    return parts


def _bars(labels: Sequence[str], series: Sequence[Series], top: int) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    parts = []
    for index, label in enumerate(labels):
        x = LEFT + index * slot
        base = float(HEIGHT - BOTTOM)
        for layer in series:
            height = plot_height * layer.values[index] / top
            if height > 0:
                parts.append(
                    f'<rect x="{x + slot * 0.15:.1f}" y="{base - height:.1f}" '
                    f'width="{slot * 0.7:.1f}" height="{height:.1f}" fill="{escape(layer.color)}">'
                    f"<title>{escape(label)} : {escape(layer.name)} {layer.values[index]:g}</title>"
                    "</rect>"
                )
            base -= height
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for index, layer in enumerate(series):
        x = LEFT + index * 190
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{escape(layer.color)}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 7}">{escape(layer.name)}</text>'
        )
    return parts


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """An SVG chart of one stacked bar per label, with a value axis and a legend."""
    totals = [sum(layer.values[i] for layer in series) for i in range(len(labels))]
    top, steps = _scale(max(totals, default=0))
    body = [
        f'<text x="{LEFT}" y="18" font-weight="bold">{escape(title)}</text>',
        *_axis(top, steps),
        *_bars(labels, series, top),
        *_legend(series),
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" '
        f'role="img" aria-label="{escape(title)}">' + "".join(body) + "</svg>"
    )
