"""Holds that ran out: units nobody collected go back to their lots and on to the next in line;
the order forfeits them and keeps waiting for anything else it is owed."""

from collections import defaultdict

from services.allocator.handlers import filling
from services.allocator.handlers.filling import Emit
from services.allocator.store import Work
from shared.events import OrderExpired

# Expired per transaction, so a backlog never makes one huge transaction.
EXPIRE_BATCH = 500


async def expire_due(uow: Work, hub: str, sku: str, emit: Emit) -> int:
    """Expire up to a batch of the product's due holds and refill; answer how many rows ended.
    Caller holds the product's lock."""
    ended = await uow.expire_due(hub, sku, EXPIRE_BATCH)
    if not ended:
        return 0
    lost: dict = defaultdict(list)
    hold_until = {}
    for hold in ended:
        lost[hold.allocation.order_id].append(hold.allocation)
        hold_until[hold.allocation.order_id] = hold.hold_until
    uow.forfeit([hold.allocation for hold in ended])
    uow.publish(
        *(
            emit(
                OrderExpired(
                    order_id=order_id,
                    sku=sku,
                    quantity=sum(a.quantity for a in given),
                    lots=filling.shares(given),
                    hold_until=hold_until[order_id],
                )
            )
            for order_id, given in lost.items()
        )
    )
    await filling.refill(uow, hub, sku, emit)
    return len(ended)
