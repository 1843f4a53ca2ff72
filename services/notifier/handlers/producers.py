"""What producers hear of their deliveries and of their day, and what each event adds to their
day for the daily summary (the day is the hub's own calendar day)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from services.notifier.dates import date_in_words, hub_zone, in_both
from services.notifier.store import AbstractUnitOfWork
from services.notifier.store.messages import Message
from services.notifier.store.places import Hub, Place
from services.notifier.store.producer_days import DayCounts
from services.notifier.store.recipients import producer_key
from shared.events import (
    DaySummarised,
    Envelope,
    LotShare,
    OrderExpired,
    OrderReleased,
    SupplyReceived,
)


async def on_supply_received(
    uow: AbstractUnitOfWork, event: Envelope, supply: SupplyReceived
) -> None:
    place = await uow.places.get(event.hub, supply.sku)
    counts = DayCounts(
        delivered=supply.quantity, accepted=supply.accepted, rejected=supply.rejected
    )
    day = day_in(place.hub, supply.received_at)
    uow.producer_days.add(event.hub, supply.sku, day, supply.producer_id, counts)
    tell_producer(
        uow,
        event,
        supply.producer_id,
        "delivery_recorded",
        product=place.product.name,
        quantity=supply.quantity,
        accepted=supply.accepted,
        rejected=supply.rejected,
        delivery_id=str(supply.delivery_id),
    )


async def on_day_summarised(
    uow: AbstractUnitOfWork, event: Envelope, summary: DaySummarised
) -> None:
    """Each producer who delivered or sold this product that day hears how their day went."""
    place = await uow.places.get(event.hub, summary.sku)
    for producer in await uow.producer_days.of(event.hub, summary.sku, summary.day):
        day = producer.counts
        tell_producer(
            uow,
            event,
            producer.producer_id,
            "daily_summary",
            product=place.product.name,
            **in_both("day", date_in_words(summary.day)),
            delivered=day.delivered,
            accepted=day.accepted,
            rejected=day.rejected,
            sold=day.sold,
            returned=day.returned,
            earned_rupiah=day.earned,
        )


def tell_producer(
    uow: AbstractUnitOfWork, event: Envelope, producer_id: uuid.UUID, template: str, **params
) -> None:
    uow.messages.add(
        Message.about(event, producer_key(producer_id), template, params, producer_id=producer_id)
    )


# What adds up when a batch's units of a producer are told of in one message.
SUMS = ("quantity", "earned_rupiah")


def tell_producer_of_units(
    uow: AbstractUnitOfWork,
    event: Envelope,
    producer_id: uuid.UUID,
    template: str,
    day: date,
    sku: str,
    **params,
) -> None:
    """Units of one product sold or back in stock: a producer hears of a batch's units of one
    day as one message, its `quantity` (and `earned_rupiah`) the batch's totals, rather than a
    message per order (50 buyers of a tailor's 50 masks are not 50 messages)."""
    message = Message.about(
        event, producer_key(producer_id), template, params, producer_id=producer_id
    )
    uow.messages.add_up(message, sums=tuple(p for p in SUMS if p in params), over=(sku, day))


def units_returned(
    uow: AbstractUnitOfWork,
    event: Envelope,
    returned: OrderExpired | OrderReleased,
    place: Place,
) -> dict[uuid.UUID, int]:
    """Count units back in stock against each producer's day (what they earned with them too);
    answer the units per producer."""
    price = place.product.unit_price or 0
    day = day_in(place.hub, event.occurred_at)
    units = units_by_producer(returned.lots)
    for producer_id, quantity in units.items():
        counts = DayCounts(returned=quantity, earned=-quantity * price)
        uow.producer_days.add(event.hub, returned.sku, day, producer_id, counts)
    return units


def units_by_producer(lots: Iterable[LotShare]) -> dict[uuid.UUID, int]:
    units: dict[uuid.UUID, int] = defaultdict(int)
    for lot in lots:
        units[lot.producer_id] += lot.quantity
    return units


def day_in(hub: Hub, moment: datetime) -> date:
    """The hub's calendar day at a moment."""
    return moment.astimezone(hub_zone(hub.timezone)).date()
