"""What the allocator publishes: where orders stand, what they were given and why, and each
day's summary.

Every grant of units names the `rule` that made it (see `services/allocator/rules/domain.py`):
`fifo`, `fair_share`, `lottery`, each optionally prefixed `reserve:` when the units came from
a class's reserved share.
"""

import uuid
from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.envelope import EventPayload
from shared.events.orders import ProgrammeShare
from shared.fields import PriorityClass, Sku, Units


class LotShare(BaseModel):
    """Units of one delivery (lot), so every allocated unit traces back to its producer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: uuid.UUID
    producer_id: uuid.UUID
    quantity: int = Field(ge=1)


class OrderQueued(EventPayload):
    """The allocator took the order into the queue; `position` 1 is the head.

    `estimated_date` (in the hub's time zone) is when the order should be served, from the
    units ahead of it and the hub's recent daily supply; None while there is no supply to go by.
    """

    type = "order.queued"
    version = 2

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    priority_class: PriorityClass
    position: int = Field(ge=1)
    units_ahead: Units
    estimated_date: date | None


class OrderQueuedV1(EventPayload):
    type = "order.queued"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    position: int = Field(ge=1)
    units_ahead: Units

    def upgraded(self) -> OrderQueued:
        return OrderQueued(**self.model_dump(), priority_class="public", estimated_date=None)


class OrderEstimateMoved(EventPayload):
    """A waiting order's estimated date moved by a day or more since the buyer was last told."""

    type = "order.estimate_moved"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    position: int = Field(ge=1)
    units_ahead: Units
    estimated_date: date | None
    previous_date: date | None


class OrderAllocated(EventPayload):
    """Units given to an order by one rule; `allocated_total` counts all it holds so far.

    The units are held for the buyer until `hold_until`; uncollected by then, they expire.
    `draw_seed` is set when a lottery chose the order: with the draw's entrants it reproduces
    the result.
    """

    type = "order.allocated"
    version = 3

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    allocated_total: Units
    requested: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)
    rule: str = Field(min_length=1, max_length=64)
    policy_version: int = Field(ge=0)
    hold_until: AwareDatetime | None
    draw_seed: int | None = None
    # Set when a free-mask programme pays for the order (from its order.placed).
    programme: ProgrammeShare | None = None


class OrderAllocatedV2(EventPayload):
    """Before free-mask programmes paid for orders."""

    type = "order.allocated"
    version = 2

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    allocated_total: Units
    requested: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)
    rule: str = Field(min_length=1, max_length=64)
    policy_version: int = Field(ge=0)
    hold_until: AwareDatetime | None
    draw_seed: int | None = None

    def upgraded(self) -> OrderAllocated:
        return OrderAllocated(**self.model_dump(), programme=None)


class OrderAllocatedV1(EventPayload):
    type = "order.allocated"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    allocated_total: Units
    requested: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)

    def upgraded(self) -> OrderAllocated:
        return OrderAllocatedV2(
            **self.model_dump(), rule="fifo", policy_version=0, hold_until=None
        ).upgraded()


class OrderReleased(EventPayload):
    """A cancelled order's units went back to their lots, for the next orders in line."""

    type = "order.released"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)


class OrderExpired(EventPayload):
    """Held units nobody collected by `hold_until` went back to their lots, for the next in
    line; the order keeps waiting for any units it was still owed."""

    type = "order.expired"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    lots: tuple[LotShare, ...] = Field(min_length=1)
    hold_until: AwareDatetime


class DaySummarised(EventPayload):
    """One product's day at a hub, from midnight to midnight in the hub's `timezone`."""

    type = "day.summarised"
    version = 1

    day: date
    timezone: str
    sku: Sku
    received: Units
    allocated: Units
    fulfilled: Units
    expired: Units
    waiting_units: Units
    waiting_orders: Units
    buyers_unserved: Units
