"""Order windows (migration 0010, services/orders/windows.py): every statement that reads or
changes `order_windows`.

Placing: the products a batch orders are locked (store/products.py: held already when the
batch's key claim took them), then their windows read (FOR UPDATE, by id, so two batches lock
them in one order), each order is decided in the batch's order against the counts as they stand,
and the counts written back, all in the placing transaction. Another batch (or another process)
waits for the lock, then reads what this one committed: no unit over the cap.
"""

import uuid
from typing import TYPE_CHECKING

import asyncpg
import orjson

from services.orders.store.products import products_locked
from services.orders.windows import Decision, Window, decide

if TYPE_CHECKING:
    from services.orders.store.unit_of_work import UnitOfWork

_COLUMNS = """id, hub, sku, opens_at, closes_at, cap, timezone, closed_at, ordered, orders,
    refused, by_buyer_type"""
# The clock is read after the products' lock (the one-time filter, evaluated first): now() is
# the transaction's start, which may be before another batch's commit that this one waited for.
WINDOWS_TO_PLACE = f"""
SELECT {_COLUMNS}, clock_timestamp() AS now
FROM order_windows
WHERE (hub, sku) IN (SELECT * FROM unnest($1::text[], $2::text[]))
  AND {products_locked("$1", "$2")}
ORDER BY id
FOR UPDATE
"""
WINDOWS_COUNTED = """
UPDATE order_windows w
SET ordered = u.ordered, orders = u.orders, refused = u.refused, by_buyer_type = u.by_type::jsonb
FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::text[])
     AS u(id, ordered, orders, refused, by_type)
WHERE w.id = u.id
"""
WINDOWS_OF_PRODUCT = f"SELECT {_COLUMNS} FROM order_windows WHERE hub = $1 AND sku = $2"
WINDOWS_OF_HUB = f"SELECT {_COLUMNS} FROM order_windows WHERE hub = $1"
WINDOW_BY_ID = "SELECT * FROM order_windows WHERE id = $1"
WINDOW_LOCKED = WINDOW_BY_ID + " FOR UPDATE"
WINDOWS_LIST = """
SELECT * FROM order_windows
WHERE ($1::text IS NULL OR hub = $1) AND ($2::text IS NULL OR sku = $2)
ORDER BY opens_at DESC, id
LIMIT 200
"""
WINDOW_INSERT = """
INSERT INTO order_windows (id, hub, sku, opens_at, closes_at, cap, timezone)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *
"""
WINDOW_UPDATE = """
UPDATE order_windows SET opens_at = $2, closes_at = $3, cap = $4, timezone = $5
WHERE id = $1 RETURNING *
"""
WINDOW_CLOSE = """
UPDATE order_windows SET closed_at = coalesce(closed_at, now()) WHERE id = $1 RETURNING *
"""
# Windows whose end passed (or an operator closed) and whose summary has not gone yet: marked,
# and so taken by one process only, in the statement that finds them.
WINDOWS_TO_SUMMARISE = """
UPDATE order_windows SET summarised_at = now()
WHERE id IN (
    SELECT id FROM order_windows
    WHERE summarised_at IS NULL AND least(closes_at, coalesce(closed_at, closes_at)) <= now()
    ORDER BY closes_at
    LIMIT 100
    FOR UPDATE SKIP LOCKED
)
RETURNING *
"""
PRODUCT_LISTED = "SELECT EXISTS (SELECT 1 FROM catalog WHERE hub = $1 AND sku = $2)"


def window_from(row: asyncpg.Record) -> Window:
    by_type = row["by_buyer_type"]
    return Window(
        id=row["id"],
        hub=row["hub"],
        sku=row["sku"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        cap=row["cap"],
        timezone=row["timezone"],
        closed_at=row["closed_at"],
        ordered=row["ordered"],
        orders=row["orders"],
        refused=row["refused"],
        by_buyer_type=orjson.loads(by_type) if isinstance(by_type, str) else dict(by_type),
    )


class WindowRows:
    """The unit of work's windows: each order decided against its product's windows, the
    orders of one turn (a batch) in one lock and one write."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._take = unit.gathered(_take_all)
        self._without: set[tuple[str, str]] = set()

    def without(self, products: set[tuple[str, str]]) -> None:
        """Products found with no window, their lock held (store/keys.py's claim): no read."""
        self._without |= products

    async def take(self, hub: str, sku: str, quantity: int, buyer_type: str) -> Decision:
        if (hub, sku) in self._without:
            return Decision("none")
        return await self._take((hub, sku, quantity, buyer_type))


async def _take_all(conn: asyncpg.Connection, asked: list[tuple]) -> list[Decision]:
    rows = await conn.fetch(
        WINDOWS_TO_PLACE, [hub for hub, *_ in asked], [sku for _, sku, *_ in asked]
    )
    if not rows:
        return [Decision("none")] * len(asked)
    now = rows[0]["now"]
    windows: dict[tuple[str, str], list[Window]] = {}
    for row in rows:
        windows.setdefault((row["hub"], row["sku"]), []).append(window_from(row))
    decisions = [
        decide(windows.get((hub, sku), []), quantity, buyer_type, now)
        for hub, sku, quantity, buyer_type in asked
    ]
    counted = {id(d.window): d.window for d in decisions if d.window is not None}.values()
    if counted:
        await conn.execute(
            WINDOWS_COUNTED,
            [window.id for window in counted],
            [window.ordered for window in counted],
            [window.orders for window in counted],
            [window.refused for window in counted],
            [orjson.dumps(window.by_buyer_type).decode() for window in counted],
        )
    return decisions


async def windows_of_product(conn: asyncpg.Connection, hub: str, sku: str) -> list[Window]:
    return [window_from(row) for row in await conn.fetch(WINDOWS_OF_PRODUCT, hub, sku)]


async def windows_of_hub(conn: asyncpg.Connection, hub: str) -> dict[str, list[Window]]:
    """The hub's windows, by product."""
    found: dict[str, list[Window]] = {}
    for row in await conn.fetch(WINDOWS_OF_HUB, hub):
        found.setdefault(row["sku"], []).append(window_from(row))
    return found


async def product_listed(conn: asyncpg.Connection, hub: str, sku: str) -> bool:
    return await conn.fetchval(PRODUCT_LISTED, hub, sku)


async def window_row(conn: asyncpg.Connection, window_id: uuid.UUID, lock: bool = False):
    return await conn.fetchrow(WINDOW_LOCKED if lock else WINDOW_BY_ID, window_id)
