"""Applying to a programme: the use case that takes one application, checked for form and
eligibility, into the programme (waiting; admitted at once when first come and it fits), with
the programme's row locked (handlers.locked)."""

import uuid
from dataclasses import dataclass

from services.orders.auth import HUB_NOT_ALLOWED
from services.orders.domain import PlacedOrder
from services.orders.models import NewBuyer, NewOrder, Order
from services.orders.programmes.handlers import admit, locked
from services.orders.programmes.models import (
    NewProgrammeApplication,
    ProgrammeApplication,
    ProgrammeRecipient,
)
from services.orders.programmes.rules import (
    Terms,
    ineligible,
    nik_hash,
    status_on,
)
from services.orders.store import UnitOfWork
from shared.nik import nik_problem
from shared.problems import FieldError, Kind, Problem, Text, invalid
from shared.programme_tickets import new_programme_ticket

NOT_ELIGIBLE = Kind(
    403, "not-eligible", Text("Tidak memenuhi syarat program", "Not eligible for the programme")
)


PROGRAMME_CLOSED = Kind(
    409, "programme-closed", Text("Program tidak menerima pendaftaran", "Programme not open")
)


ALREADY_APPLIED = Kind(
    409, "already-applied", Text("Penerima ini sudah mendaftar", "This recipient already applied")
)


NIK_OFF = Kind(
    503,
    "nik-hash-key-unset",
    Text("Pendaftaran warga belum diaktifkan", "Citizens' applications are not enabled"),
)


CLASS = "program"
# Draws of a ticket before giving up: with 10^9 tickets, even a programme of 100,000
# applications clashes once in 10,000 draws.
TICKET_DRAWS = 8


@dataclass(frozen=True)
class Apply:
    """One application as a request asked it, by a partner (its hubs and buyer types) or an
    operator (`partner_id` None)."""

    programme_id: uuid.UUID
    new: NewProgrammeApplication
    partner_id: uuid.UUID | None
    hubs: frozenset[str] | None
    buyer_types: tuple[str, ...] | None
    correlation_id: str
    nik_key: bytes | None


async def apply(uow: UnitOfWork, command: Apply) -> ProgrammeApplication:
    """Enter the application as an order of the `program` class, waiting; first come: admitted
    at once when its cost fits what the budget has left."""
    terms, today = await locked(uow, command.programme_id)
    new = command.new
    if command.hubs is not None and terms.hub not in command.hubs:
        raise _hub_not_allowed(terms.hub)
    if status_on(terms.starts_on, terms.ends_on, today) != "open":
        raise PROGRAMME_CLOSED.problem(
            Text(
                f"Pendaftaran dibuka {terms.starts_on} sampai {terms.ends_on}",
                f"ProgrammeApplications are taken from {terms.starts_on} to {terms.ends_on}",
            )
        )
    unit_price = _checked(terms, new, command.buyer_types)
    recipient = _recipient_key(new.recipient, command.nik_key)
    live, given = await uow.programmes.recipient(terms.id, recipient)
    if live or given + new.quantity > terms.units_per_recipient:
        raise ALREADY_APPLIED.problem(
            Text(
                f"Satu pendaftaran per penerima, paling banyak {terms.units_per_recipient} unit",
                f"One application per recipient, {terms.units_per_recipient} units at most",
            )
        )
    buyer = NewBuyer(**new.recipient.model_dump(exclude={"nik"}))
    order = NewOrder(
        hub=terms.hub, sku=new.sku, quantity=new.quantity, buyer=buyer, priority_class=CLASS
    )
    order_id = uuid.uuid4()
    if await uow.orders.add(order_id, order, CLASS, command.partner_id) is None:
        raise _unlisted(new.sku)
    placed = await _entered(uow, order_id, terms.id, recipient, unit_price)
    uow.history.add(
        order_id,
        placed.order.placed_at,
        "placed",
        new.quantity,
        priority_class=CLASS,
        accept_partial=True,
        partner_id=command.partner_id,
        programme_id=terms.id,
    )
    if terms.selection == "first_come":
        budget = await uow.programmes.budget(terms)
        if new.quantity * unit_price <= budget.left:
            placed = (await admit(uow, terms, [placed], command.correlation_id))[0]
    return application_of(placed.order, unit_price)


async def _entered(
    uow: UnitOfWork, order_id: uuid.UUID, programme_id: uuid.UUID, recipient: str, unit_price: int
) -> PlacedOrder:
    """The order entered in the programme with a draw ticket of its own: drawn at random, apart
    from the order's code (which opens the order and is never published), again on a clash."""
    for _ in range(TICKET_DRAWS):
        ticket = new_programme_ticket()
        placed = await uow.programmes.enter(order_id, programme_id, recipient, unit_price, ticket)
        if placed is not None:
            return placed
    raise RuntimeError(f"no free draw ticket in programme {programme_id} after {TICKET_DRAWS}")


def application_of(order: Order, unit_price: int) -> ProgrammeApplication:
    assert order.programme_id is not None and order.programme_status is not None
    assert order.programme_ticket is not None
    return ProgrammeApplication(
        order_id=order.id,
        code=order.code,
        ticket=order.programme_ticket,
        programme_id=order.programme_id,
        status=order.programme_status,
        order_status=order.status,
        sku=order.sku,
        quantity=order.quantity,
        unit_price=unit_price,
        cost=order.quantity * unit_price,
        recipient_type=order.buyer.type,
        region=order.buyer.region,
        applied_at=order.placed_at,
        admitted_at=order.admitted_at,
    )


def _checked(
    terms: Terms, new: NewProgrammeApplication, buyer_types: tuple[str, ...] | None
) -> int:
    """The unit price of the application's product, once the application is of the right form
    and its recipient eligible."""
    errors = []
    unit_price = terms.prices.get(new.sku)
    if unit_price is None:
        listed = ", ".join(sorted(terms.prices))
        errors.append(
            FieldError(
                "sku",
                "not_in_programme",
                Text(f"program ini untuk: {listed}", f"this programme is for: {listed}"),
            )
        )
    if new.quantity > terms.units_per_recipient:
        most = terms.units_per_recipient
        errors.append(
            FieldError(
                "quantity",
                "over_units_per_recipient",
                Text(f"paling banyak {most} unit", f"at most {most} units"),
            )
        )
    recipient = new.recipient
    if recipient.type == "individual":
        why = (
            Text("wajib bagi perorangan", "is required of individuals")
            if recipient.nik is None
            else nik_problem(recipient.nik)
        )
        if why is not None:
            errors.append(FieldError("recipient.nik", "nik_form", why))
    if errors:
        raise invalid(*errors)
    if buyer_types is not None and recipient.type not in buyer_types:
        raise NOT_ELIGIBLE.problem(
            Text(
                f"Mitra ini tidak boleh mendaftarkan penerima '{recipient.type}'",
                f"This partner may not apply for '{recipient.type}' recipients",
            )
        )
    why = ineligible(terms.regencies, terms.buyer_types, recipient.type, recipient.region)
    if why is not None:
        raise NOT_ELIGIBLE.problem(why)
    assert unit_price is not None
    return unit_price


def _recipient_key(recipient: ProgrammeRecipient, nik_key: bytes | None) -> str:
    """A citizen: the NIK's keyed hash; anyone else: the buyer's key (shared/events Buyer.key),
    a one-off when it has neither reference, phone nor email."""
    if recipient.type == "individual":
        if nik_key is None:
            raise NIK_OFF.problem(
                Text(
                    "Layanan ini berjalan tanpa NIK_HASH_KEY",
                    "This service runs without a NIK_HASH_KEY",
                )
            )
        assert recipient.nik is not None
        return "nik:" + nik_hash(nik_key, recipient.nik)
    return "buyer:" + recipient.key(uuid.uuid4())


def _hub_not_allowed(hub: str) -> Problem:
    return HUB_NOT_ALLOWED.problem(
        Text(
            f"Kunci ini tidak boleh dipakai untuk hub '{hub}'",
            f"This key may not be used for hub '{hub}'",
        )
    )


def _unlisted(sku: str) -> Problem:
    return invalid(
        FieldError(
            "sku",
            "unknown",
            Text(f"produk '{sku}' tidak dijual di hub ini", f"product '{sku}' is not listed here"),
        )
    )
