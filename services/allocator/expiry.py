"""Holds that ran out: units nobody collected go back to their lots and on to the next in line;
the order forfeits them and keeps waiting for anything else it is owed."""

from collections import defaultdict

import asyncpg

from services.allocator import filling, store
from services.allocator.domain import Allocation
from services.allocator.filling import Emit
from shared import outbox
from shared.events import OrderExpired

# Expired per transaction, so a backlog never makes one huge transaction.
EXPIRE_BATCH = 500

DUE_PRODUCTS = """
SELECT DISTINCT hub, sku FROM allocations WHERE state = 'held' AND hold_until <= now()
"""


async def expire_due(conn: asyncpg.Connection, hub: str, sku: str, emit: Emit) -> int:
    """Expire up to a batch of the product's due holds and refill; answer how many rows ended.
    Caller holds the product's lock."""
    rows = await conn.fetch(store.EXPIRE_DUE, hub, sku, EXPIRE_BATCH)
    if not rows:
        return 0
    lost: dict = defaultdict(list)
    hold_until = {}
    for row in rows:
        lost[row["order_id"]].append(
            Allocation(row["order_id"], row["delivery_id"], row["producer_id"], row["quantity"])
        )
        hold_until[row["order_id"]] = row["hold_until"]
    expired = [allocation for given in lost.values() for allocation in given]
    await store.return_to_lots(conn, expired)
    per_order = {order_id: sum(a.quantity for a in given) for order_id, given in lost.items()}
    await conn.execute(store.QUEUE_FORFEIT, list(per_order), list(per_order.values()))
    await outbox.add(
        conn,
        *(
            emit(
                OrderExpired(
                    order_id=order_id,
                    sku=sku,
                    quantity=per_order[order_id],
                    lots=filling.shares(given),
                    hold_until=hold_until[order_id],
                )
            )
            for order_id, given in lost.items()
        ),
    )
    await filling.fill(conn, hub, sku, emit)
    return len(rows)
