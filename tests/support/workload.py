"""A busy day for several hubs and products, as the allocator's events, from a seed.

Orders arrive in the order they were placed; deliveries land among them; a few cancels overtake
their orders on the bus; a few events come twice (the same envelope, as a relay that lost a
confirm sends it). The same seed always gives the same events, ids included.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from shared.events import (
    CLASS_OF_BUYER_TYPE,
    Buyer,
    Envelope,
    EventPayload,
    HubRegistered,
    OrderCancelled,
    OrderPlaced,
    SupplyReceived,
)
from shared.order_codes import new_order_code, shown
from shared.partitions import PARTITIONS, partition_of

Product = tuple[str, str]

MORNING = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
BUYER_TYPES = ("individual", "health_facility", "agency", "bank", "business")
BUYER_TYPE_WEIGHTS = (80, 8, 7, 3, 2)  # so the queue is mostly public, some health and agency
REGIONS = ("Palangka Raya", "Sampit", "Banjarmasin", "Balikpapan", "Surabaya", "Makassar")


@dataclass
class Workload:
    events: list[Envelope] = field(default_factory=list)  # in publishing order, duplicates too
    orders: dict[uuid.UUID, tuple[Product, OrderPlaced]] = field(default_factory=dict)
    lots: dict[uuid.UUID, tuple[Product, SupplyReceived]] = field(default_factory=dict)
    cancelled: set[uuid.UUID] = field(default_factory=set)
    cancelled_early: set[uuid.UUID] = field(default_factory=set)  # published before the order

    @property
    def distinct_ids(self) -> set[uuid.UUID]:
        return {event.id for event in self.events}

    def expected_allocated(self) -> dict[Product, int]:
        """Per product, what fifo gives in the end: all the stock, or all the live demand."""
        accepted: dict[Product, int] = {}
        demand: dict[Product, int] = {}
        for product, supply in self.lots.values():
            accepted[product] = accepted.get(product, 0) + supply.accepted
        for order_id, (product, order) in self.orders.items():
            live = 0 if order_id in self.cancelled else order.quantity
            demand[product] = demand.get(product, 0) + live
        return {p: min(accepted.get(p, 0), demand.get(p, 0)) for p in accepted | demand}


def busy_day(
    *,
    seed: int,
    products: list[Product],
    order_shares: list[int],
    orders: int,
    deliveries: int,
    buyers: int,
    cancel_ratio: float,
    duplicates: int,
) -> Workload:
    """`orders` orders spread over `products` by `order_shares`; `deliveries` lots spread evenly.

    A position on a timeline decides when each event is published: order i at i, a delivery
    anywhere, a cancel up to 3,000 orders after its order, or (a quarter of them) 1,000 to 2,000
    orders before it, so that the cancel is handled in an earlier batch than its order.
    """
    rng = random.Random(seed)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def at(position: float) -> datetime:
        return MORNING + timedelta(seconds=2 * max(position, 0))

    def envelope(payload: EventPayload, hub: str, position: float) -> Envelope:
        return Envelope(
            id=new_id(),
            type=payload.type,
            version=payload.version,
            occurred_at=at(position),
            hub=hub,
            correlation_id=f"busy-day-{rng.getrandbits(40):010x}",
            payload=payload.model_dump(mode="json"),
        )

    work = Workload()
    timeline: list[tuple[float, Envelope]] = []
    for hub in sorted({hub for hub, _ in products}):
        registered = HubRegistered(name=f"PLUT {hub}", timezone="Asia/Jakarta")
        timeline.append((-1.0, envelope(registered, hub, 0)))
    pool = [
        Buyer(
            name=f"Pembeli {n}",
            type=rng.choices(BUYER_TYPES, BUYER_TYPE_WEIGHTS)[0],
            region=rng.choice(REGIONS),
            reference=f"buyer-{n}",
        )
        for n in range(buyers)
    ]
    for position in range(orders):
        hub, sku = rng.choices(products, order_shares)[0]
        buyer = rng.choice(pool)
        order_id = new_id()
        order = OrderPlaced(
            code=shown(new_order_code()),
            order_id=order_id,
            sku=sku,
            quantity=rng.randint(1, 20),
            placed_at=at(position),
            sequence=position + 1,
            buyer=buyer,
            buyer_key=buyer.key(order_id),
            priority_class=CLASS_OF_BUYER_TYPE[buyer.type],
            accept_partial=rng.random() < 0.85,
        )
        work.orders[order_id] = ((hub, sku), order)
        timeline.append((position, envelope(order, hub, position)))
        if rng.random() < cancel_ratio:
            early = rng.random() < 0.25 and position >= 2_000
            when = (
                position - rng.uniform(1_000, 2_000)
                if early
                else position + rng.uniform(0.5, 3_000)
            )
            cancel = OrderCancelled(order_id=order_id, sku=sku, cancelled_at=at(when))
            timeline.append((when, envelope(cancel, hub, when)))
            work.cancelled.add(order_id)
            if early:
                work.cancelled_early.add(order_id)
    for n in range(deliveries):
        hub, sku = products[n] if n < len(products) else rng.choice(products)
        when = rng.uniform(0, orders)
        accepted, rejected = rng.randint(20, 200), rng.randint(0, 10)
        supply = SupplyReceived(
            delivery_id=new_id(),
            producer_id=new_id(),
            sku=sku,
            quantity=accepted + rejected,
            rejected=rejected,
            accepted=accepted,
            received_at=at(when),
        )
        work.lots[supply.delivery_id] = ((hub, sku), supply)
        timeline.append((when, envelope(supply, hub, when)))
    for position, event in rng.sample(timeline, duplicates):
        timeline.append((position + rng.uniform(0.1, 2_000), event))
    timeline.sort(key=lambda entry: entry[0])
    work.events = [event for _, event in timeline]
    return work


def one_product_per_partition(hubs: tuple[str, ...]) -> list[Product]:
    """A product in each of the allocator's partitions (shared/partitions.py), the hubs taken in
    turn: so every replica owns some partition with work in it, whichever it is given."""
    products: list[Product] = []
    for partition in range(PARTITIONS):
        hub = hubs[partition % len(hubs)]
        sku = next(f"masker-{n}" for n in count() if partition_of(hub, f"masker-{n}") == partition)
        products.append((hub, sku))
    return products
