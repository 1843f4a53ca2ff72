"""What buyers and producers hear of an order: the buyer of each event about their order, and
each producer whose units were sold or came back.

Every buyer's message names the order in full and by the short reference a buyer reads out on
the phone; the order's code and tracking link are added when it is sent (`links`), so a message
recorded before its order.placed arrived still gets them. A buyer served at once hears only
order.allocated (no order.queued before it), so that message stands alone."""

import uuid

from services.notifier.dates import estimate_in_words, estimate_moved, in_both, time_in_words
from services.notifier.handlers.producers import (
    day_in,
    tell_producer_of_units,
    units_by_producer,
    units_returned,
)
from services.notifier.store import AbstractUnitOfWork
from services.notifier.store.messages import Message
from services.notifier.store.producer_days import DayCounts
from services.notifier.store.recipients import buyer_key
from shared.events import (
    Envelope,
    OrderAllocated,
    OrderCancelled,
    OrderEstimateMoved,
    OrderExpired,
    OrderQueued,
    OrderReleased,
)
from shared.problems import Text

NO_DEADLINE = Text("tanpa batas waktu", "no deadline")


async def on_order_queued(uow: AbstractUnitOfWork, event: Envelope, queued: OrderQueued) -> None:
    place = await uow.places.get(event.hub, queued.sku)
    tell_buyer(
        uow,
        event,
        queued.order_id,
        "order_received",
        product=place.product.name,
        quantity=queued.quantity,
        position=queued.position,
        units_ahead=queued.units_ahead,
        **in_both("estimate", estimate_in_words(queued.estimated_date)),
    )


async def on_order_allocated(
    uow: AbstractUnitOfWork, event: Envelope, given: OrderAllocated
) -> None:
    """The buyer hears what they got, where and until when to collect it; each producer whose
    units went hears that they sold, and what they earned (with the rest of the batch's sales
    of their units that day)."""
    place = await uow.places.get(event.hub, given.sku)
    product, hub = place.product, place.hub
    hold_until = (
        NO_DEADLINE if given.hold_until is None else time_in_words(given.hold_until, hub.timezone)
    )
    remaining = given.requested - given.allocated_total
    tell_buyer(
        uow,
        event,
        given.order_id,
        "order_partly_allocated" if remaining else "order_allocated",
        product=product.name,
        quantity=given.quantity,
        allocated_total=given.allocated_total,
        requested=given.requested,
        remaining=remaining,
        pickup=hub.name,
        **in_both("hold_until", hold_until),
    )
    day = day_in(hub, event.occurred_at)
    price = product.unit_price or 0
    for producer_id, quantity in units_by_producer(given.lots).items():
        earned = quantity * price
        counts = DayCounts(sold=quantity, earned=earned)
        uow.producer_days.add(event.hub, given.sku, day, producer_id, counts)
        tell_producer_of_units(
            uow,
            event,
            producer_id,
            "units_sold",
            day,
            given.sku,
            product=product.name,
            quantity=quantity,
            unit_price_rupiah=price,
            earned_rupiah=earned,
        )


async def on_order_expired(uow: AbstractUnitOfWork, event: Envelope, expiry: OrderExpired) -> None:
    """Units nobody collected went to the next in line: the buyer hears it, and so does each
    producer whose units went back to stock."""
    place = await uow.places.get(event.hub, expiry.sku)
    tell_buyer(
        uow,
        event,
        expiry.order_id,
        "order_expired",
        product=place.product.name,
        quantity=expiry.quantity,
        **in_both("hold_until", time_in_words(expiry.hold_until, place.hub.timezone)),
    )
    day = day_in(place.hub, event.occurred_at)
    for producer_id, quantity in units_returned(uow, event, expiry, place).items():
        tell_producer_of_units(
            uow,
            event,
            producer_id,
            "units_returned",
            day,
            expiry.sku,
            product=place.product.name,
            quantity=quantity,
        )


async def on_order_released(
    uow: AbstractUnitOfWork, event: Envelope, release: OrderReleased
) -> None:
    """A cancelled order's units went back to stock: the producers' day counts them as returned
    (the buyer hears of the cancellation itself)."""
    units_returned(uow, event, release, await uow.places.get(event.hub, release.sku))


async def on_order_estimate_moved(
    uow: AbstractUnitOfWork, event: Envelope, moved: OrderEstimateMoved
) -> None:
    place = await uow.places.get(event.hub, moved.sku)
    tell_buyer(
        uow,
        event,
        moved.order_id,
        "estimate_moved",
        product=place.product.name,
        position=moved.position,
        units_ahead=moved.units_ahead,
        **in_both("moved", estimate_moved(moved.estimated_date, moved.previous_date)),
        **in_both("estimate", estimate_in_words(moved.estimated_date)),
        **in_both("previous", estimate_in_words(moved.previous_date)),
    )


async def on_order_cancelled(
    uow: AbstractUnitOfWork, event: Envelope, cancel: OrderCancelled
) -> None:
    place = await uow.places.get(event.hub, cancel.sku)
    tell_buyer(uow, event, cancel.order_id, "order_cancelled", product=place.product.name)


def tell_buyer(
    uow: AbstractUnitOfWork, event: Envelope, order_id: uuid.UUID, template: str, **params
) -> None:
    """One message to the buyer of an order."""
    params |= {"order_id": str(order_id), "order_ref": order_reference(order_id)}
    uow.messages.add(Message.about(event, buyer_key(order_id), template, params, order_id=order_id))


def order_reference(order_id: uuid.UUID) -> str:
    """The order's first eight hex digits, upper case: short enough for an SMS or a phone call."""
    return order_id.hex[:8].upper()
