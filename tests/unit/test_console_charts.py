"""The Today page's chart: bars to scale, empty days kept, one day, huge numbers."""

import xml.etree.ElementTree as ET
from datetime import date

from services.console.charts import (
    HEIGHT,
    ChartWords,
    DayBar,
    compact_number,
    daily_series,
    nice_step,
    supply_demand_svg,
)

WORDS = ChartWords("Pasokan & permintaan", "Pasokan", "Permintaan", "Unit", "Hari")
SVG = "{http://www.w3.org/2000/svg}"


def draw(bars: list[DayBar]) -> ET.Element:
    svg = supply_demand_svg(bars, WORDS, day_label=date.isoformat, number_label=str)
    return ET.fromstring(svg)


def bar_heights(root: ET.Element, kind: str) -> list[float]:
    return [
        float(rect.get("height"))
        for rect in root.iter(f"{SVG}rect")
        if rect.get("class") == kind and rect.get("width") != "10"
    ]


def texts(root: ET.Element) -> list[str]:
    return [text.text for text in root.iter(f"{SVG}text")]


def test_bars_scale_to_the_largest_value_rounded_to_a_nice_step():
    root = draw([DayBar(date(2026, 11, 1), 100, 200), DayBar(date(2026, 11, 2), 50, 0)])
    supply, demand = bar_heights(root, "supply"), bar_heights(root, "demand")
    assert demand[0] == max(supply + demand)
    assert supply[0] == demand[0] / 2 == supply[1] * 2
    assert demand[1] == 0
    # The scale: 0, 50, 100, 150, 200 (four nice steps reach the largest).
    assert [t for t in texts(root) if t.isdigit()] == ["0", "50", "100", "150", "200"]


def test_it_fits_a_phone_and_names_what_it_shows():
    root = draw([DayBar(date(2026, 11, 1), 1, 1)])
    assert root.get("width") == "100%"
    assert root.get("viewBox") == f"0 0 360 {HEIGHT}"
    words = texts(root)
    for label in ("Pasokan", "Permintaan", "Unit", "Hari"):
        assert label in words
    assert root.find(f"{SVG}title").text == "Pasokan & permintaan"


def test_empty_days_keep_their_place_as_zeros():
    series = daily_series(
        [(date(2026, 11, 28), 10, 20), (date(2026, 11, 26), 5, 0)], date(2026, 11, 28), days=5
    )
    assert [bar.day.day for bar in series] == [24, 25, 26, 27, 28]
    assert [(bar.supply, bar.demand) for bar in series] == [
        (0, 0),
        (0, 0),
        (5, 0),
        (0, 0),
        (10, 20),
    ]
    root = draw(series)
    assert len(bar_heights(root, "supply")) == 5
    assert bar_heights(root, "supply")[:2] == [0.0, 0.0]


def test_rows_of_several_products_on_one_day_add_up():
    series = daily_series(
        [(date(2026, 11, 1), 3, 4), (date(2026, 11, 1), 5, 6)], date(2026, 11, 1), 1
    )
    assert series == [DayBar(date(2026, 11, 1), 8, 10)]


def test_nothing_at_all_still_draws_axes_without_dividing_by_zero():
    root = draw(daily_series([], date(2026, 11, 28)))
    assert set(bar_heights(root, "supply")) == {0.0}
    assert "0" in texts(root)
    assert ET.fromstring(supply_demand_svg([], WORDS, day_label=str, number_label=str)) is not None


def test_one_day_fills_the_width_and_is_labelled_once():
    root = draw([DayBar(date(2026, 11, 28), 7, 3)])
    assert texts(root).count("2026-11-28") == 1
    supply = next(
        r for r in root.iter(f"{SVG}rect") if r.get("class") == "supply" and r.get("width") != "10"
    )
    assert float(supply.get("width")) > 100


def test_huge_numbers_keep_small_days_visible_and_labels_short():
    root = draw([DayBar(date(2026, 11, 1), 3, 10**12), DayBar(date(2026, 11, 2), 10**12, 1)])
    supply = bar_heights(root, "supply")
    assert 0 < supply[0] < 1
    labels = [compact_number(tick, "id") for tick in (0, 250 * 10**9, 10**12)]
    assert labels == ["0", "250M", "1T"]
    assert compact_number(1_500_000, "id") == "1,5jt"
    assert compact_number(1_500_000, "en") == "1.5M"
    assert compact_number(12_000, "en") == "12k"
    assert compact_number(950, "id") == "950"


def test_nice_steps():
    assert nice_step(0) == 1
    assert nice_step(3) == 1
    assert nice_step(200) == 50
    assert nice_step(2_001) == 1_000
    assert nice_step(10**15) == 5 * 10**14


def test_text_is_escaped():
    words = ChartWords("<b>", "a&b", "c<d", "u", "d")
    svg = supply_demand_svg(
        [DayBar(date(2026, 1, 1), 1, 1)], words, day_label=str, number_label=str
    )
    assert "<b>" not in svg
    ET.fromstring(svg)
