"""Which events call for which messages, and each producer's day for their daily summary.

Messages are only recorded here, in the batch's transaction (held by `Batch` and written at its
end), one per (event, recipient, purpose); the router and the senders send them after it
commits. What the notifier learns of hubs, products and people to tell is kept by
`directory`."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from services.notifier import store
from services.notifier.batch import Batch
from services.notifier.dates import (
    date_in_words,
    estimate_in_words,
    estimate_moved,
    hub_zone,
    in_both,
    time_in_words,
)
from services.notifier.directory import (
    on_hub_registered,
    on_order_placed,
    on_producer_registered,
    on_producer_updated,
    on_product_listed,
)
from services.notifier.store import buyer_key, producer_key
from shared.consumer import EventHandlers
from shared.events import (
    DaySummarised,
    Envelope,
    LotShare,
    OrderAllocated,
    OrderCancelled,
    OrderEstimateMoved,
    OrderExpired,
    OrderQueued,
    OrderReleased,
    SupplyReceived,
)
from shared.problems import Text

NO_DEADLINE = Text("tanpa batas waktu", "no deadline")


async def on_supply_received(batch: Batch, event: Envelope, supply: SupplyReceived) -> None:
    product, hub = await batch.product_at_hub(event.hub, supply.sku)
    batch.tally(
        event.hub,
        supply.sku,
        _day_in(hub, supply.received_at),
        supply.producer_id,
        delivered=supply.quantity,
        accepted=supply.accepted,
        rejected=supply.rejected,
    )
    batch.add_message(
        event,
        recipient_key=producer_key(supply.producer_id),
        template="delivery_recorded",
        params={
            "product": product.name,
            "quantity": supply.quantity,
            "accepted": supply.accepted,
            "rejected": supply.rejected,
            "delivery_id": str(supply.delivery_id),
        },
        producer_id=supply.producer_id,
    )


async def on_order_queued(batch: Batch, event: Envelope, queued: OrderQueued) -> None:
    _tell_buyer(
        batch,
        event,
        queued.order_id,
        template="order_received",
        product=await batch.product_name(event.hub, queued.sku),
        quantity=queued.quantity,
        position=queued.position,
        units_ahead=queued.units_ahead,
        **in_both("estimate", estimate_in_words(queued.estimated_date)),
    )


async def on_order_allocated(batch: Batch, event: Envelope, given: OrderAllocated) -> None:
    """The buyer hears what they got, where and until when to collect it; each producer whose
    units went hears that they sold, and what they earned."""
    product, hub = await batch.product_at_hub(event.hub, given.sku)
    hold_until = (
        NO_DEADLINE if given.hold_until is None else time_in_words(given.hold_until, hub.timezone)
    )
    remaining = given.requested - given.allocated_total
    _tell_buyer(
        batch,
        event,
        given.order_id,
        template="order_partly_allocated" if remaining else "order_allocated",
        product=product.name,
        quantity=given.quantity,
        allocated_total=given.allocated_total,
        requested=given.requested,
        remaining=remaining,
        pickup=hub.name,
        **in_both("hold_until", hold_until),
    )
    day = _day_in(hub, event.occurred_at)
    price = product.unit_price or 0
    for producer_id, quantity in _units_by_producer(given.lots).items():
        batch.tally(event.hub, given.sku, day, producer_id, sold=quantity, earned=quantity * price)
        batch.add_message(
            event,
            recipient_key=producer_key(producer_id),
            template="units_sold",
            params={
                "product": product.name,
                "quantity": quantity,
                "unit_price_rupiah": price,
                "earned_rupiah": quantity * price,
            },
            producer_id=producer_id,
        )


async def on_order_expired(batch: Batch, event: Envelope, expiry: OrderExpired) -> None:
    """Units nobody collected went to the next in line: the buyer hears it, and so does each
    producer whose units went back to stock."""
    product, hub = await batch.product_at_hub(event.hub, expiry.sku)
    _tell_buyer(
        batch,
        event,
        expiry.order_id,
        template="order_expired",
        product=product.name,
        quantity=expiry.quantity,
        **in_both("hold_until", time_in_words(expiry.hold_until, hub.timezone)),
    )
    for producer_id, quantity in _units_returned(batch, event, expiry, hub, product):
        batch.add_message(
            event,
            recipient_key=producer_key(producer_id),
            template="units_returned",
            params={"product": product.name, "quantity": quantity},
            producer_id=producer_id,
        )


async def on_order_released(batch: Batch, event: Envelope, release: OrderReleased) -> None:
    """A cancelled order's units went back to stock: the producers' day counts them as returned
    (the buyer hears of the cancellation itself)."""
    product, hub = await batch.product_at_hub(event.hub, release.sku)
    _units_returned(batch, event, release, hub, product)


async def on_order_estimate_moved(batch: Batch, event: Envelope, moved: OrderEstimateMoved) -> None:
    _tell_buyer(
        batch,
        event,
        moved.order_id,
        template="estimate_moved",
        product=await batch.product_name(event.hub, moved.sku),
        position=moved.position,
        units_ahead=moved.units_ahead,
        **in_both("moved", estimate_moved(moved.estimated_date, moved.previous_date)),
        **in_both("estimate", estimate_in_words(moved.estimated_date)),
        **in_both("previous", estimate_in_words(moved.previous_date)),
    )


async def on_order_cancelled(batch: Batch, event: Envelope, cancel: OrderCancelled) -> None:
    _tell_buyer(
        batch,
        event,
        cancel.order_id,
        template="order_cancelled",
        product=await batch.product_name(event.hub, cancel.sku),
    )


async def on_day_summarised(batch: Batch, event: Envelope, summary: DaySummarised) -> None:
    """Each producer who delivered or sold this product that day hears how their day went."""
    product, _ = await batch.product_at_hub(event.hub, summary.sku)
    for day in await batch.producer_days(event.hub, summary.sku, summary.day):
        batch.add_message(
            event,
            recipient_key=producer_key(day["producer_id"]),
            template="daily_summary",
            params={
                "product": product.name,
                **in_both("day", date_in_words(summary.day)),
                "delivered": day["delivered"],
                "accepted": day["accepted"],
                "rejected": day["rejected"],
                "sold": day["sold"],
                "returned": day["returned"],
                "earned_rupiah": day["earned"],
            },
            producer_id=day["producer_id"],
        )


def _tell_buyer(
    batch: Batch, event: Envelope, order_id: uuid.UUID, *, template: str, **params
) -> None:
    """One message to the buyer of an order; every one names the order, in full and by the
    short reference a buyer reads out on the phone."""
    batch.add_message(
        event,
        recipient_key=buyer_key(order_id),
        template=template,
        params={**params, "order_id": str(order_id), "order_ref": order_reference(order_id)},
        order_id=order_id,
    )


def order_reference(order_id: uuid.UUID) -> str:
    """The order's first eight hex digits, upper case: short enough for an SMS or a phone call."""
    return order_id.hex[:8].upper()


def _units_returned(
    batch: Batch,
    event: Envelope,
    returned: OrderExpired | OrderReleased,
    hub: store.Hub,
    product: store.Product,
) -> list[tuple[uuid.UUID, int]]:
    """Count units back in stock against each producer's day (what they earned with them too);
    answer the units per producer."""
    price = product.unit_price or 0
    day = _day_in(hub, event.occurred_at)
    units = list(_units_by_producer(returned.lots).items())
    for producer_id, quantity in units:
        batch.tally(
            event.hub,
            returned.sku,
            day,
            producer_id,
            returned=quantity,
            earned=-quantity * price,
        )
    return units


def _units_by_producer(lots: Iterable[LotShare]) -> dict[uuid.UUID, int]:
    units: dict[uuid.UUID, int] = defaultdict(int)
    for lot in lots:
        units[lot.producer_id] += lot.quantity
    return units


def _day_in(hub: store.Hub, moment: datetime) -> date:
    """The hub's calendar day at a moment."""
    return moment.astimezone(hub_zone(hub.timezone)).date()


handlers = EventHandlers.each_in(
    Batch,
    {
        "product.listed": on_product_listed,
        "producer.registered": on_producer_registered,
        "producer.updated": on_producer_updated,
        "order.placed": on_order_placed,
        "supply.received": on_supply_received,
        "order.queued": on_order_queued,
        "order.allocated": on_order_allocated,
        "order.cancelled": on_order_cancelled,
        "order.expired": on_order_expired,
        "order.estimate_moved": on_order_estimate_moved,
        "order.released": on_order_released,
        "day.summarised": on_day_summarised,
        "hub.registered": on_hub_registered,
    },
)
