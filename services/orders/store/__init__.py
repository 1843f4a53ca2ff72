"""Every SQL statement of the orders service, a module per kind of row, and the unit of work
(unit_of_work.py) that writes what the use cases held, a statement per kind.

Below: the unit of work as the use cases (handlers.py) see it, which the real one and the tests'
fake (tests/unit/orders) both are. Only what the use cases need.
"""

import uuid
from datetime import date, datetime
from typing import Any, Protocol

from services.orders.domain import Claim, PlacedOrder
from services.orders.history import Kind as HistoryKind
from services.orders.models import NewOrder, Order
from services.orders.programmes.rules import Budget, Terms
from services.orders.windows import Decision
from shared.events import Envelope


class Orders(Protocol):
    async def add(
        self, order_id: uuid.UUID, new: NewOrder, priority_class: str, partner_id: uuid.UUID | None
    ) -> PlacedOrder | None: ...
    async def locked(self, order_id: uuid.UUID, partner_id: uuid.UUID | None) -> Order | None: ...
    async def cancel(self, order_id: uuid.UUID) -> Order: ...
    async def fulfil(self, order_id: uuid.UUID) -> Order: ...
    def change(
        self,
        kind: str,
        order_id: uuid.UUID,
        units: int,
        hold_until: datetime | None,
        at: datetime,
        detail: dict[str, Any],
    ) -> None: ...


class Keys(Protocol):
    async def claim(self, owner: str, key: str | None, hub: str, sku: str) -> Claim: ...
    def store(self, owner: str, key: str, request_hash: str, status: int, body: str) -> None: ...


class Catalog(Protocol):
    def listed(
        self, hub: str, sku: str, product_id: uuid.UUID, name: str, unit_price: int
    ) -> None: ...
    async def has_hub(self, hub: str) -> bool: ...


class History(Protocol):
    def add(
        self,
        order_id: uuid.UUID,
        at: datetime,
        kind: HistoryKind,
        units: int | None = None,
        **detail: Any,
    ) -> None: ...


class Windows(Protocol):
    async def take(self, hub: str, sku: str, quantity: int, buyer_type: str) -> Decision: ...


class Programmes(Protocol):
    async def locked(self, programme_id: uuid.UUID) -> tuple[Terms, date] | None: ...
    async def budget(self, terms: Terms) -> Budget: ...
    async def recipient(self, programme_id: uuid.UUID, recipient: str) -> tuple[bool, int]: ...
    async def enter(
        self,
        order_id: uuid.UUID,
        programme_id: uuid.UUID,
        recipient: str,
        unit_price: int,
        ticket: str,
    ) -> PlacedOrder | None: ...
    async def waiting(self, programme_id: uuid.UUID) -> list[PlacedOrder]: ...
    async def admit(self, order_ids: list[uuid.UUID]) -> list[PlacedOrder]: ...
    async def record_draw(self, *columns: Any) -> Any: ...
    def returned(self, order_id: uuid.UUID) -> None: ...
    async def programmes_returned(self) -> list[uuid.UUID]: ...


class UnitOfWork(Protocol):
    orders: Orders
    programmes: Programmes
    keys: Keys
    windows: Windows
    catalog: Catalog
    history: History

    def publish(self, *events: Envelope) -> None: ...
    async def flush(self) -> None: ...
