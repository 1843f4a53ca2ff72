"""Today (`GET /`): what came in, what went out and who still waits, for the hub and each of its
products, with the last 30 days of supply against demand.

Demand on the chart is the units allocated that day plus the units still waiting at its end
(`allocated + waiting_units` of the allocator's day rows): what buyers wanted that day, whether
they got it or not. Supply is the units received (accepted after QC) that day.
"""

import asyncio
from datetime import date, datetime
from typing import Any

from aiohttp import web
from markupsafe import Markup

from services.console import charts
from services.console.backends import backends_of
from services.console.views import hub_of, language, render
from shared import formats
from shared.pages import ZONE

routes = web.RouteTableDef()

CHART_DAYS = 30
FIGURES = (
    "received",
    "allocated",
    "fulfilled",
    "waiting_units",
    "waiting_orders",
    "buyers_unserved",
)


async def products_of(request: web.Request) -> list[dict[str, Any]]:
    """The hub's catalog as the orders service knows it: [{sku, name, unit_price, ...}]."""
    hub = hub_of(request)
    answer = await backends_of(request).get(
        "orders", ("v1", "hubs", hub, "products"), language=language(request)
    )
    return answer["products"]


def demand(row: dict[str, Any]) -> int:
    return row["allocated"] + row["waiting_units"]


def todays(rows: list[dict[str, Any]], sku: str) -> dict[str, int]:
    """The product's figures for the day still open (`final` false); zeros before any."""
    open_rows = [row for row in rows if row["sku"] == sku and not row["final"]]
    latest = max(open_rows, key=lambda row: row["day"], default=None)
    return {name: (latest or {}).get(name, 0) for name in FIGURES}


def _chart(rows: list[dict[str, Any]], last_day: date, lang: str, title: str) -> Markup:
    words = charts.ChartWords(
        title=title,
        supply="Pasokan" if lang == "id" else "Supply",
        demand="Permintaan" if lang == "id" else "Demand",
        units="Unit" if lang == "id" else "Units",
        days="Hari" if lang == "id" else "Day",
    )
    series = charts.daily_series(
        ((date.fromisoformat(row["day"]), row["received"], demand(row)) for row in rows),
        last_day,
        CHART_DAYS,
    )
    svg = charts.supply_demand_svg(
        series,
        words,
        day_label=lambda day: formats.day(day, lang).rsplit(" ", 1)[0],
        number_label=lambda value: charts.compact_number(value, lang),
    )
    return Markup(svg)  # noqa: S704 - built by charts, every word in it escaped


@routes.get("/")
async def today(request: web.Request) -> web.Response:
    hub, lang = hub_of(request), language(request)
    # By default the allocator gives the 30 days up to today in the hub's own time zone.
    products, answer = await asyncio.gather(
        products_of(request),
        backends_of(request).get("allocator", ("v1", "hubs", hub, "days"), language=lang),
    )
    rows = answer["days"]
    open_days = [row["day"] for row in rows if not row["final"]]
    last_day = date.fromisoformat(max(open_days)) if open_days else datetime.now(ZONE).date()
    sections = []
    for product in products:
        mine = [row for row in rows if row["sku"] == product["sku"]]
        sections.append(
            {
                "product": product,
                "figures": todays(rows, product["sku"]),
                "chart": _chart(mine, last_day, lang, product["name"]),
            }
        )
    totals = {name: sum(section["figures"][name] for section in sections) for name in FIGURES}
    return render(
        request,
        "today.html",
        {
            "sections": sections,
            "totals": totals,
            "last_day": last_day,
            "timezone": answer.get("timezone"),
        },
    )
