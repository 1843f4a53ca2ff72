"""Intake's use cases: each checks its references, writes its rows and its event in one
transaction, and answers what it wrote."""

import uuid

import asyncpg

from services.intake import store
from services.intake.models import (
    Delivery,
    Hub,
    NewDelivery,
    NewHub,
    NewProducer,
    NewProduct,
    Producer,
    Product,
)
from shared import outbox
from shared.events import (
    Envelope,
    HubRegistered,
    ProducerRegistered,
    ProductListed,
    SupplyReceived,
)
from shared.problems import Problem, Text, unknown_reference

HUB = Text("hub", "hub")
PRODUCT = Text("produk", "product")
PRODUCER = Text("produsen", "producer")
DELIVERY = Text("pengiriman", "delivery")


def conflict(what: Text, detail: Text) -> Problem:
    return Problem(
        409, "conflict", Text(f"{what.id} sudah ada", f"{what.en} already exists"), detail
    )


async def register_hub(conn: asyncpg.Connection, new: NewHub, correlation_id: str) -> Hub:
    """A hub opens; the other services learn its name and the time zone its days run in."""
    async with conn.transaction():
        row = await conn.fetchrow(store.HUB_INSERT, new.code, new.name, new.timezone)
        if row is None:
            raise conflict(
                HUB, Text(f"Kode '{new.code}' sudah dipakai", f"Code '{new.code}' is taken")
            )
        hub = Hub.model_validate(dict(row))
        event = HubRegistered(name=hub.name, timezone=hub.timezone)
        await outbox.add(conn, Envelope.wrap(event, hub=hub.code, correlation_id=correlation_id))
    return hub


async def list_product(conn: asyncpg.Connection, new: NewProduct, correlation_id: str) -> Product:
    async with conn.transaction():
        await _require_hub(conn, new.hub)
        row = await conn.fetchrow(
            store.PRODUCT_INSERT, uuid.uuid4(), new.hub, new.sku, new.name, new.unit_price
        )
        if row is None:
            raise conflict(
                PRODUCT,
                Text(
                    f"SKU '{new.sku}' sudah ada di hub ini", f"SKU '{new.sku}' exists in this hub"
                ),
            )
        product = Product.model_validate(dict(row))
        event = ProductListed(
            product_id=product.id, sku=product.sku, name=product.name, unit_price=product.unit_price
        )
        await outbox.add(conn, Envelope.wrap(event, hub=new.hub, correlation_id=correlation_id))
    return product


async def register_producer(
    conn: asyncpg.Connection, new: NewProducer, correlation_id: str
) -> Producer:
    async with conn.transaction():
        await _require_hub(conn, new.hub)
        row = await conn.fetchrow(
            store.PRODUCER_INSERT,
            uuid.uuid4(),
            new.hub,
            new.name,
            new.phone,
            new.regency,
            new.email,
            new.language,
            new.channel,
        )
        if row is None:
            raise conflict(
                PRODUCER,
                Text("Nomor telepon sudah terdaftar di hub ini", "Phone already registered here"),
            )
        producer = Producer.model_validate(dict(row))
        event = ProducerRegistered(
            producer_id=producer.id,
            name=producer.name,
            regency=producer.regency,
            phone=producer.phone,
            email=producer.email,
            language=producer.language,
            channel=producer.channel,
        )
        await outbox.add(conn, Envelope.wrap(event, hub=new.hub, correlation_id=correlation_id))
    return producer


async def record_delivery(
    conn: asyncpg.Connection, new: NewDelivery, correlation_id: str
) -> Delivery:
    """A producer's delivery after quality control: its accepted units become a lot."""
    async with conn.transaction():
        await _require_hub(conn, new.hub)
        producer = await conn.fetchrow(store.PRODUCER_BY_ID, new.producer_id)
        if producer is None or producer["hub"] != new.hub:
            raise unknown_reference("producer_id", PRODUCER, new.producer_id)
        if not await store.product_exists(conn, new.hub, new.sku):
            raise unknown_reference("sku", PRODUCT, new.sku)
        row = await conn.fetchrow(
            store.DELIVERY_INSERT,
            uuid.uuid4(),
            new.hub,
            new.producer_id,
            new.sku,
            new.quantity,
            new.rejected,
        )
        delivery = Delivery.model_validate(dict(row))
        event = SupplyReceived(
            delivery_id=delivery.id,
            producer_id=delivery.producer_id,
            sku=delivery.sku,
            quantity=delivery.quantity,
            rejected=delivery.rejected,
            accepted=delivery.accepted,
            received_at=delivery.received_at,
        )
        await outbox.add(conn, Envelope.wrap(event, hub=new.hub, correlation_id=correlation_id))
    return delivery


async def _require_hub(conn: asyncpg.Connection, hub: str) -> None:
    if not await store.hub_exists(conn, hub):
        raise unknown_reference("hub", HUB, hub)
