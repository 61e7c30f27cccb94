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


@dataclass
class BarChart:
    label: str
    bars: list[Bar]
    width: int
    height: int
    bar_width: float
    max_value: int


def bar_chart(points: list[tuple[str, int]], label: str = "", width: int = 560, height: int = 160) -> BarChart:
    """Lay out one bar per (label, value) point; the template draws the SVG."""
    top = max((v for _, v in points), default=0) or 1
    slot = width / max(len(points), 1)
    usable = height - 20
    bars = []
    for i, (name, value) in enumerate(points):
        h = usable * value / top
        bars.append(Bar(name, value, x=i * slot + slot * 0.15, y=usable - h, height=h))
    return BarChart(label, bars, width, height, slot * 0.7, top)
