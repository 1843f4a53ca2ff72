"""What the orders service publishes: orders placed, cancelled and handed over."""

import hashlib
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from typing_extensions import TypeAliasType

from shared.events.envelope import EventPayload
from shared.fields import ChannelName, Language, PriorityClass, RecordedName, Sku
from shared.order_codes import ShownOrderCode
from shared.programme_tickets import ProgrammeTicket

# Named (TypeAliasType), so the API documents have one schema for it, not one per model.
BuyerType = TypeAliasType(
    "BuyerType", Literal["individual", "agency", "bank", "business", "health_facility"]
)

# The class an order gets from its buyer's type, unless an operator names another. `program`
# (free masks from the office's budget) is only ever given by an operator.
CLASS_OF_BUYER_TYPE: dict[str, str] = {
    "health_facility": "health",
    "agency": "agency",
    "bank": "public",
    "business": "public",
    "individual": "public",
}

# Blank once stripped is no reference: the pattern says so to readers of the schema too.
BuyerReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"\S")
]


class BuyerV2(BaseModel):
    """A buyer as order.placed v1 and v2 carry one: before buyers said how to be told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: RecordedName
    type: BuyerType
    region: RecordedName
    phone: str | None = None
    email: EmailStr | None = None
    # The partner's own id for this buyer: the surest way to know the same buyer again.
    reference: BuyerReference | None = None

    def key(self, order_id: uuid.UUID) -> str:
        """Who this buyer is across orders, without saying who: the partner's buyer id, else the
        phone number, else the email, hashed; a buyer with none of these is their order alone.
        """
        if self.reference is not None:
            identity = f"reference:{self.reference}"
        elif self.phone is not None:
            identity = f"phone:{self.phone}"
        elif self.email is not None:
            identity = f"email:{self.email.lower()}"
        else:
            identity = f"order:{order_id}"
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


class Buyer(BuyerV2):
    """A buyer, and how they want to be told (see `shared.fields`)."""

    language: Language = "id"
    channel: ChannelName | None = None


class ProgrammeShare(BaseModel):
    """An order paid by a free-mask programme, not by its buyer: the programme, and what it pays
    the producer for each unit given (so payouts count it as a programme sale)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    programme_id: uuid.UUID
    unit_price: int = Field(ge=0)


class OrderPlaced(EventPayload):
    """`priority_class`, then `placed_at`, then `sequence` (from the orders database) order the
    queue. `buyer_key` is the same for the same buyer across orders (see `Buyer.key`). `code` is
    the order's code as shown (`XXXXX-XXXXX`, shared/order_codes.py), for the links in the
    buyer's messages; None only for an order announced before codes (an upgraded v3).
    `programme` is set on a programme's application once it is admitted (drawn, or first come
    while the budget lasts): only then does it enter the queue.
    """

    type = "order.placed"
    version = 5

    order_id: uuid.UUID
    code: ShownOrderCode | None
    sku: Sku
    quantity: int = Field(ge=1)
    placed_at: AwareDatetime
    sequence: int = Field(ge=1)
    buyer: Buyer
    buyer_key: str = Field(min_length=1, max_length=64)
    priority_class: PriorityClass
    # False: serve the whole quantity at once or nothing, keeping the order's place meanwhile.
    accept_partial: bool
    programme: ProgrammeShare | None = None


class OrderPlacedV4(EventPayload):
    """Before free-mask programmes paid for orders."""

    type = "order.placed"
    version = 4

    order_id: uuid.UUID
    code: ShownOrderCode | None
    sku: Sku
    quantity: int = Field(ge=1)
    placed_at: AwareDatetime
    sequence: int = Field(ge=1)
    buyer: Buyer
    buyer_key: str = Field(min_length=1, max_length=64)
    priority_class: PriorityClass
    # False: serve the whole quantity at once or nothing, keeping the order's place meanwhile.
    accept_partial: bool

    def upgraded(self) -> OrderPlaced:
        return OrderPlaced(**self.model_dump(), programme=None)


class OrderPlacedV3(EventPayload):
    """Before orders had codes."""

    type = "order.placed"
    version = 3

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    placed_at: AwareDatetime
    sequence: int = Field(ge=1)
    buyer: Buyer
    buyer_key: str = Field(min_length=1, max_length=64)
    priority_class: PriorityClass
    # False: serve the whole quantity at once or nothing, keeping the order's place meanwhile.
    accept_partial: bool

    def upgraded(self) -> OrderPlaced:
        return OrderPlacedV4(**self.model_dump(), code=None).upgraded()


class OrderPlacedV2(EventPayload):
    """Before buyers said in which language and on which channel to be told."""

    type = "order.placed"
    version = 2

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    placed_at: AwareDatetime
    sequence: int = Field(ge=1)
    buyer: BuyerV2
    buyer_key: str = Field(min_length=1, max_length=64)
    priority_class: PriorityClass
    accept_partial: bool

    def upgraded(self) -> OrderPlaced:
        # The hub's defaults: Bahasa Indonesia, on the hub's own order of channels.
        buyer = Buyer(**self.buyer.model_dump(), language="id", channel=None)
        return OrderPlacedV3(**self.model_dump(exclude={"buyer"}), buyer=buyer).upgraded()


class OrderPlacedV1(EventPayload):
    """Before priority classes, buyer identity and whole-only orders."""

    type = "order.placed"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    placed_at: AwareDatetime
    sequence: int = Field(ge=1)
    buyer: BuyerV2

    def upgraded(self) -> OrderPlaced:
        return OrderPlacedV2(
            **self.model_dump(),
            buyer_key=self.buyer.key(self.order_id),
            priority_class=CLASS_OF_BUYER_TYPE[self.buyer.type],
            accept_partial=True,
        ).upgraded()


class OrderCancelled(EventPayload):
    type = "order.cancelled"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    cancelled_at: AwareDatetime


class OrderFulfilled(EventPayload):
    """An operator handed the order's held units to the buyer (picked up or shipped)."""

    type = "order.fulfilled"
    version = 1

    order_id: uuid.UUID
    sku: Sku
    quantity: int = Field(ge=1)
    fulfilled_total: int = Field(ge=1)
    fulfilled_at: AwareDatetime


class ProgrammeNotDrawn(EventPayload):
    """An application to a free-mask programme that a draw did not reach. It stays in the pool
    and may be drawn again as units return; the applicant is told. The draw is published
    (`GET /v1/programmes/{programme_id}/draws/{draw_id}`), so anyone can replay it; it names
    applications by their draw `ticket` only, never by their `code` (the applicant's own key
    to the order, told to them alone), so the applicant finds themselves there by the ticket."""

    type = "programme.not_drawn"
    version = 1

    programme_id: uuid.UUID
    programme_name: RecordedName
    order_id: uuid.UUID
    code: ShownOrderCode
    ticket: ProgrammeTicket
    draw_id: uuid.UUID
    seed: int
    entrants: int = Field(ge=1)
    buyer: Buyer
