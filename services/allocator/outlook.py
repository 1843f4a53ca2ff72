"""A product's outlook, read from the database: the queue's totals per class and the hub's
recent supply, from which an order's place and estimated date follow (see `estimates`)."""

import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

from services.allocator import days, estimates, store


@dataclass(frozen=True)
class Outlook:
    totals: dict[str, tuple[int, int]]  # class -> waiting (orders, units)
    today: date
    supplied_last_week: int
    supplied_today: int

    def estimate(self, units_ahead: int, wanted: int) -> date | None:
        return estimates.estimated_date(
            self.today, units_ahead, wanted, self.supplied_last_week, self.supplied_today
        )


async def of_product(conn: asyncpg.Connection, hub: str, sku: str) -> Outlook:
    zone = await days.zone_of(conn, hub)
    today = days.today(zone)
    supply = await conn.fetchrow(store.RECENT_SUPPLY, hub, sku, days.start_of(today, zone))
    return Outlook(
        totals=await store.class_totals(conn, hub, sku),
        today=today,
        supplied_last_week=supply["last_week"],
        supplied_today=supply["today"],
    )


async def behind(conn: asyncpg.Connection, order_ids: list[uuid.UUID]) -> dict:
    """order id -> (orders, units) waiting behind it in its class."""
    rows = await conn.fetch(store.BEHIND, order_ids)
    return {row["order_id"]: (row["orders"], row["units"]) for row in rows}


async def ahead(conn: asyncpg.Connection, order: asyncpg.Record) -> tuple[int, int]:
    """(orders, units) waiting ahead of a queued order in its class."""
    row = await conn.fetchrow(
        store.AHEAD,
        order["hub"],
        order["sku"],
        order["priority_class"],
        order["placed_at"],
        order["sequence"],
    )
    return row["orders"], row["units"]
