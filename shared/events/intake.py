"""What intake publishes: hubs, products, producers, and the supply they deliver."""

import uuid

from pydantic import AwareDatetime, EmailStr, Field

from shared.events.envelope import EventPayload
from shared.fields import Name, Sku, Units


class HubRegistered(EventPayload):
    """A hub (one PLUT) opened; its days start and end in `timezone` (an IANA name)."""

    type = "hub.registered"
    version = 1

    name: Name
    timezone: str


class ProductListed(EventPayload):
    type = "product.listed"
    version = 1

    product_id: uuid.UUID
    sku: Sku
    name: Name
    unit_price: int = Field(ge=1)


class ProducerRegistered(EventPayload):
    type = "producer.registered"
    version = 1

    producer_id: uuid.UUID
    name: Name
    regency: Name
    phone: str
    email: EmailStr | None = None


class SupplyReceived(EventPayload):
    """A delivery passed quality control; its accepted units are a lot the allocator can give."""

    type = "supply.received"
    version = 1

    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    rejected: Units
    accepted: Units
    received_at: AwareDatetime
