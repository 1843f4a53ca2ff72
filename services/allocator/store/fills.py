"""Writing what a batch's fills gave: a statement per kind of row for every fill at once."""

import asyncpg

from services.allocator.rules.domain import total_by_lot, total_by_order
from services.allocator.store import FillRecord, allocations, queue


async def write_fills(conn: asyncpg.Connection, fills: list[FillRecord]) -> None:
    """The skips, the allocations and the buyers' days of every fill: a statement each."""
    skips = [skip for record in fills for skip in record.fill.skips]
    if skips:
        await conn.execute(
            queue.SKIPS_RECORD,
            [s.order_id for s in skips],
            [s.rule for s in skips],
            [s.detail for s in skips],
        )
    given = [
        (a.order_id, a.delivery_id, a.quantity, a.rule, r.hub, r.sku, r.policy_version,
         r.hold_until, r.draw_id)
        for r in fills for a in r.fill.allocations
    ]  # fmt: skip
    if not given:
        return
    every = [a for record in fills for a in record.fill.allocations]
    by_lot, by_order = total_by_lot(every), total_by_order(every)
    await conn.execute(
        allocations.ALLOCATIONS_RECORD,
        *columns(given, 9),
        list(by_lot),
        list(by_lot.values()),
        list(by_order),
        list(by_order.values()),
    )
    days_ = [
        (r.hub, r.sku, r.day, buyer, units) for r in fills for buyer, units in r.by_buyer.items()
    ]
    if days_:
        await conn.execute(allocations.BUYER_DAYS_ADD, *columns(days_, 5))


def columns(rows: list[tuple], width: int) -> list[list]:
    """Rows as the column arrays `unnest` takes."""
    return [[row[n] for row in rows] for n in range(width)]
