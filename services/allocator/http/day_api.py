"""`GET /v1/hubs/{hub}/days`: each product's days at a hub, for the console's Today page and its
chart of supply against demand: the summaries of the days that ended, as `day.summarised` told
them, and today so far, worked out as the day's close would (`store.days.figures`)."""

import re
from datetime import date, timedelta
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from services.allocator.rules import days
from services.allocator.store import days as store_days
from services.allocator.store.hubs import zone_of
from shared.fields import HubCode, Sku
from shared.openapi import documented
from shared.problems import FieldError, Text, from_validation_error, invalid
from shared.web import DATABASE, json_response

routes = web.RouteTableDef()

# A quarter of a year at most: the chart shows a month, a report a quarter.
MAX_DAYS = 92
DEFAULT_DAYS = 30


def _written_as_a_date(value: object) -> object:
    """YYYY-MM-DD and nothing else: pydantic would read `0` as 1970-01-01."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("date_parsing", "a date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_written_as_a_date)]


class DaysQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # Both in the hub's time zone, both included. Either alone: the 30 days from or up to
    # it; neither: the 30 days up to today.
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    sku: Sku | None = None


class ProductDay(BaseModel):
    """One product's day, in the meaning of `day.summarised`: units received (accepted),
    allocated, handed over (fulfilled) and expired during the day; the orders and units still
    waiting and the waiting buyers who got nothing that day, at the day's close (`final`), or
    now for today (not final: it changes until the day ends)."""

    day: date
    sku: str
    received: int
    allocated: int
    fulfilled: int
    expired: int
    waiting_units: int
    waiting_orders: int
    buyers_unserved: int
    final: bool


class HubDays(BaseModel):
    hub: str
    timezone: str
    days: list[ProductDay]


class HubPath(BaseModel):
    hub: HubCode


@routes.get("/v1/hubs/{hub}/days")
@documented(
    operation_id="getHubDays",
    summary=Text("Hari-hari hub per produk", "A hub's days, per product"),
    query=DaysQuery,
    answers={200: HubDays},
    path={"hub": HubCode},
    problems=(422,),
)
async def get_days(request: web.Request, query: DaysQuery) -> web.Response:
    """The days from `from` to `to` (at most 92; by default 30), a row per product and day:
    the summaries of the days that ended, and today so far. A day with no summary (before the
    product was known, or not yet closed) has no row."""
    hub = _hub_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot, so today's figures agree with each other.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            zone = await zone_of(conn, hub)
            today = days.today(zone)
            first, last = day_range(query.from_, query.to, today)
            rows = [
                ProductDay(**row["summary"], final=True)
                for row in await conn.fetch(store_days.SUMMARIES, hub, first, last, query.sku)
            ]
            if first <= today <= last:
                # Closed already only if the hub moved to a zone where today began earlier.
                closed = {row.sku for row in rows if row.day == today}
                for product in await conn.fetch(store_days.HUB_PRODUCTS, hub, query.sku):
                    if product["sku"] in closed:
                        continue
                    so_far = await store_days.figures(conn, hub, product["sku"], today, zone)
                    rows.append(ProductDay(**so_far.model_dump(), final=False))
    rows.sort(key=lambda row: (row.day, row.sku))
    return json_response(HubDays(hub=hub, timezone=zone.key, days=rows))


def day_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days asked for, both included: DEFAULT_DAYS from `first` or up to `last` when only
    one is given, up to today when neither; 422 when they run backwards or span more than
    MAX_DAYS."""
    if first is not None and last is None:
        last = _days_after(first, DEFAULT_DAYS - 1)
    last = last or today
    if first is None:
        first = _days_before(last, DEFAULT_DAYS - 1)
    if last < first:
        raise invalid(
            FieldError(
                "to",
                "range_reversed",
                Text("tidak boleh sebelum 'from'", "must not be before 'from'"),
            )
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise invalid(
            FieldError(
                "to",
                "range_too_long",
                Text(
                    f"paling banyak {MAX_DAYS} hari dari 'from'",
                    f"at most {MAX_DAYS} days from 'from'",
                ),
            )
        )
    return first, last


def _days_before(day: date, count: int) -> date:
    try:
        return day - timedelta(days=count)
    except OverflowError:  # near the year 1
        return date.min


def _days_after(day: date, count: int) -> date:
    try:
        return day + timedelta(days=count)
    except OverflowError:  # near the year 9999
        return date.max


def _hub_in_path(request: web.Request) -> str:
    try:
        return HubPath.model_validate(dict(request.match_info)).hub
    except ValidationError as error:
        raise from_validation_error(error) from None
