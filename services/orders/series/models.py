"""What the standing orders API takes and answers, and a stored series as the schedule sees it."""

import uuid
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from services.orders.models import NewOrder, OrderStatus
from services.orders.series.schedule import Every, Series, due_at, exists
from shared.fields import ClockTime
from shared.problems import Text

# Kalimantan Tengah, the founding case; a hub says otherwise with hub.registered.
DEFAULT_TIMEZONE = "Asia/Jakarta"
MAX_OCCURRENCES = 1000
# However far ahead an agency plans, a calendar this far out is a typing mistake.
LAST_DAY = date(2100, 12, 31)
SeriesStatus = Literal["active", "paused", "cancelled", "finished"]


class NewStandingOrder(NewOrder):
    """The order each occurrence places (as POST /v1/orders takes it), and when: every day,
    week or month from `starts_on` at `at` (the hub's time), until `ends_on` or after
    `occurrences`, whichever comes first (at least one of the two)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Every
    starts_on: date
    at: ClockTime = "00:00"
    ends_on: date | None = None
    occurrences: int | None = Field(default=None, ge=1, le=MAX_OCCURRENCES)

    def wrong_ends(self) -> list[tuple[str, str, Text]]:
        """The fields that make it a series that never ends, or ends before it starts or past
        LAST_DAY: (field, code, why) each."""
        wrong = []
        if self.ends_on is None and self.occurrences is None:
            wrong.append(
                (
                    "ends_on",
                    "one_of_required",
                    Text("beri ends_on atau occurrences", "give ends_on or occurrences"),
                )
            )
        if self.ends_on is not None and self.ends_on < self.starts_on:
            wrong.append(
                ("ends_on", "range_reversed", Text("sebelum starts_on", "before starts_on"))
            )
        for name, day in (("starts_on", self.starts_on), ("ends_on", self.ends_on)):
            if day is not None and day > LAST_DAY:
                wrong.append(
                    (
                        name,
                        "range_too_long",
                        Text(f"paling lambat {LAST_DAY}", f"at the latest {LAST_DAY}"),
                    )
                )
        return wrong

    def order(self) -> NewOrder:
        return NewOrder.model_validate(self.model_dump(include=set(NewOrder.model_fields)))


class Occurrence(BaseModel):
    number: int
    order_id: uuid.UUID
    status: OrderStatus
    placed_at: datetime


class StandingOrder(BaseModel):
    """A series; `next_occurrence` is the number of the next one to be placed (a pause skips
    what falls due meanwhile), `next_due` when it falls due (none once it ended)."""

    id: uuid.UUID
    hub: str
    sku: str
    quantity: int
    every: Every
    starts_on: date
    at: str
    ends_on: date | None
    occurrences: int | None
    status: SeriesStatus
    next_occurrence: int
    next_due: datetime | None
    timezone: str
    order: NewOrder
    created_at: datetime


class StandingOrderWithOccurrences(StandingOrder):
    placed: list[Occurrence]


class StandingOrders(BaseModel):
    standing_orders: list[StandingOrder]


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def series_of(row: asyncpg.Record, zone_name: str | None) -> Series:
    return Series(
        every=row["every"],
        starts_on=row["starts_on"],
        at=row["at"],
        zone=zone_named(zone_name),
        ends_on=row["ends_on"],
        count=row["occurrences"],
        next_number=row["next_number"],
        active=row["status"] == "active",
    )


def answer_of(row: asyncpg.Record, zone_name: str | None) -> StandingOrder:
    series = series_of(row, zone_name)
    order = NewOrder.model_validate(row["template"])
    ongoing = row["status"] in ("active", "paused") and exists(series, series.next_number)
    return StandingOrder(
        id=row["id"],
        hub=row["hub"],
        sku=row["sku"],
        quantity=order.quantity,
        every=row["every"],
        starts_on=row["starts_on"],
        at=row["at"].strftime("%H:%M"),
        ends_on=row["ends_on"],
        occurrences=row["occurrences"],
        status=row["status"],
        next_occurrence=row["next_number"],
        next_due=due_at(series, series.next_number) if ongoing else None,
        timezone=series.zone.key,
        order=order,
        created_at=row["created_at"],
    )


def at_time(text: str) -> time:
    return time.fromisoformat(text)
