"""A programme's use cases over the orders unit of work: admit, draw, and give returned budget
to those who wait (applying: applying.py). Each runs with the programme's row locked
(store/programmes.py), so what it reads of the budget is what the one before it left."""

import secrets
import uuid

from services.orders.domain import PlacedOrder, placed_event
from services.orders.programmes.rules import (
    Terms,
    draw,
    greedy,
)
from services.orders.store import UnitOfWork
from shared.events import Envelope, ProgrammeNotDrawn, ProgrammeShare
from shared.problems import Kind, Text, not_found

PROGRAMME = Text("program", "programme")


NOTHING_TO_DRAW = Kind(
    409, "nothing-to-draw", Text("Tidak ada pendaftar yang menunggu", "No application waits")
)


async def locked(uow: UnitOfWork, programme_id: uuid.UUID):
    found = await uow.programmes.locked(programme_id)
    if found is None:
        raise not_found(PROGRAMME, programme_id)
    return found


async def admit(
    uow: UnitOfWork,
    terms: Terms,
    chosen: list[PlacedOrder],
    correlation_id: str,
    draw_id: uuid.UUID | None = None,
) -> list[PlacedOrder]:
    """Admit the chosen applications: each order.placed goes to the queue, the programme paying.
    An application cancelled meanwhile is not admitted (nor in the answer).

    Its place in the queue was drawn when it applied (the insert took the product's lock, as
    every order's does: store/products.py), but its order.placed leaves now, in the order of
    admission: a draw's is random on purpose, a refill's follows a cancel. So in the programme's
    class a product's order.placed may come out of (placed_at, sequence) order, and the
    allocator puts each at its place by those; every other class's come in queue order. No
    product lock here: admitting draws no place in the queue."""
    admitted = await uow.programmes.admit([placed.order.id for placed in chosen])
    for placed in admitted:
        order = placed.order
        share = ProgrammeShare(programme_id=terms.id, unit_price=terms.prices[order.sku])
        uow.publish(placed_event(placed, correlation_id, share))
        extra = {} if draw_id is None else {"draw_id": draw_id}
        assert order.admitted_at is not None
        uow.history.add(order.id, order.admitted_at, "admitted", programme_id=terms.id, **extra)
    return admitted


def cost(placed: PlacedOrder, terms: Terms) -> int:
    return placed.order.quantity * terms.prices[placed.order.sku]


def ticket_of(placed: PlacedOrder) -> str:
    """The application's draw ticket (every application gets one when it is made)."""
    assert placed.order.programme_ticket is not None
    return placed.order.programme_ticket


async def run_draw(
    uow: UnitOfWork, programme_id: uuid.UUID, seed: int | None, correlation_id: str
) -> dict:
    """An admin's draw among the waiting applications (the seed given, or a fresh one)."""
    terms, _ = await locked(uow, programme_id)
    waiting = await uow.programmes.waiting(terms.id)
    if not waiting:
        raise NOTHING_TO_DRAW.problem(
            Text("Belum ada pendaftar yang menunggu undian", "No application waits for a draw")
        )
    chosen = secrets.randbits(62) if seed is None else seed
    return await _draw_among(uow, terms, waiting, chosen, "operator", correlation_id)


async def refill(uow: UnitOfWork, programme_id: uuid.UUID, correlation_id: str) -> None:
    """Units came back to the budget: first come, those waiting are admitted in the order they
    applied while their cost fits; a lottery already drawn draws again (a fresh seed) among
    them, when at least one of them fits what is left."""
    terms, _ = await locked(uow, programme_id)
    waiting = await uow.programmes.waiting(terms.id)
    if not waiting:
        return
    left = (await uow.programmes.budget(terms)).left
    if terms.selection == "first_come":
        chosen = greedy(waiting, lambda placed: cost(placed, terms), left)
        if chosen:
            await admit(uow, terms, chosen, correlation_id)
    elif terms.drawn and any(cost(placed, terms) <= left for placed in waiting):
        seed = secrets.randbits(62)
        await _draw_among(uow, terms, waiting, seed, "budget_returned", correlation_id)


async def refill_returned(uow: UnitOfWork, correlation_id: str) -> None:
    """The programmes whose admitted applications forfeited units since the last call (their
    order.expired) give them to those who wait, each once, in id order (as two batches lock
    them alike)."""
    for programme_id in await uow.programmes.programmes_returned():
        await refill(uow, programme_id, correlation_id)


async def _draw_among(
    uow: UnitOfWork,
    terms: Terms,
    waiting: list[PlacedOrder],
    seed: int,
    cause: str,
    correlation_id: str,
) -> dict:
    left = (await uow.programmes.budget(terms)).left
    # Drawn and published by the applications' tickets, never their codes (which open them).
    tickets = [ticket_of(placed) for placed in waiting]
    costs = {ticket_of(placed): cost(placed, terms) for placed in waiting}
    drawn = draw(seed, tickets, costs, left)
    by_ticket = {ticket_of(placed): placed for placed in waiting}
    draw_id = uuid.uuid4()
    winners = [by_ticket[ticket] for ticket in drawn.winners]
    admitted = {p.order.id for p in await admit(uow, terms, winners, correlation_id, draw_id)}
    won = [placed for placed in winners if placed.order.id in admitted]
    record = await uow.programmes.record_draw(
        draw_id,
        terms.id,
        drawn.kind,
        cause,
        seed,
        left,
        [placed.order.id for placed in waiting],
        tickets,
        [costs[ticket] for ticket in tickets],
        [placed.order.id for placed in won],
        [ticket_of(placed) for placed in won],
    )
    for placed in waiting:
        if placed.order.id not in admitted:
            order = placed.order
            told = ProgrammeNotDrawn(
                programme_id=terms.id,
                programme_name=terms.name,
                order_id=order.id,
                code=order.code,
                ticket=ticket_of(placed),
                draw_id=draw_id,
                seed=seed,
                entrants=len(waiting),
                buyer=order.buyer,
            )
            uow.publish(Envelope.wrap(told, hub=order.hub, correlation_id=correlation_id))
    return dict(record)
