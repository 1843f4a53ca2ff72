"""The orders service's use cases: one order, one event each, written to a unit of work.

They read and write through the unit's repositories and publish to it; how many orders share
the transaction, and how the rows reach Postgres, is the unit's business (store/unit_of_work.py,
or the tests' fake). `store.UnitOfWork` is all they may ask of one.
"""

import uuid

from services.orders.domain import PlaceOrder, placed_event, priority_class_of
from services.orders.history import lots
from services.orders.idempotency import Answer, in_flight, reused
from services.orders.models import Order
from services.orders.programmes.handlers import refill
from services.orders.store import UnitOfWork
from services.orders.windows import Decision, local
from shared.events import (
    Envelope,
    OrderAllocated,
    OrderCancelled,
    OrderExpired,
    OrderFulfilled,
    OrderReleased,
    ProductListed,
)
from shared.problems import Kind, Problem, Text, not_found, unknown_reference

ORDER = Text("pesanan", "order")
ORDER_FULFILLED = Kind(
    409, "order-fulfilled", Text("Pesanan sudah diserahkan", "Order already handed over")
)
ORDER_CANCELLED = Kind(409, "order-cancelled", Text("Pesanan sudah dibatalkan", "Order cancelled"))
NOTHING_TO_FULFIL = Kind(
    409, "nothing-to-fulfil", Text("Tidak ada unit untuk diserahkan", "Nothing to hand over")
)


async def place_order(
    uow: UnitOfWork, command: PlaceOrder, order_id: uuid.UUID | None = None
) -> Answer:
    """Place the order once per idempotency key: a retry gets the first answer back, a key in
    flight or used for another request is refused, and so is a product the catalog lacks.
    `order_id` is given by a standing order's occurrence (series/worker.py); else a new one."""
    new = command.new
    # With the product's lock: per product, orders commit in the order of their place in the
    # queue, and their order.placed leave in that order (store/products.py).
    claim = await uow.keys.claim(command.owner, command.key, new.hub, new.sku)
    if not claim.locked:
        raise in_flight()
    if claim.request_hash is not None:
        if claim.request_hash != command.request_hash:
            raise reused()
        return Answer(claim.status, claim.body, replayed=True)
    # Counted in the window (if its product has any) in the transaction that inserts it.
    decision = await uow.windows.take(new.hub, new.sku, new.quantity, new.buyer.type)
    if decision.verdict in ("full", "closed"):
        raise window_refused(decision, new.quantity)
    priority_class = priority_class_of(new)
    placed = await uow.orders.add(order_id or uuid.uuid4(), new, priority_class, command.partner_id)
    if placed is None:
        raise await unknown_product(uow, new.hub, new.sku)
    order = placed.order
    uow.publish(placed_event(placed, command.correlation_id))
    uow.history.add(
        order.id,
        order.placed_at,
        "placed",
        order.quantity,
        priority_class=order.priority_class,
        accept_partial=order.accept_partial,
        partner_id=command.partner_id,
    )
    answer = Answer(201, order.model_dump_json())
    if command.key is not None:
        uow.keys.store(command.owner, command.key, command.request_hash, 201, answer.body)
    return answer


WINDOW_FULL = Kind(
    409, "window-full", Text("Kuota pra-pesan sudah penuh", "The pre-order window is full")
)
WINDOW_CLOSED = Kind(
    409, "window-closed", Text("Pra-pesan sedang ditutup", "Pre-orders are closed just now")
)


def window_refused(decision: Decision, quantity: int) -> Exception:
    """Why an order is not taken: its window is full (how many units are left), or closed
    (when the next one opens, in the hub's time, if one is planned)."""
    window = decision.window
    assert window is not None
    if decision.verdict == "full":
        left = window.left()
        return WINDOW_FULL.problem(
            Text(
                f"Sisa kuota jendela ini {left} unit; pesanan {quantity} unit tidak dapat"
                " diterima. Daftar untuk dikabari saat dibuka lagi.",
                f"This window has {left} units left; an order of {quantity} cannot be taken."
                " Sign up to be told when it opens again.",
            )
        )
    if decision.opens_at is not None:
        when = local(decision.opens_at, window.timezone)
        return WINDOW_CLOSED.problem(Text(f"Pra-pesan dibuka {when}", f"Pre-orders open at {when}"))
    return WINDOW_CLOSED.problem(
        Text(
            "Belum ada jadwal pembukaan berikutnya. Daftar untuk dikabari saat dibuka lagi.",
            "No next opening is planned yet. Sign up to be told when it opens again.",
        )
    )


async def cancel_order(
    uow: UnitOfWork,
    order_id: uuid.UUID,
    partner_id: uuid.UUID | None,
    correlation_id: str,
    verified_phone: str | None = None,
    hubs: frozenset[str] | None = None,
) -> Order:
    """Cancel an order of the partner's (None: any order, for the operator), or, given the
    phone its door checked, one of `hubs` whose buyer's verified phone is that (any other is
    not found, as if it did not exist); cancelling it again changes nothing. Its units go back
    via the allocator."""
    if verified_phone is None:
        order = await uow.orders.locked(order_id, partner_id)
    else:
        order = await uow.orders.locked_for_buyer(order_id, partner_id, verified_phone, hubs)
    if order is None:
        raise not_found(ORDER, order_id)
    if order.cancelled_at is not None:
        return order
    if order.status == "fulfilled":
        raise ORDER_FULFILLED.problem(
            Text(
                "Semua unit pesanan ini sudah diserahkan; pesanan tidak dapat dibatalkan",
                "All of this order's units were handed over; it cannot be cancelled",
            ),
        )
    order = await uow.orders.cancel(order_id)
    cancelled = OrderCancelled(order_id=order.id, sku=order.sku, cancelled_at=order.cancelled_at)
    uow.publish(Envelope.wrap(cancelled, hub=order.hub, correlation_id=correlation_id))
    uow.history.add(
        order.id,
        order.cancelled_at,
        "cancelled",
        by="operator" if partner_id is None else "partner",
        partner_id=partner_id,
        **({"for_verified_phone": True} if verified_phone is not None else {}),
    )
    if order.programme_id is not None and order.programme_status == "admitted":
        # What it was not given goes back to its programme, for those who wait.
        await refill(uow, order.programme_id, correlation_id)
    return order


async def fulfil_order(uow: UnitOfWork, order_id: uuid.UUID, correlation_id: str) -> Order:
    """An operator hands the order's held units to the buyer (picked up or shipped); announced
    with the change, so the allocator stops holding them."""
    # The row lock orders this against a cancel or an expiry of the same order.
    held = await uow.orders.locked(order_id, None)
    if held is None:
        raise not_found(ORDER, order_id)
    if held.cancelled_at is not None:
        raise ORDER_CANCELLED.problem(
            Text(
                "Pesanan yang dibatalkan tidak dapat diserahkan",
                "A cancelled order cannot be handed over",
            ),
        )
    if held.allocated <= held.fulfilled:
        raise NOTHING_TO_FULFIL.problem(
            Text(
                "Pesanan ini tidak punya unit yang sedang disimpan untuk pembeli",
                "This order has no units held for the buyer",
            ),
        )
    order = await uow.orders.fulfil(order_id)
    fulfilled = OrderFulfilled(
        order_id=order.id,
        sku=order.sku,
        quantity=order.fulfilled - held.fulfilled,
        fulfilled_total=order.fulfilled,
        fulfilled_at=order.fulfilled_at,
    )
    uow.publish(Envelope.wrap(fulfilled, hub=order.hub, correlation_id=correlation_id))
    uow.history.add(
        order.id,
        order.fulfilled_at,
        "fulfilled",
        fulfilled.quantity,
        fulfilled_total=order.fulfilled,
    )
    return order


async def unknown_product(uow: UnitOfWork, hub: str, sku: str) -> Problem:
    """Which of the two is unknown: the hub, or the product in a hub we know."""
    if not await uow.catalog.has_hub(hub):
        return unknown_reference("hub", Text("hub", "hub"), hub)
    return unknown_reference("sku", Text("produk", "product"), sku)


# The events this service consumes: the catalog from intake, each order's outcomes from the
# allocator (and each in the order's history).


async def product_listed(uow: UnitOfWork, event: Envelope, product: ProductListed) -> None:
    uow.catalog.listed(event.hub, product.sku, product.product_id, product.name, product.unit_price)


async def order_allocated(uow: UnitOfWork, event: Envelope, given: OrderAllocated) -> None:
    uow.orders.change(
        "allocated",
        given.order_id,
        given.quantity,
        given.hold_until,
        event.occurred_at,
        {
            "rule": given.rule,
            "lots": lots(given.lots),
            "hold_until": given.hold_until,
            "allocated_total": given.allocated_total,
            "policy_version": given.policy_version,
        },
    )


async def order_released(uow: UnitOfWork, event: Envelope, back: OrderReleased) -> None:
    uow.orders.change(
        "released", back.order_id, back.quantity, None, event.occurred_at, {"lots": lots(back.lots)}
    )


async def order_expired(uow: UnitOfWork, event: Envelope, gone: OrderExpired) -> None:
    # Forfeited units are not waited for again: a programme's go back to its budget.
    uow.programmes.returned(gone.order_id)
    uow.orders.change(
        "expired",
        gone.order_id,
        gone.quantity,
        None,
        event.occurred_at,
        {"lots": lots(gone.lots), "hold_until": gone.hold_until},
    )
