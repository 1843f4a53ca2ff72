"""The event contract: one envelope, one frozen pydantic model per event type and version.

An event's routing key on the exchange is its type. Changing a payload means a new version
(a new model with the same `type` and `version + 1`), never an edit of an existing one:
consumers reject a version they do not know, so nothing is silently misread.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from shared.fields import HubCode, Name, Sku, Units


class EventPayload(BaseModel):
    """Base of every payload model; subclasses name their `type` and `version`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]
    version: ClassVar[int]
    registry: ClassVar[dict[tuple[str, int], type["EventPayload"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        key = (cls.type, cls.version)
        if key in EventPayload.registry:
            raise TypeError(f"event {key} is defined twice")
        EventPayload.registry[key] = cls


class Envelope(BaseModel):
    """What travels on the bus: identity and causality around a typed payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    type: str
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    hub: HubCode
    correlation_id: str = Field(min_length=1, max_length=64)
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        hub: str,
        correlation_id: str,
        causation_id: uuid.UUID | None = None,
    ) -> Self:
        """A new event, as the first effect of a request or as the effect of another event."""
        return cls(
            id=uuid.uuid4(),
            type=payload.type,
            version=payload.version,
            occurred_at=datetime.now(UTC),
            hub=hub,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload.model_dump(mode="json"),
        )

    def follow(self, payload: EventPayload) -> "Envelope":
        """An event caused by this one: same hub and correlation, this event as its cause."""
        return Envelope.wrap(
            payload, hub=self.hub, correlation_id=self.correlation_id, causation_id=self.id
        )

    def read(self) -> EventPayload:
        """The payload as its model; raises `UnknownEvent` or a pydantic `ValidationError`."""
        model = EventPayload.registry.get((self.type, self.version))
        if model is None:
            raise UnknownEvent(f"no model for event {self.type!r} version {self.version}")
        return model.model_validate(self.payload)


class UnknownEvent(ValueError):
    """An event type or version this code does not know."""


# --- intake -----------------------------------------------------------------------------------


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


# --- orders -----------------------------------------------------------------------------------

BuyerType = Literal["individual", "agency", "bank", "business"]


class Buyer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    type: BuyerType
    region: Name
    phone: str | None = None
    email: EmailStr | None = None


class OrderPlaced(EventPayload):
    """`placed_at` then `sequence` (assigned by the orders database) order the queue."""

    type = "order.placed"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    placed_at: AwareDatetime
    sequence: int = Field(ge=1)
    buyer: Buyer


class OrderCancelled(EventPayload):
    type = "order.cancelled"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    cancelled_at: AwareDatetime


# --- allocator --------------------------------------------------------------------------------


class LotShare(BaseModel):
    """Units of one delivery (lot), so every allocated unit traces back to its producer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    quantity: int = Field(ge=1)


class OrderQueued(EventPayload):
    """The allocator took the order into the queue; `position` 1 is the head."""

    type = "order.queued"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    position: int = Field(ge=1)
    units_ahead: Units


class OrderAllocated(EventPayload):
    """Units given to an order by one allocation; `allocated_total` counts all so far."""

    type = "order.allocated"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    allocated_total: Units
    requested: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)


class OrderReleased(EventPayload):
    """A cancelled order's units went back to their lots, for the next orders in line."""

    type = "order.released"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)


# --- notifier ---------------------------------------------------------------------------------


class NotificationSent(EventPayload):
    type = "notification.sent"
    version = 1

    message_id: uuid.UUID
    template: str
    channel: str
    order_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None


class NotificationFailed(EventPayload):
    type = "notification.failed"
    version = 1

    message_id: uuid.UUID
    template: str
    channel: str
    reason: str
    order_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None
