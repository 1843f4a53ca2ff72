"""What intake's API takes: new records, changes, queries (what it answers: `records`)."""

import re
import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.intake.domain import SHORTAGE_UNITS, normalise_material
from shared.fields import (
    Address,
    ChannelName,
    DeliveryQuantity,
    EmailAddress,
    HubCode,
    Language,
    Name,
    PhoneNumber,
    PreferredChannel,
    Rupiah,
    Sku,
    TimeZone,
    whole_number,
)
from shared.opening_hours import OpeningHours

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _written_as_iso_date(value: object) -> object:
    """A date as JSON and query strings carry it, "2026-11-20": never a number (a timestamp to
    pydantic) nor a date-time."""
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_written_as_iso_date)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _left_out() -> Any:
    """A field that may be left out but, when given, not be null: None (never validated) stands
    for "left out", and the document shows only the field's type."""
    return Field(default=None, json_schema_extra=lambda schema: schema.pop("default", None))


class HubDetails(Request):
    """What operators set of a hub and buyers read: where it is, when it is open, and whether
    the public site takes orders there. A new hub takes none until an operator says so, and
    never without an address and hours: a buyer must learn where and when to collect."""

    address: Address | None = None
    opening_hours: OpeningHours = []
    takes_site_orders: Annotated[bool, Field(strict=True)] = False

    @field_validator("takes_site_orders")
    @classmethod
    def _site_orders_need_address_and_hours(cls, takes: bool, info: ValidationInfo) -> bool:
        # A detail that failed its own check is reported under its own name, not again here.
        address, hours = info.data.get("address", ""), info.data.get("opening_hours", [None])
        if takes and (address is None or not hours):
            raise PydanticCustomError(
                "needs_address_and_hours", "give the hub's address and opening hours first"
            )
        return takes


class NewHub(HubDetails):
    code: HubCode
    name: Name
    # Kalimantan Tengah, the founding hub, keeps Western Indonesian Time.
    timezone: TimeZone = "Asia/Jakarta"


class HubChanges(Request):
    """Any of a hub's details; a field left out keeps its value, the address may be set to
    null. The hub as changed is checked as a new one is."""

    address: Address | None = None
    opening_hours: OpeningHours = _left_out()
    takes_site_orders: Annotated[bool, Field(strict=True)] = _left_out()

    def applied_to(self, current: HubDetails) -> dict[str, Any]:
        return {**current.model_dump(), **self.model_dump(include=self.model_fields_set)}


class NewProduct(Request):
    hub: HubCode
    sku: Sku
    name: Name
    unit_price: Rupiah


class ProducerDetails(Request):
    """A producer's own details, as registered, imported or edited."""

    name: Name
    phone: PhoneNumber
    regency: Name
    email: EmailAddress | None = None
    language: Language = "id"
    channel: PreferredChannel = None


class NewProducer(ProducerDetails):
    hub: HubCode


class ProducerChanges(Request):
    """Any of a producer's details. A field left out keeps its value; email and channel may be
    set to null (no email; the hub's own order of channels). The producer as changed must
    still be reachable by their channel, as at registration."""

    name: Name = _left_out()
    phone: PhoneNumber = _left_out()
    regency: Name = _left_out()
    email: EmailAddress | None = None
    language: Language = _left_out()
    # Checked against the changed record, not this body: the email may be the stored one.
    channel: ChannelName | None = None

    def applied_to(self, current: "ProducerDetails") -> dict[str, Any]:
        """The details as they would be with these changes."""
        return {**current.model_dump(), **self.model_dump(include=self.model_fields_set)}


class NewDelivery(Request):
    hub: HubCode
    producer_id: uuid.UUID
    sku: Sku
    quantity: DeliveryQuantity
    rejected: whole_number(ge=0) = 0

    @field_validator("rejected")
    @classmethod
    def _no_more_than_delivered(cls, rejected: int, info: ValidationInfo) -> int:
        quantity = info.data.get("quantity")
        if quantity is not None and rejected > quantity:
            raise PydanticCustomError("rejected_exceeds_quantity", "more rejected than delivered")
        return rejected


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(Query):
    """`?limit=&offset=`, as the allocator's queue pages."""

    limit: int = Field(default=100, ge=1, le=1000)
    # Bounded so the database never sees a number it cannot hold.
    offset: int = Field(default=0, ge=0, le=10_000_000)


class HubFilter(Page):
    """`?takes_site_orders=true` for the hubs the public site offers."""

    takes_site_orders: bool | None = None


Material = Annotated[Name, AfterValidator(normalise_material)]
# Whole hundredths: what a scale or a tape shows.
Amount = Annotated[float, Field(gt=0, le=1_000_000, multiple_of=0.01, strict=True)]
# Checked by the use case, which says which units there are (`unit_unknown`).
Unit = Annotated[str, WithJsonSchema({"type": "string", "enum": list(SHORTAGE_UNITS)})]


class NewShortage(Request):
    material: Material
    amount: Amount
    unit: Unit
    since: IsoDate | None = None  # today at the hub when left out; never after today
