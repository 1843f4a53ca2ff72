"""Intake's use cases: each checks its references, writes its rows and its event in one
transaction, and answers what it wrote."""

import uuid

import asyncpg
from pydantic import ValidationError

from services.intake import store
from services.intake.models import (
    Delivery,
    Hub,
    HubChanges,
    HubDetails,
    NewDelivery,
    NewHub,
    NewProducer,
    NewProduct,
    Producer,
    ProducerChanges,
    ProducerDetails,
    Product,
)
from shared import outbox
from shared.events import (
    Envelope,
    HubRegistered,
    ProducerRegistered,
    ProducerUpdated,
    ProductListed,
    SupplyReceived,
)
from shared.problems import (
    FieldError,
    Kind,
    Problem,
    Text,
    from_validation_error,
    not_found,
    unknown_reference,
)

HUB = Text("hub", "hub")
PRODUCT = Text("produk", "product")
PRODUCER = Text("produsen", "producer")
DELIVERY = Text("pengiriman", "delivery")


PHONE_TAKEN = Kind(
    409,
    "phone-taken",
    Text("Nomor telepon sudah dipakai produsen lain", "Phone taken by another producer"),
)


def phone_taken(phone: str) -> FieldError:
    return FieldError(
        "phone",
        "phone_taken",
        Text(
            f"{phone} sudah terdaftar untuk produsen lain di hub ini",
            f"{phone} is registered to another producer of this hub",
        ),
    )


def conflict(what: Text, detail: Text) -> Problem:
    return Problem(
        409,
        "conflict",
        Text(f"{what.indonesian} sudah ada", f"{what.english} already exists"),
        detail,
    )


async def register_hub(conn: asyncpg.Connection, new: NewHub, correlation_id: str) -> Hub:
    """A hub opens; the other services learn its name and the time zone its days run in."""
    async with conn.transaction():
        row = await conn.fetchrow(
            store.HUB_INSERT, new.code, new.name, new.timezone, *hub_detail_columns(new)
        )
        if row is None:
            raise conflict(
                HUB, Text(f"Kode '{new.code}' sudah dipakai", f"Code '{new.code}' is taken")
            )
        hub = Hub.model_validate(dict(row))
        event = HubRegistered(name=hub.name, timezone=hub.timezone)
        await outbox.add(conn, Envelope.wrap(event, hub=hub.code, correlation_id=correlation_id))
    return hub


async def update_hub(conn: asyncpg.Connection, code: str, changes: HubChanges) -> Hub:
    """An operator sets where a hub is, when it opens and whether the site takes orders there.
    No event: no other service keeps these; the site reads them from here."""
    async with conn.transaction():
        row = await conn.fetchrow(store.HUB_FOR_UPDATE, code)
        if row is None:
            raise not_found(HUB, code)
        current = Hub.model_validate(dict(row))
        stored = HubDetails.model_construct(
            address=current.address,
            opening_hours=current.opening_hours,
            takes_site_orders=current.takes_site_orders,
        )
        try:
            details = HubDetails.model_validate(changes.applied_to(stored))
        except ValidationError as error:
            raise from_validation_error(error) from None
        if details == stored:
            return current
        row = await conn.fetchrow(store.HUB_UPDATE, code, *hub_detail_columns(details))
    return Hub.model_validate(dict(row))


def hub_detail_columns(details: HubDetails) -> tuple:
    """The details in the order of hubs' columns after the time zone."""
    hours = [period.model_dump() for period in details.opening_hours]
    return details.address, hours, details.takes_site_orders


async def list_product(conn: asyncpg.Connection, new: NewProduct, correlation_id: str) -> Product:
    async with conn.transaction():
        await require_hub(conn, new.hub)
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
        await require_hub(conn, new.hub)
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


async def update_producer(
    conn: asyncpg.Connection,
    producer_id: uuid.UUID,
    changes: ProducerChanges,
    correlation_id: str,
) -> Producer:
    """An operator corrects a producer's details; the whole record goes out as an event, so
    later messages reach the producer as they now are. Nothing changed, nothing is announced."""
    async with conn.transaction():
        row = await conn.fetchrow(store.PRODUCER_FOR_UPDATE, producer_id)
        if row is None:
            raise not_found(PRODUCER, producer_id)
        current = Producer.model_validate(dict(row))
        stored = ProducerDetails.model_construct(**current.model_dump(include=_DETAILS))
        try:
            details = ProducerDetails.model_validate(changes.applied_to(stored))
        except ValidationError as error:
            raise from_validation_error(error) from None
        if details == stored:
            return current
        try:
            row = await conn.fetchrow(store.PRODUCER_UPDATE, producer_id, *detail_columns(details))
        except asyncpg.UniqueViolationError:
            raise PHONE_TAKEN.problem(errors=[phone_taken(details.phone)]) from None
        producer = Producer.model_validate(dict(row))
        event = ProducerUpdated(
            producer_id=producer.id,
            **producer.model_dump(include=_DETAILS),
            updated_at=producer.updated_at,
        )
        envelope = Envelope.wrap(event, hub=producer.hub, correlation_id=correlation_id)
        await outbox.add(conn, envelope)
    return producer


_DETAILS = set(ProducerDetails.model_fields)


def detail_columns(details: ProducerDetails) -> tuple:
    """The details in the order of producers' columns after hub."""
    return (
        details.name,
        details.phone,
        details.regency,
        details.email,
        details.language,
        details.channel,
    )


async def record_delivery(
    conn: asyncpg.Connection, new: NewDelivery, correlation_id: str
) -> Delivery:
    """A producer's delivery after quality control: its accepted units become a lot."""
    async with conn.transaction():
        await require_hub(conn, new.hub)
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


async def require_hub(conn: asyncpg.Connection, hub: str) -> None:
    if not await store.hub_exists(conn, hub):
        raise unknown_reference("hub", HUB, hub)
