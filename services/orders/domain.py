"""What the orders service's use cases decide with: plain data, no I/O."""

import uuid
from dataclasses import dataclass

from services.orders.models import NewOrder, Order
from shared.events import CLASS_OF_BUYER_TYPE, Envelope, OrderPlaced, ProgrammeShare


@dataclass(frozen=True)
class PlaceOrder:
    """One order to place, as one request asked: `key` None for the operator without a key."""

    new: NewOrder
    partner_id: uuid.UUID | None
    correlation_id: str
    owner: str  # whose idempotency keys they are
    key: str | None
    request_hash: str


@dataclass(frozen=True)
class Claim:
    """An idempotency key as its claim found it: `locked` False while another request holds it;
    a first answer stored under it, if any, with the hash of the request it answered."""

    locked: bool
    request_hash: str | None = None
    status: int | None = None
    body: str | None = None


@dataclass(frozen=True)
class PlacedOrder:
    """An order as stored: its answer, and its place among equal times in the queue."""

    order: Order
    sequence: int


def priority_class_of(new: NewOrder) -> str:
    """The operator's choice, or the class the buyer's type gives."""
    return new.priority_class or CLASS_OF_BUYER_TYPE[new.buyer.type]


def placed_event(
    placed: PlacedOrder, correlation_id: str, programme: ProgrammeShare | None = None
) -> Envelope:
    """The order's order.placed, which puts it in the allocator's queue: an ordinary order's at
    once, a programme's application's once it is admitted (`programme` paying for it)."""
    order = placed.order
    event = OrderPlaced(
        order_id=order.id,
        code=order.code,
        sku=order.sku,
        quantity=order.quantity,
        placed_at=order.placed_at,
        sequence=placed.sequence,
        buyer=order.buyer,
        buyer_key=order.buyer.key(order.id),
        priority_class=order.priority_class,
        accept_partial=order.accept_partial,
        programme=programme,
    )
    return Envelope.wrap(event, hub=order.hub, correlation_id=correlation_id)
