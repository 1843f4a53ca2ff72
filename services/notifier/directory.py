"""What the notifier learns from events so its messages read well and reach people: each hub's
name and time zone, products' names and prices, and the people to tell (producers, and the buyer
of each order) with their language and the channel they prefer."""

from pydantic_core import PydanticCustomError

from services.notifier import store
from services.notifier.batch import Batch
from services.notifier.store import buyer_key, producer_key
from shared.events import (
    Envelope,
    HubRegistered,
    OrderPlaced,
    ProducerRegistered,
    ProducerUpdated,
    ProductListed,
)
from shared.fields import normalise_phone


async def on_hub_registered(batch: Batch, event: Envelope, hub: HubRegistered) -> None:
    """Written at once, not held: rare, and the batch's next look-up must see it."""
    await batch.conn.execute(store.HUB_UPSERT, event.hub, hub.name, hub.timezone)
    batch.forget_places()


async def on_product_listed(batch: Batch, event: Envelope, product: ProductListed) -> None:
    await batch.conn.execute(
        store.PRODUCT_UPSERT, event.hub, product.sku, product.name, product.unit_price
    )
    batch.forget_places()


async def on_producer_registered(
    batch: Batch, _event: Envelope, producer: ProducerRegistered | ProducerUpdated
) -> None:
    batch.add_recipient(
        producer_key(producer.producer_id),
        "producer",
        producer.name,
        email=producer.email,
        phone=_mobile(producer.phone),
        language=producer.language,
        channel=producer.channel,
    )


async def on_producer_updated(batch: Batch, event: Envelope, producer: ProducerUpdated) -> None:
    """An operator changed a producer's details: every message not yet routed (they take their
    address when routed) goes to the new phone or email, in the new language, by the new
    channel. Two edits of one producer handled out of order would leave the older one; the
    event's `updated_at` is there for when the recipients keep it."""
    await on_producer_registered(batch, event, producer)


async def on_order_placed(batch: Batch, _event: Envelope, order: OrderPlaced) -> None:
    buyer = order.buyer
    batch.add_recipient(
        buyer_key(order.order_id),
        "buyer",
        buyer.name,
        email=buyer.email,
        phone=_mobile(buyer.phone),
        language=buyer.language,
        channel=buyer.channel,
        order_code=order.code,
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
