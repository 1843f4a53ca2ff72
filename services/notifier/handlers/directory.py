"""What the notifier learns from events so its messages read well and reach people: each hub's
name and time zone, products' names and prices, and the people to tell (producers, and the buyer
of each order) with their language and the channel they prefer."""

import uuid

from pydantic_core import PydanticCustomError

from services.notifier.store import AbstractUnitOfWork
from services.notifier.store.recipients import Recipient, buyer_key, producer_key
from shared.events import (
    Buyer,
    Envelope,
    HubRegistered,
    OrderPlaced,
    ProducerRegistered,
    ProducerUpdated,
    ProductListed,
)
from shared.fields import normalise_phone


async def on_hub_registered(uow: AbstractUnitOfWork, event: Envelope, hub: HubRegistered) -> None:
    uow.places.add_hub(event.hub, hub.name, hub.timezone)


async def on_product_listed(
    uow: AbstractUnitOfWork, event: Envelope, product: ProductListed
) -> None:
    uow.places.add_product(event.hub, product.sku, product.name, product.unit_price)


async def on_producer_registered(
    uow: AbstractUnitOfWork, _event: Envelope, producer: ProducerRegistered | ProducerUpdated
) -> None:
    uow.recipients.add(
        Recipient(
            producer_key(producer.producer_id),
            "producer",
            producer.name,
            email=producer.email and producer.email.lower(),
            phone=_mobile(producer.phone),
            language=producer.language,
            channel=producer.channel,
        )
    )


async def on_producer_updated(
    uow: AbstractUnitOfWork, event: Envelope, producer: ProducerUpdated
) -> None:
    """An operator changed a producer's details: every message not yet routed (they take their
    address when routed) goes to the new phone or email, in the new language, by the new
    channel. Two edits of one producer handled out of order would leave the older one; the
    event's `updated_at` is there for when the recipients keep it."""
    await on_producer_registered(uow, event, producer)


async def on_order_placed(uow: AbstractUnitOfWork, _event: Envelope, order: OrderPlaced) -> None:
    uow.recipients.add(buyer_recipient(order.order_id, order.buyer, order.code))


def buyer_recipient(order_id: uuid.UUID, buyer: Buyer, code: str | None) -> Recipient:
    """The buyer of an order as the notifier tells them: as order.placed names them, or, for a
    programme's application not yet in the queue, as programme.not_drawn does."""
    return Recipient(
        buyer_key(order_id),
        "buyer",
        buyer.name,
        email=buyer.email and buyer.email.lower(),
        phone=_mobile(buyer.phone),
        language=buyer.language,
        channel=buyer.channel,
        order_code=code,
    )


def _mobile(phone: str | None) -> str | None:
    """The number in E.164, as the APIs keep it; one that is no mobile number (an event from
    before they checked) cannot take WhatsApp or SMS, so the person is told by email."""
    if phone is None:
        return None
    try:
        return normalise_phone(phone)
    except PydanticCustomError:
        return None
