"""Writing what a batch's fills gave: a statement per kind of row for every fill at once."""

from services.allocator.rules.domain import total_by_lot, total_by_order
from services.allocator.store import FillRecord, allocations, lots, queue
from services.allocator.store.writes import BUYER_DAYS, QUEUE, Write


def fill_writes(fills: list[FillRecord]) -> list[Write]:
    """The skips, the allocations (with the units they take from the lots and give to the
    orders) and the buyers' days of every fill: a statement each, in that order."""
    writes = []
    skips = [skip for record in fills for skip in record.fill.skips]
    if skips:
        writes.append(
            Write(
                queue.SKIPS_RECORD,
                [[s.order_id for s in skips], [s.rule for s in skips], [s.detail for s in skips]],
                QUEUE,
            )
        )
    given = [
        (a.order_id, a.delivery_id, a.quantity, a.rule, r.hub, r.sku, r.policy_version,
         r.hold_until, r.draw_id)
        for r in fills for a in r.fill.allocations
    ]  # fmt: skip
    if not given:
        return writes
    every = [a for record in fills for a in record.fill.allocations]
    by_lot, by_order = total_by_lot(every), total_by_order(every)
    # The allocations' keys name lots and orders that exist already: changing other columns
    # of those rows in the same statement does not touch what the keys check.
    writes.append(Write(allocations.ALLOCATIONS_ADD, columns(given, 9), frozenset({"allocations"})))
    writes.append(
        Write(lots.LOTS_ALLOCATED_ADD, [list(by_lot), list(by_lot.values())], frozenset({"lots"}))
    )
    writes.append(Write(allocations.QUEUE_GIVEN, [list(by_order), list(by_order.values())], QUEUE))
    days_ = [
        (r.hub, r.sku, r.day, buyer, units) for r in fills for buyer, units in r.by_buyer.items()
    ]
    if days_:
        writes.append(Write(allocations.BUYER_DAYS_ADD, columns(days_, 5), BUYER_DAYS))
    return writes


def columns(rows: list[tuple], width: int) -> list[list]:
    """Rows as the column arrays `unnest` takes."""
    return [[row[n] for row in rows] for n in range(width)]
