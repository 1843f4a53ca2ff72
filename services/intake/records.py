"""What intake keeps and answers: its records as the API shows them and the use cases make them."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from shared.fields import ChannelName, Language
from shared.opening_hours import Opening


class Hub(BaseModel):
    code: str
    name: str
    timezone: str
    address: str | None
    opening_hours: list[Opening]  # in weekday order; a day left out is closed
    takes_site_orders: bool
    created_at: datetime
    updated_at: datetime | None  # null until the first change


class HubList(BaseModel):
    total: int  # hubs that match, over all pages
    hubs: list[Hub]


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
    updated_at: datetime | None  # null until the first edit


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


class Shortage(BaseModel):
    id: uuid.UUID
    producer_id: uuid.UUID
    producer_name: str
    hub: str
    regency: str  # the producer's
    material: str
    amount: float
    unit: str
    since: date
    reported_at: datetime
    resolved_at: datetime | None
