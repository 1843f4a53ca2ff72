"""What intake's API takes and answers."""

import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from shared.fields import (
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
    whole_number,
)


def _known_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError("timezone_unknown", "unknown time zone") from None
    return name


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewHub(Request):
    code: HubCode
    name: Name
    # Kalimantan Tengah, the founding hub, keeps Western Indonesian Time.
    timezone: Annotated[
        str,
        AfterValidator(_known_timezone),
        Field(examples=["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
    ] = "Asia/Jakarta"


class NewProduct(Request):
    hub: HubCode
    sku: Sku
    name: Name
    unit_price: Rupiah


class NewProducer(Request):
    hub: HubCode
    name: Name
    phone: PhoneNumber
    regency: Name
    email: EmailAddress | None = None
    language: Language = "id"
    channel: PreferredChannel = None


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


class Hub(BaseModel):
    code: str
    name: str
    timezone: str
    created_at: datetime


class Product(BaseModel):
    id: uuid.UUID
    hub: str
    sku: str
    name: str
    unit_price: int
    listed_at: datetime


class Producer(BaseModel):
    id: uuid.UUID
    hub: str
    name: str
    phone: str
    regency: str
    email: str | None
    language: Language
    channel: ChannelName | None
    registered_at: datetime


class Delivery(BaseModel):
    id: uuid.UUID
    hub: str
    producer_id: uuid.UUID
    sku: str
    quantity: int
    rejected: int
    accepted: int
    sold: int
    received_at: datetime
