"""All of the allocator's SQL, a module per kind of row, and the unit of work that the use
cases write through (`unit_of_work.UnitOfWork`; `Work` is what they are typed against)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from services.allocator.rules.domain import Allocation, Claim, Fill, Lot, Policy
from services.allocator.rules.outlook import Counts, NewOrdersOutlook, Outlook
from services.allocator.rules.policies import PolicyRules
from services.allocator.store.days import Waiting
from shared.consumer import Event
from shared.events import DaySummarised, Envelope, OrderPlaced, SupplyReceived

Product = tuple[str, str]  # (hub, sku): a partition; its changes take turns under its lock


@dataclass(frozen=True)
class FillStart:
    """What a fill of one product starts from: the lots with stock (oldest first), the waiting
    (orders, units) per class, the active policy and the hub's today."""

    lots: list[Lot]
    totals: dict[str, Counts]
    policy: Policy
    today: date


@dataclass(frozen=True)
class FillRecord:
    """What one fill gives, to be written: the product, the fill and how its units are held."""

    hub: str
    sku: str
    fill: Fill
    policy_version: int
    hold_until: datetime
    draw_id: int | None
    day: date
    by_buyer: dict[str, int]


@dataclass(frozen=True)
class ExpiredHold:
    allocation: Allocation
    hold_until: datetime


class Work(Protocol):
    """The unit of work of one transaction: reads see every write held before them."""

    async def lock(self, products: Iterable[Product]) -> None: ...
    def touch(self, product: Product) -> None: ...
    def touched(self) -> set[Product]: ...
    def publish(self, *events: Envelope) -> None: ...
    async def flush(self) -> None: ...

    # hubs and lots
    def register_hub(self, hub: str, timezone: str) -> None: ...
    def add_lot(self, hub: str, supply: SupplyReceived) -> None: ...

    # the queue
    def arrive(self, product: Product, event: Event) -> None: ...
    def take_arrivals(self, product: Product) -> list[Event]: ...
    async def new_orders_outlook(
        self, hub: str, sku: str, classes: set[str]
    ) -> NewOrdersOutlook: ...
    async def counted_ahead(self, hub: str, sku: str, order: OrderPlaced) -> Counts: ...
    async def join(
        self, hub: str, sku: str, orders: list[OrderPlaced], told: dict[uuid.UUID, date | None]
    ) -> set[uuid.UUID]: ...
    def tell_estimates(self, moved: dict[uuid.UUID, date | None]) -> None: ...
    async def order_state(self, order_id: uuid.UUID) -> str | None: ...
    def remember_cancel(self, order_id: uuid.UUID, cancelled_at: datetime) -> None: ...
    def cancel(self, order_id: uuid.UUID, released: list[Allocation]) -> None: ...

    # holds
    async def release_held(self, order_id: uuid.UUID) -> list[Allocation]: ...
    def fulfil(self, order_id: uuid.UUID) -> None: ...
    async def expire_due(self, hub: str, sku: str, limit: int) -> list[ExpiredHold]: ...
    def forfeit(self, expired: list[Allocation]) -> None: ...

    # filling
    async def fill_start(self, hub: str, sku: str) -> FillStart | None: ...
    async def queue_head(
        self, hub: str, sku: str, priority_class: str, limit: int | None
    ) -> list[Claim]: ...
    async def taken_today(
        self, hub: str, sku: str, day: date, buyers: Iterable[str]
    ) -> dict[str, int]: ...
    async def add_draw(
        self, hub: str, sku: str, policy_version: int, seed: int, entrants: dict, units: int
    ) -> int: ...
    def record_fill(self, record: FillRecord) -> None: ...

    # policies
    async def add_policy(self, hub: str, sku: str, rules: PolicyRules) -> None: ...

    # the end of a hub's day
    async def day_figures(self, hub: str, sku: str, day: date) -> DaySummarised: ...
    async def record_summary(self, hub: str, summary: DaySummarised) -> bool: ...
    async def product_outlook(self, hub: str, sku: str) -> tuple[Policy, Outlook]: ...
    async def waiting_in_order(self, hub: str, sku: str) -> list[Waiting]: ...
