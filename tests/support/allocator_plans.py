"""Plans of the allocator's life, as Hypothesis draws them: batches of events as the bus brings
them, the clock's expiries, an operator's policies; and a Scenario that turns each drawn step
into the envelopes intake and the orders service would publish, remembering what it sent.
See tests/integration/test_allocator_sequences.py.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from shared.events import (
    Buyer,
    Envelope,
    EventPayload,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    SupplyReceived,
)
from shared.order_codes import new_order_code, shown

HUB = "kalteng-palangkaraya"  # registers no time zone: its days are Asia/Jakarta's
BUYERS = ("buyer-rina", "buyer-dinkes", "buyer-bank", "buyer-camat")
MORNING = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


# What a step does, as Hypothesis draws it. `pick`s choose among what exists when the step runs.
@dataclass(frozen=True)
class Supply:
    product: int
    accepted: int


@dataclass(frozen=True)
class Place:
    product: int
    quantity: int
    priority_class: str
    buyer: int
    accept_partial: bool
    held_back: bool  # placed now, but its event arrives only with a later Arrive (or at the end)


@dataclass(frozen=True)
class Arrive:
    pick: int  # a held-back order's event finally arrives


@dataclass(frozen=True)
class Cancel:
    pick: int
    early: bool  # of a held-back order: the cancel overtakes the order it cancels


@dataclass(frozen=True)
class Fulfil:
    pick: int  # of an order holding units


@dataclass(frozen=True)
class Duplicate:
    pick: int  # an event already delivered (or earlier in the same batch), delivered again


@dataclass(frozen=True)
class Batch:
    events: tuple


@dataclass(frozen=True)
class Redeliver:
    picks: tuple[int, ...]  # a batch of duplicates alone: it must change no table


@dataclass(frozen=True)
class Expire:
    picks: tuple[int, ...]  # held allocations whose time is up


@dataclass(frozen=True)
class LateOrdersArrive:
    """The last step of every plan: every held-back order's event arrives, five at a time."""


@dataclass(frozen=True)
class SetPolicy:
    product: int
    mode: str
    cap: int | None
    classes: tuple[tuple[str, int], ...]  # (class, reserve percent), in priority order


@dataclass
class Scenario:
    """The events sent so far, and what the allocator's tables must therefore hold."""

    skus: tuple[str, ...]
    sent: list[Envelope] = field(default_factory=list)
    held_back: list[Envelope] = field(default_factory=list)
    placed: dict[uuid.UUID, str] = field(default_factory=dict)  # order id -> sku, arrived
    cancelled: set[uuid.UUID] = field(default_factory=set)  # whose cancel arrived
    lots: dict[uuid.UUID, int] = field(default_factory=dict)  # delivery id -> accepted
    sequence: int = 0

    def sku(self, product: int) -> str:
        return self.skus[product % len(self.skus)]

    def resolve(self, kinds: tuple, holding: list[asyncpg.Record]) -> list[Envelope]:
        """The envelopes of a batch; kinds with nothing to act on yet are left out."""
        batch: list[Envelope] = []
        for kind in kinds:
            envelope = self._envelope(kind, holding, batch)
            if envelope is not None:
                batch.append(envelope)
        return batch

    def _envelope(self, kind, holding: list, batch: list[Envelope]) -> Envelope | None:
        match kind:
            case Supply(product, accepted):
                return wrap(
                    SupplyReceived(
                        delivery_id=uuid.uuid4(),
                        producer_id=uuid.uuid4(),
                        sku=self.sku(product),
                        quantity=accepted + 2,
                        rejected=2,
                        accepted=accepted,
                        received_at=datetime.now(UTC),
                    )
                )
            case Place(product, quantity, priority_class, buyer, accept_partial, held_back):
                self.sequence += 1
                order = wrap(
                    OrderPlaced(
                        code=shown(new_order_code()),
                        order_id=uuid.uuid4(),
                        sku=self.sku(product),
                        quantity=quantity,
                        placed_at=MORNING + timedelta(minutes=self.sequence),
                        sequence=self.sequence,
                        buyer=Buyer(name="Pembeli", type="individual", region="Sampit"),
                        buyer_key=BUYERS[buyer],
                        priority_class=priority_class,
                        accept_partial=accept_partial,
                    )
                )
                if held_back:
                    self.held_back.append(order)
                    return None
                return order
            case Arrive(pick):
                return self.held_back.pop(pick % len(self.held_back)) if self.held_back else None
            case Cancel(pick, early):
                if early and self.held_back:
                    target = self.held_back[pick % len(self.held_back)].payload
                else:
                    known = [e.payload for e in [*self.sent, *batch] if e.type == "order.placed"]
                    if not known:
                        return None
                    target = known[pick % len(known)]
                return wrap(
                    OrderCancelled(
                        order_id=target["order_id"],
                        sku=target["sku"],
                        cancelled_at=datetime.now(UTC),
                    )
                )
            case Fulfil(pick):
                if not holding:
                    return None
                order = holding[pick % len(holding)]
                return wrap(
                    OrderFulfilled(
                        order_id=order["order_id"],
                        sku=order["sku"],
                        quantity=order["held"],
                        fulfilled_total=order["fulfilled"] + order["held"],
                        fulfilled_at=datetime.now(UTC),
                    )
                )
            case Duplicate(pick):
                earlier = [*self.sent, *batch]
                return earlier[pick % len(earlier)] if earlier else None
        raise AssertionError(f"unknown kind {kind}")

    def delivered(self, batch: list[Envelope]) -> None:
        """Remember a committed batch: what the tables must now show."""
        for envelope in batch:
            payload = envelope.payload
            if envelope.type == "supply.received":
                self.lots[uuid.UUID(payload["delivery_id"])] = payload["accepted"]
            elif envelope.type == "order.placed":
                self.placed[uuid.UUID(payload["order_id"])] = payload["sku"]
            elif envelope.type == "order.cancelled":
                self.cancelled.add(uuid.UUID(payload["order_id"]))
        self.sent.extend(batch)


def wrap(payload: EventPayload) -> Envelope:
    return Envelope.wrap(payload, hub=HUB, correlation_id=f"seq-{uuid.uuid4().hex[:8]}")
