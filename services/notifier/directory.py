"""What the notifier learns from events so its messages read well and reach people: each hub's
name and time zone, products' names and prices, and the people to tell (producers, and the buyer
of each order) with their language and the channel they prefer."""

import asyncpg
from pydantic_core import PydanticCustomError

from services.notifier import store
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


async def on_hub_registered(conn: asyncpg.Connection, event: Envelope, hub: HubRegistered) -> None:
    await conn.execute(store.HUB_UPSERT, event.hub, hub.name, hub.timezone)


async def on_product_listed(
    conn: asyncpg.Connection, event: Envelope, product: ProductListed
) -> None:
    await conn.execute(
        store.PRODUCT_UPSERT, event.hub, product.sku, product.name, product.unit_price
    )


async def on_producer_registered(
    conn: asyncpg.Connection, _event: Envelope, producer: ProducerRegistered | ProducerUpdated
) -> None:
    await store.add_recipient(
        conn,
        producer_key(producer.producer_id),
        "producer",
        producer.name,
        email=producer.email,
        phone=_mobile(producer.phone),
        language=producer.language,
        channel=producer.channel,
    )


async def on_producer_updated(
    conn: asyncpg.Connection, event: Envelope, producer: ProducerUpdated
) -> None:
    """An operator changed a producer's details: every message not yet routed (they take their
    address when routed) goes to the new phone or email, in the new language, by the new
    channel. Two edits of one producer handled out of order would leave the older one; the
    event's `updated_at` is there for when the recipients keep it."""
    await on_producer_registered(conn, event, producer)


async def on_order_placed(conn: asyncpg.Connection, _event: Envelope, order: OrderPlaced) -> None:
    buyer = order.buyer
    await store.add_recipient(
        conn,
        buyer_key(order.order_id),
        "buyer",
        buyer.name,
        email=buyer.email,
        phone=_mobile(buyer.phone),
        language=buyer.language,
        channel=buyer.channel,
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
