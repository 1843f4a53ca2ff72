"""What a status callback carries to a partner, and how the partner's API lists them."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from typing_extensions import TypeAliasType

from services.orders.models import OrderStatus

# Named: one schema for the state a callback is in and the one a partner asks for.
CallbackState = TypeAliasType("CallbackState", Literal["pending", "delivered", "failed"])


class OrderAtChange(BaseModel):
    """The order's counts the moment its status changed (see GET /v1/orders/{id})."""

    id: uuid.UUID
    hub: str
    sku: str
    quantity: int
    status: OrderStatus
    allocated: int
    fulfilled: int
    expired: int
    waiting: int
    hold_until: datetime | None
    accept_partial: bool
    priority_class: str
    buyer_reference: str | None  # the partner's own reference for the buyer, when it gave one
    placed_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    # An occurrence of a standing order: the series and which occurrence (else none).
    standing_order_id: uuid.UUID | None = None
    occurrence: int | None = None


class StatusChanged(BaseModel):
    """The body POSTed to the partner's callback_url. `id` stays the same on every retry and
    replay, so the partner can drop one it already has; `created_at` tells which of two
    callbacks of an order is the later, as they may arrive out of order."""

    id: uuid.UUID
    type: Literal["order.status_changed"] = "order.status_changed"
    created_at: datetime
    previous_status: OrderStatus
    order: OrderAtChange


class CallbackRecord(BaseModel):
    """A callback as `GET /v1/callbacks` lists it: what was sent and how delivering it went."""

    id: uuid.UUID
    partner_id: uuid.UUID
    order_id: uuid.UUID
    previous_status: OrderStatus
    status: OrderStatus
    state: CallbackState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None  # only while pending
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    order: OrderAtChange
