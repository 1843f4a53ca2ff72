"""Events as intake and the orders service would publish them, for driving one consumer."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.events import (
    Buyer,
    DaySummarised,
    Envelope,
    LotShare,
    OrderAllocated,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    OrderPlacedV4,
    ProgrammeNotDrawn,
    ProgrammeShare,
    SupplyReceived,
)
from shared.order_codes import new_order_code, shown

SKU = "masker-kain"
# 07.00 UTC: 14.00 WIB, 15.00 WITA.
HOLD_UNTIL = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
_sequence = itertools.count(1)
_clock = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def supply(hub: str, accepted: int, *, rejected: int = 0, producer_id=None) -> Envelope:
    return Envelope.wrap(
        SupplyReceived(
            delivery_id=uuid.uuid4(),
            producer_id=producer_id or uuid.uuid4(),
            sku=SKU,
            quantity=accepted + rejected,
            rejected=rejected,
            accepted=accepted,
            received_at=datetime.now(UTC),
        ),
        hub=hub,
        correlation_id=f"test-supply-{uuid.uuid4().hex[:6]}",
    )


def placed(
    hub: str,
    quantity: int,
    *,
    email: str | None = None,
    phone: str | None = None,
    language: str = "id",
    channel: str | None = None,
    minutes: int = 0,
    buyer_key: str | None = None,
    priority_class: str = "public",
    accept_partial: bool = True,
    name: str = "Bu Rina",
    programme: ProgrammeShare | None = None,
) -> Envelope:
    """An order placed `minutes` after a fixed morning; the sequence always grows. Each order is
    its own buyer unless `buyer_key` says otherwise; a programme pays for it if one is given."""
    return Envelope.wrap(
        OrderPlaced(
            code=shown(new_order_code()),
            order_id=uuid.uuid4(),
            sku=SKU,
            quantity=quantity,
            placed_at=_clock + timedelta(minutes=minutes),
            sequence=next(_sequence),
            buyer=Buyer(
                name=name,
                type="individual",
                region="Sampit",
                email=email,
                phone=phone,
                language=language,
                channel=channel,
            ),
            buyer_key=buyer_key or uuid.uuid4().hex,
            priority_class=priority_class,
            accept_partial=accept_partial,
            programme=programme,
        ),
        hub=hub,
        correlation_id=f"test-order-{uuid.uuid4().hex[:6]}",
    )


def placed_v4(hub: str, quantity: int, *, minutes: int = 0) -> Envelope:
    """An order as the orders service announced it before programmes (order.placed v4)."""
    order = placed(hub, quantity, minutes=minutes).read()
    return Envelope.wrap(
        OrderPlacedV4(**order.model_dump(exclude={"programme"})),
        hub=hub,
        correlation_id=f"test-order-{uuid.uuid4().hex[:6]}",
    )


def cancelled(order: Envelope) -> Envelope:
    return Envelope.wrap(
        OrderCancelled(order_id=order.payload["order_id"], sku=SKU, cancelled_at=datetime.now(UTC)),
        hub=order.hub,
        correlation_id=order.correlation_id,
    )


def allocation_of(
    order: Envelope, quantity: int, producer_id: uuid.UUID, hold_until: datetime | None = None
) -> Envelope:
    """The allocator's answer to `order`: `quantity` units from one lot of `producer_id`."""
    return order.follow(
        OrderAllocated(
            order_id=order.payload["order_id"],
            sku=SKU,
            quantity=quantity,
            allocated_total=quantity,
            requested=order.payload["quantity"],
            lots=(LotShare(delivery_id=uuid.uuid4(), producer_id=producer_id, quantity=quantity),),
            rule="fifo",
            policy_version=0,
            hold_until=hold_until,
        )
    )


def order_id(order: Envelope) -> str:
    return str(order.payload["order_id"])


def fulfilled(order: Envelope, quantity: int) -> Envelope:
    return Envelope.wrap(
        OrderFulfilled(
            order_id=order.payload["order_id"],
            sku=SKU,
            quantity=quantity,
            fulfilled_total=quantity,
            fulfilled_at=datetime.now(UTC),
        ),
        hub=order.hub,
        correlation_id=order.correlation_id,
    )


def todays_summary(*, received: int, allocated: int, expired: int = 0) -> DaySummarised:
    """The product's day so far at a hub in Jakarta's time, nothing left waiting."""
    return DaySummarised(
        day=datetime.now(ZoneInfo("Asia/Jakarta")).date(),
        timezone="Asia/Jakarta",
        sku=SKU,
        received=received,
        allocated=allocated,
        fulfilled=0,
        expired=expired,
        waiting_units=0,
        waiting_orders=0,
        buyers_unserved=0,
    )


def not_drawn(
    hub: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    language: str = "id",
    channel: str | None = None,
    name: str = "Bu Rina",
    programme_name: str = "Masker Gratis Palangka Raya",
    seed: int = 4122896380513827521,
    entrants: int = 40,
    ticket: str = "T-7K3QD9",
) -> Envelope:
    """A programme's application that a published draw passed over (its applicant told)."""
    return Envelope.wrap(
        ProgrammeNotDrawn(
            programme_id=uuid.uuid4(),
            programme_name=programme_name,
            order_id=uuid.uuid4(),
            code=shown(new_order_code()),
            ticket=ticket,
            draw_id=uuid.uuid4(),
            seed=seed,
            entrants=entrants,
            buyer=Buyer(
                name=name,
                type="individual",
                region="Kota Palangka Raya",
                email=email,
                phone=phone,
                language=language,
                channel=channel,
            ),
        ),
        hub=hub,
        correlation_id=f"test-draw-{uuid.uuid4().hex[:6]}",
    )
