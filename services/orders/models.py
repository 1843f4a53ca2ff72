"""What the orders API takes and answers."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr

from shared.events import Buyer, BuyerType
from shared.fields import HubCode, Name, OrderQuantity, PhoneNumber, Sku

OrderStatus = Literal["queued", "partially_allocated", "allocated", "cancelled"]


class NewBuyer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    type: BuyerType
    region: Name
    phone: PhoneNumber | None = None
    email: EmailStr | None = None


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
