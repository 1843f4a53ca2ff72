"""What the orders API takes and answers."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events import Buyer
from shared.fields import HubCode, OrderQuantity, PhoneNumber, Sku

OrderStatus = Literal["queued", "partially_allocated", "allocated", "cancelled"]


class NewBuyer(Buyer):
    """A buyer as the API takes one: the phone number is checked and normalised."""

    phone: PhoneNumber | None = None


class NewOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hub: HubCode
    sku: Sku
    quantity: OrderQuantity
    buyer: NewBuyer


class Order(BaseModel):
    id: uuid.UUID
    hub: str
    sku: str
    quantity: int
    allocated: int
    status: OrderStatus
    buyer: Buyer
    placed_at: datetime
    cancelled_at: datetime | None


class CatalogEntry(BaseModel):
    hub: str
    sku: str
    product_id: uuid.UUID
    name: str
    unit_price: int
