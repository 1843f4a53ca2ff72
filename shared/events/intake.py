"""What intake publishes: hubs, products, producers, and the supply they deliver."""

import uuid

from pydantic import AwareDatetime, EmailStr, Field

from shared.events.envelope import EventPayload
from shared.fields import ChannelName, Language, RecordedName, Sku, Units


class HubRegistered(EventPayload):
    """A hub (one PLUT) opened; its days start and end in `timezone` (an IANA name)."""

    type = "hub.registered"
    version = 1

    name: RecordedName
    timezone: str


class ProductListed(EventPayload):
    type = "product.listed"
    version = 1

    product_id: uuid.UUID
    sku: Sku
    name: RecordedName
    unit_price: int = Field(ge=1)


class ProducerRegistered(EventPayload):
    """A producer, and how they want to be told (see `shared.fields`)."""

    type = "producer.registered"
    version = 2

    producer_id: uuid.UUID
    name: RecordedName
    regency: RecordedName
    phone: str
    email: EmailStr | None = None
    language: Language = "id"
    channel: ChannelName | None = None


class ProducerRegisteredV1(EventPayload):
    """Before producers said in which language and on which channel to be told."""

    type = "producer.registered"
    version = 1

    producer_id: uuid.UUID
    name: RecordedName
    regency: RecordedName
    phone: str
    email: EmailStr | None = None

    def upgraded(self) -> ProducerRegistered:
        # The hub's defaults: Bahasa Indonesia, on the hub's own order of channels.
        return ProducerRegistered(**self.model_dump(), language="id", channel=None)


class ProducerUpdated(EventPayload):
    """An operator changed a producer's details: the whole record as it now is, so a reader
    upserts it without knowing what was there before. `updated_at` orders edits of one producer.
    """

    type = "producer.updated"
    version = 1

    producer_id: uuid.UUID
    name: RecordedName
    regency: RecordedName
    phone: str
    email: EmailStr | None = None
    language: Language = "id"
    channel: ChannelName | None = None
    updated_at: AwareDatetime


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
