"""What the orders API takes and answers."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool
from typing_extensions import TypeAliasType

from shared.events import Buyer
from shared.fields import (
    EmailAddress,
    HubCode,
    Name,
    OrderQuantity,
    PhoneNumber,
    PreferredChannel,
    PriorityClass,
    Sku,
)
from shared.order_codes import ShownOrderCode
from shared.programme_tickets import ProgrammeTicket

# Named (TypeAliasType): one schema in the API documents for every status field, not one each.
OrderStatus = TypeAliasType(
    "OrderStatus",
    Literal["queued", "partially_allocated", "allocated", "fulfilled", "expired", "cancelled"],
)


class NewBuyer(Buyer):
    """A buyer as the API takes one: the names are plain names (no control characters, no links),
    the phone number and the email are checked and normalised, and the preferred channel must
    reach them."""

    name: Name
    region: Name
    phone: PhoneNumber | None = None
    email: EmailAddress | None = None
    channel: PreferredChannel = None


class NewOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hub: HubCode
    sku: Sku
    quantity: OrderQuantity
    buyer: NewBuyer
    # False: serve only the whole quantity at once; the order keeps its place meanwhile.
    accept_partial: StrictBool = True
    # Only an operator may name the class (the API checks); else the buyer's type decides it.
    priority_class: PriorityClass | None = None


class Order(BaseModel):
    """An order's counts: `allocated` units were given and not taken back (held or handed
    over), `fulfilled` of them were handed over, `expired` were held too long and forfeited;
    `waiting` is what the order still waits for."""

    id: uuid.UUID
    # What the buyer reads over the phone, types at the counter or opens as a link (the dash is
    # optional when typed): `GET /v1/order-codes/{code}` finds the order by it.
    code: ShownOrderCode
    hub: str
    sku: str
    quantity: int
    allocated: int
    fulfilled: int
    expired: int
    waiting: int
    hold_until: datetime | None
    accept_partial: bool
    priority_class: str
    status: OrderStatus
    buyer: Buyer
    placed_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    # An occurrence of a standing order (GET /v1/standing-orders/{id}): the series, and which
    # of its occurrences this is; none for an order placed on its own.
    standing_order_id: uuid.UUID | None = None
    occurrence: int | None = None
    # An application to a free-mask programme (GET /v1/programmes/{id}): `waiting` for a draw
    # or for budget (not in the queue yet), `admitted` (in the queue, paid by the programme).
    programme_id: uuid.UUID | None = None
    programme_status: Literal["waiting", "admitted"] | None = None
    admitted_at: datetime | None = None
    # The application's draw ticket: what the programme's published draws name it by (never
    # by the code above, which opens the order), so the applicant can find it there.
    programme_ticket: ProgrammeTicket | None = None


class ExplanationLine(BaseModel):
    """One step of why an order stands where it does, in both languages."""

    rule: str
    quantity: int | None = None
    at: datetime | None = None
    id: str
    en: str


class Standing(BaseModel):
    """Where an order stands in the allocator's queue; all None when that is not known."""

    position: int | None = None
    units_ahead: int | None = None
    estimated_date: date | None = None
    explanation: list[ExplanationLine]


class OrderWithStanding(Standing, Order):
    """An order as `GET /v1/orders/{id}` answers it."""


class ProductWindow(BaseModel):
    """The product's order window as buyers see it (issue 21): `open` takes orders (`left`
    units more); `full`, `closed` and `upcoming` take none; `opens_at` the next opening, when
    one is planned."""

    status: Literal["open", "full", "closed", "upcoming"]
    left: int
    closes_at: datetime | None = None
    opens_at: datetime | None = None


class CatalogEntry(BaseModel):
    hub: str
    sku: str
    product_id: uuid.UUID
    name: str
    unit_price: int
    # Absent: the product has no window, and takes orders any time.
    window: ProductWindow | None = None


class Catalog(BaseModel):
    """What buyers can order in a hub, and at what price (whole rupiah a unit)."""

    products: list[CatalogEntry]
