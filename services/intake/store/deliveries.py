"""Deliveries (lots after quality control) and what the allocator's events say they sold."""

import uuid
from datetime import datetime

import asyncpg

from services.intake.records import Delivery
from services.intake.store import columns
from services.intake.store.programme_orders import PROGRAMME_ORDERS_ADD
from shared.events import ProgrammeShare

DELIVERIES_INSERT = """
INSERT INTO deliveries (id, hub, producer_id, sku, quantity, rejected, received_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::int[], $6::int[],
                     $7::timestamptz[])
"""
DELIVERY_BY_ID = "SELECT * FROM deliveries WHERE id = $1"
DELIVERIES_OF_PRODUCER = "SELECT count(*) FROM deliveries WHERE producer_id = $1"
DELIVERIES_OF_PRODUCER_PAGE = """
SELECT * FROM deliveries WHERE producer_id = $1
ORDER BY received_at DESC, id DESC
LIMIT $2 OFFSET $3
"""

# Deltas, not totals: allocation and release events may arrive in any order, and a batch of
# them is added up at once. The day is the hub's calendar day when each event happened ($4),
# whenever it is handled. Units of an order a programme pays for (programme_orders, written
# first) are that programme's sales; others are ordinary sales, and an ordinary return is
# kept by order too, in case its order turns out to be a programme's (programme_orders.py). A
# lot, day or order named more than once is summed first: one statement changes a row only
# once. A lot intake does not know is left out.
DELIVERIES_SOLD_ADD = """
WITH change AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[])
         AS change (id, order_id, quantity, at)
), lots AS (
    UPDATE deliveries AS d SET sold = d.sold + total.quantity
    FROM (SELECT id, sum(quantity) AS quantity FROM change GROUP BY id) AS total
    WHERE d.id = total.id
    RETURNING d.id, d.hub, d.producer_id, d.sku
), counted AS (
    SELECT lots.id, change.order_id, (change.at AT TIME ZONE h.timezone)::date AS day,
           lots.hub, lots.producer_id, lots.sku, change.quantity, paid.programme_id,
           paid.unit_price
    FROM change JOIN lots ON lots.id = change.id JOIN hubs h ON h.code = lots.hub
    LEFT JOIN programme_orders AS paid ON paid.order_id = change.order_id
), sales AS (
    INSERT INTO delivery_sales (delivery_id, day, hub, producer_id, sku, units, programme_id,
                                programme_price)
    SELECT id, day, hub, producer_id, sku, sum(quantity), programme_id, unit_price
    FROM counted
    GROUP BY id, day, hub, producer_id, sku, programme_id, unit_price
    ON CONFLICT (delivery_id, day, programme_id, programme_price)
    DO UPDATE SET units = delivery_sales.units + excluded.units
)
INSERT INTO ordinary_returns (order_id, delivery_id, day, units)
SELECT order_id, id, day, sum(quantity) FROM counted
WHERE quantity < 0 AND programme_id IS NULL
GROUP BY order_id, id, day
ON CONFLICT (order_id, delivery_id, day)
DO UPDATE SET units = ordinary_returns.units + excluded.units
"""


def delivery_of(row: asyncpg.Record) -> Delivery:
    return Delivery.model_validate(dict(row))


async def one(conn: asyncpg.Connection, delivery_id: uuid.UUID) -> Delivery | None:
    row = await conn.fetchrow(DELIVERY_BY_ID, delivery_id)
    return None if row is None else delivery_of(row)


async def of_producer(
    conn: asyncpg.Connection, producer_id: uuid.UUID, limit: int, offset: int
) -> tuple[int, list[asyncpg.Record]]:
    """How many deliveries a producer made, and a page of them, newest first. Call in a
    snapshot."""
    total = await conn.fetchval(DELIVERIES_OF_PRODUCER, producer_id)
    rows = await conn.fetch(DELIVERIES_OF_PRODUCER_PAGE, producer_id, limit, offset)
    return total, rows


class Deliveries:
    """The deliveries a unit of work recorded, the orders programmes pay for, and the units
    sold (or returned) it counted, each kind held as one statement's arrays."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._added: list[Delivery] = []
        self._programme_orders: dict[uuid.UUID, ProgrammeShare] = {}
        self._sold: list[tuple[uuid.UUID, uuid.UUID, int, datetime]] = []

    def add(self, delivery: Delivery) -> None:
        self._added.append(delivery)

    def paid_by_programme(self, order_id: uuid.UUID, programme: ProgrammeShare) -> None:
        """The order's units (sold or returned, whenever) are the programme's sales."""
        self._programme_orders.setdefault(order_id, programme)

    def add_sold(
        self, delivery_id: uuid.UUID, order_id: uuid.UUID, units: int, at: datetime
    ) -> None:
        """Units sold from a lot to an order (negative: returned to it), on the hub's day of
        `at`."""
        self._sold.append((delivery_id, order_id, units, at))

    async def flush(self) -> None:
        added, self._added = self._added, []
        paid, self._programme_orders = self._programme_orders, {}
        sold, self._sold = self._sold, []
        if added:
            rows = [
                (d.id, d.hub, d.producer_id, d.sku, d.quantity, d.rejected, d.received_at)
                for d in added
            ]
            await self.conn.execute(DELIVERIES_INSERT, *columns(rows, 7))
        if paid:  # before the sales, which look the orders up
            await self.conn.execute(
                PROGRAMME_ORDERS_ADD,
                list(paid),
                [share.programme_id for share in paid.values()],
                [share.unit_price for share in paid.values()],
            )
        if sold:
            await self.conn.execute(DELIVERIES_SOLD_ADD, *columns(sold, 4))
