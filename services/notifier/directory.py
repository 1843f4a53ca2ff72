"""What the notifier learns from events so its messages read well: each hub's time zone, product
names, and the people to tell (producers, and the buyer of each order)."""

import asyncpg

from services.notifier import store
from services.notifier.store import buyer_key, producer_key
from shared.events import Envelope, HubRegistered, OrderPlaced, ProducerRegistered, ProductListed


async def on_hub_registered(conn: asyncpg.Connection, event: Envelope, hub: HubRegistered) -> None:
    await conn.execute(store.HUB_UPSERT, event.hub, hub.name, hub.timezone)


async def on_product_listed(
    conn: asyncpg.Connection, event: Envelope, product: ProductListed
) -> None:
    await conn.execute(store.PRODUCT_UPSERT, event.hub, product.sku, product.name)


async def on_producer_registered(
    conn: asyncpg.Connection, _event: Envelope, producer: ProducerRegistered
) -> None:
    await store.add_recipient(
        conn,
        producer_key(producer.producer_id),
        "producer",
        producer.name,
        producer.email,
        producer.phone,
    )


async def on_order_placed(conn: asyncpg.Connection, _event: Envelope, order: OrderPlaced) -> None:
    buyer = order.buyer
    await store.add_recipient(
        conn, buyer_key(order.order_id), "buyer", buyer.name, buyer.email, buyer.phone
    )
