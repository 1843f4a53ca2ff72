"""Deliveries (lots after quality control) and what the allocator's events say they sold."""

import uuid
from datetime import datetime

import asyncpg

from services.intake.records import Delivery
from services.intake.store import columns

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
# them is added up at once. The day is the hub's calendar day when each event happened ($3),
# whenever it is handled. A lot or a day named more than once is summed first: one statement
# changes a row only once. A lot intake does not know is left out.
DELIVERIES_SOLD_ADD = """
WITH change AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS change (id, quantity, at)
), lots AS (
    UPDATE deliveries AS d SET sold = d.sold + total.quantity
    FROM (SELECT id, sum(quantity) AS quantity FROM change GROUP BY id) AS total
    WHERE d.id = total.id
    RETURNING d.id, d.hub, d.producer_id, d.sku
)
INSERT INTO delivery_sales (delivery_id, day, hub, producer_id, sku, units)
SELECT lots.id, (change.at AT TIME ZONE h.timezone)::date AS day, lots.hub, lots.producer_id,
       lots.sku, sum(change.quantity)
FROM change JOIN lots ON lots.id = change.id JOIN hubs h ON h.code = lots.hub
GROUP BY lots.id, day, lots.hub, lots.producer_id, lots.sku
ON CONFLICT (delivery_id, day) DO UPDATE SET units = delivery_sales.units + excluded.units
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
    """The deliveries a unit of work recorded, and the units sold (or returned) it counted:
    three lists that become one statement's arrays."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._added: list[Delivery] = []
        self._sold_lots: list[uuid.UUID] = []
        self._sold_units: list[int] = []
        self._sold_at: list[datetime] = []

    def add(self, delivery: Delivery) -> None:
        self._added.append(delivery)

    def add_sold(self, delivery_id: uuid.UUID, units: int, at: datetime) -> None:
        """Units sold from a lot (negative: returned to it), on the hub's day of `at`."""
        self._sold_lots.append(delivery_id)
        self._sold_units.append(units)
        self._sold_at.append(at)

    async def flush(self) -> None:
        added, self._added = self._added, []
        sold = self._sold_lots, self._sold_units, self._sold_at
        self._sold_lots, self._sold_units, self._sold_at = [], [], []
        if added:
            rows = [
                (d.id, d.hub, d.producer_id, d.sku, d.quantity, d.rejected, d.received_at)
                for d in added
            ]
            await self.conn.execute(DELIVERIES_INSERT, *columns(rows, 7))
        if sold[0]:
            await self.conn.execute(DELIVERIES_SOLD_ADD, *sold)
