"""Charts as inline SVG, built on the server from plain data: no script, no library, readable
on a phone. Pure functions: the words and number formats come in, a string of SVG goes out."""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

# The drawing's own units: drawn at 360 px wide (a phone) one unit is one pixel, so the text
# stays readable there; wider screens scale it up (width 100%).
WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 30, 36
FONT = 11


@dataclass(frozen=True)
class DayBar:
    day: date
    supply: int
    demand: int


@dataclass(frozen=True)
class ChartWords:
    """Everything the chart says, already in the operator's language."""

    title: str
    supply: str
    demand: str
    units: str  # the vertical axis
    days: str  # the horizontal axis


def daily_series(
    rows: Iterable[tuple[date, int, int]], last_day: date, days: int = 30
) -> list[DayBar]:
    """The `days` days ending at `last_day`, oldest first; a day with no row is a day of zeros
    (nothing came and nobody waited), so the bars keep their places on the calendar."""
    by_day: dict[date, tuple[int, int]] = {}
    for day, supply, demand in rows:
        before = by_day.get(day, (0, 0))
        by_day[day] = (before[0] + supply, before[1] + demand)
    first = last_day - timedelta(days=days - 1)
    return [
        DayBar(day, *by_day.get(day, (0, 0)))
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def nice_step(largest: int, ticks: int = 4) -> int:
    """A step of 1, 2 or 5 times a power of ten, so `ticks` steps reach at least `largest`."""
    if largest <= 0:
        return 1
    rough = largest / ticks
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return max(1, factor * power)
    return 10 * power  # pragma: no cover - the loop always returns


_SCALES = {
    "id": ((10**12, "T"), (10**9, "M"), (10**6, "jt"), (10**3, "rb")),
    "en": ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k")),
}


def compact_number(value: int, language: str) -> str:
    """A tick label that fits beside the axis: 950, 12rb / 12k, 1,5jt / 1.5M."""
    for size, suffix in _SCALES["en" if language == "en" else "id"]:
        if abs(value) >= size:
            shown = f"{value / size:.1f}".removesuffix(".0")
            if language != "en":
                shown = shown.replace(".", ",")
            return f"{shown}{suffix}"
    return str(value)


def _text(x: float, y: float, words: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}"{extra}>'
        f"{escape(words)}</text>"
    )


def supply_demand_svg(
    bars: Sequence[DayBar],
    words: ChartWords,
    *,
    day_label: Callable[[date], str],
    number_label: Callable[[int], str],
) -> str:
    """Supply and demand side by side per day, with a legend, a scale on the left and the
    first and last day below. Values scale to the largest, rounded up to a nice step."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    largest = max((max(bar.supply, bar.demand) for bar in bars), default=0)
    step = nice_step(largest)
    top = step * max(1, math.ceil(largest / step))
    base = TOP + plot_height

    def height(value: int) -> float:
        # A non-zero day never vanishes next to a huge one.
        return 0.0 if value <= 0 else max(0.75, value / top * plot_height)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%"'
        f' preserveAspectRatio="xMidYMid meet" role="img" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(words.title)}</title>",
        # The legend, in the drawing so a screenshot or a printout keeps it.
        f'<rect class="supply" x="{LEFT}" y="6" width="10" height="10"/>',
        _text(LEFT + 14, 15, words.supply),
        f'<rect class="demand" x="{LEFT + plot_width / 2:.1f}" y="6" width="10" height="10"/>',
        _text(LEFT + plot_width / 2 + 14, 15, words.demand),
    ]
    for tick in range(0, top + 1, step):
        y = base - tick / top * plot_height
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
            ' stroke="#d9dee3" stroke-width="0.5"/>'
        )
        parts.append(_text(LEFT - 4, y + 4, number_label(tick), "end"))
    parts.append(
        _text(
            10,
            TOP + plot_height / 2,
            words.units,
            "middle",
            f' transform="rotate(-90 10 {TOP + plot_height / 2:.1f})"',
        )
    )
    slot = plot_width / max(1, len(bars))
    bar_width = slot * 0.4
    for index, bar in enumerate(bars):
        x = LEFT + index * slot + slot * 0.1
        supply, demand = height(bar.supply), height(bar.demand)
        tip = f"{day_label(bar.day)}: {words.supply} {bar.supply}, {words.demand} {bar.demand}"
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<rect class="supply" x="{x:.2f}" y="{base - supply:.2f}"'
            f' width="{bar_width:.2f}" height="{supply:.2f}"/>'
            f'<rect class="demand" x="{x + bar_width:.2f}" y="{base - demand:.2f}"'
            f' width="{bar_width:.2f}" height="{demand:.2f}"/></g>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="#5b6670"/>'
    )
    if bars:
        parts.append(_text(LEFT, base + 14, day_label(bars[0].day)))
        if len(bars) > 1:
            parts.append(_text(WIDTH - RIGHT, base + 14, day_label(bars[-1].day), "end"))
    parts.append(_text(LEFT + plot_width / 2, HEIGHT - 4, words.days, "middle"))
    parts.append("</svg>")
    return "".join(parts)
