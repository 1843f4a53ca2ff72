"""What the programmes API takes and answers (README "Free-mask programmes")."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.orders.models import NewBuyer, OrderStatus
from shared.events import BuyerType
from shared.fields import HubCode, Name, Sku, whole_number
from shared.programme_tickets import ProgrammeTicket

Selection = Literal["lottery", "first_come"]
ProgrammeStatus = Literal["upcoming", "open", "ended"]
ApplicationStatus = Literal["waiting", "admitted"]
DrawKind = Literal["lottery", "all_admitted"]
# Up to ten thousand billion rupiah: no typo becomes a budget no office has.
BudgetRupiah = whole_number(ge=1, le=10**13)
UnitPrice = whole_number(ge=0, le=100_000_000)
UnitsPerRecipient = whole_number(ge=1, le=1000)
Seed = whole_number(ge=0, le=2**63 - 1)
# A NIK as sent: its form is checked by the use case (rules.nik_problem), to say what is wrong.
Nik = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]


class ProgrammeProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku
    # What the programme pays the producer for each unit given, in whole rupiah.
    unit_price: UnitPrice


class NewProgramme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hub: HubCode
    name: Name
    funder: Name
    budget: BudgetRupiah
    products: list[ProgrammeProduct] = Field(min_length=1, max_length=20)
    # The hub's dates, both inclusive.
    starts_on: date
    ends_on: date
    units_per_recipient: UnitsPerRecipient
    # Empty: every regency. Matched to the applicant's region regardless of case.
    regencies: list[Name] = Field(default=[], max_length=100)
    buyer_types: list[BuyerType] = Field(min_length=1, max_length=5)
    selection: Selection


class Programme(BaseModel):
    id: uuid.UUID
    hub: str
    name: str
    funder: str
    budget: int
    products: list[ProgrammeProduct]
    starts_on: date
    ends_on: date
    units_per_recipient: int
    regencies: list[str]
    buyer_types: list[str]
    selection: Selection
    status: ProgrammeStatus
    budget_committed: int
    budget_spent: int
    budget_left: int
    applications: int
    created_at: datetime


class Programmes(BaseModel):
    programmes: list[Programme]


class ProgrammesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hub: HubCode | None = None


class ProgrammeRecipient(NewBuyer):
    """Who the units are for. `nik` (a citizen's national id number) is required of an
    individual, checked for form and kept only as a keyed hash, never in clear."""

    nik: Nik | None = None


class NewProgrammeApplication(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku
    quantity: UnitsPerRecipient
    recipient: ProgrammeRecipient


class ProgrammeApplication(BaseModel):
    order_id: uuid.UUID
    # The order's code: the applicant's own key to it (tracking, cancel). Never published.
    code: str
    # The application's draw ticket, random and unrelated to the code: what the published draws
    # name it by, so the applicant can find it there.
    ticket: ProgrammeTicket
    programme_id: uuid.UUID
    # waiting: for a draw or for budget to come back; admitted: in the queue (the order's
    # status then says how far it got).
    status: ApplicationStatus
    order_status: OrderStatus
    sku: str
    quantity: int
    unit_price: int
    cost: int
    recipient_type: str
    region: str
    applied_at: datetime
    admitted_at: datetime | None


class ProgrammeApplications(BaseModel):
    applications: list[ProgrammeApplication]


class NewProgrammeDraw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Absent: a fresh one from the system's strong random source.
    seed: Seed | None = None


class ProgrammeDraw(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    at: datetime
    kind: DrawKind
    cause: Literal["operator", "budget_returned"]
    seed: int
    entrants: int
    winners: int


class ProgrammeDraws(BaseModel):
    draws: list[ProgrammeDraw]


class PublishedProgrammeDraw(BaseModel):
    """A draw as anyone may replay it: `entrant_tickets` are the applications' draw tickets in
    the order they came, `entrant_costs` what each costs (rupiah), `budget_left` what the
    budget had left; drawn order = `random.Random(seed).shuffle(entrant_tickets)` (CPython),
    winners taken in that order while their cost fits (python -m tools.replay_draw). Tickets
    only: no order code (which opens its order) and no order id."""

    id: uuid.UUID
    programme_id: uuid.UUID
    at: datetime
    kind: DrawKind
    cause: Literal["operator", "budget_returned"]
    seed: int
    algorithm: str
    budget_left: int
    entrant_tickets: list[ProgrammeTicket]
    entrant_costs: list[int]
    winner_tickets: list[ProgrammeTicket]


class ProgrammeBudget(BaseModel):
    total: int
    committed: int
    spent: int
    left: int


class ProgrammeUnitsOfDay(BaseModel):
    day: date
    region: str
    recipient_type: str
    units: int


class ProgrammeProducerPaid(BaseModel):
    producer_id: uuid.UUID
    units: int
    amount: int


class ProgrammeReport(BaseModel):
    programme: Programme
    budget: ProgrammeBudget
    units_by_day: list[ProgrammeUnitsOfDay]
    producers: list[ProgrammeProducerPaid]
    draws: list[ProgrammeDraw]
    generated_at: datetime
