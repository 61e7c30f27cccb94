"""Small server-rendered SVG charts for dashboards (no JavaScript library needed)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    height: float
    negative: bool = False


@dataclass
class BarChart:
    label: str
    bars: list[Bar]
    width: int
    height: int
    bar_width: float
    max_value: int
    axis: str = "date"       # "date": ISO days, a label every 7th bar; "text": every bar's label, shortened
    baseline: float = 0      # the y of the zero line (below the top when some values are negative)
    min_value: int = 0


def bar_chart(points: list[tuple[str, int]], label: str = "", width: int = 560, height: int = 160,
              axis: str = "date") -> BarChart:
    """Lay out one bar per (label, value) point; the template draws the SVG. Negative values
    (a month's loss) hang below a zero line."""
    top = max((v for _, v in points), default=0)
    bottom = min((v for _, v in points), default=0)
    top, bottom = max(top, 0), min(bottom, 0)
    span = (top - bottom) or 1
    slot = width / max(len(points), 1)
    usable = height - 20
    zero = usable * top / span
    bars = []
    for i, (name, value) in enumerate(points):
        h = usable * abs(value) / span
        bars.append(Bar(name, value, x=i * slot + slot * 0.15, y=zero - h if value >= 0 else zero, height=h,
                        negative=value < 0))
    return BarChart(label, bars, width, height, slot * 0.7, top or (0 if bottom else 1), axis, zero, bottom)
