"""`GET /v1/deliveries/{id}/allocations`: what one delivery (a lot) gave, and to whom, so the
counter where it was recorded can show the allocation it caused a moment later."""

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from services.allocator.store import lots
from shared.openapi import documented
from shared.problems import Kind, Text
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()

DELIVERY = Text("setoran", "delivery")
DELIVERY_UNKNOWN = Kind(
    404, "delivery-unknown", Text("Setoran belum dikenal", "Delivery not known (yet)")
)


class LotAllocation(BaseModel):
    """Units of the lot given to one order by one fill. `status`: still `held` for the buyer,
    `fulfilled` (handed over), `released` (back to the lot: the order was cancelled) or
    `expired` (back to the lot: not collected in time)."""

    order_id: uuid.UUID
    units: int
    priority_class: str
    rule: str
    allocated_at: datetime
    status: Literal["held", "fulfilled", "released", "expired"]


class LotAllocations(BaseModel):
    """`allocated` of the lot's `accepted` units are given now (held or handed over);
    `available` are not, and go to the next orders that come."""

    delivery_id: uuid.UUID
    hub: str
    sku: str
    producer_id: uuid.UUID
    received_at: datetime
    accepted: int
    allocated: int
    available: int
    allocations: list[LotAllocation]


@routes.get("/v1/deliveries/{id}/allocations")
@documented(
    operation_id="getDeliveryAllocations",
    summary=Text("Alokasi dari satu setoran", "What one delivery was allocated to"),
    answers={200: LotAllocations},
    auth="operator",
    path={"id": uuid.UUID},
    problems=(DELIVERY_UNKNOWN,),
)
async def get_lot_allocations(request: web.Request) -> web.Response:
    """404 `delivery-unknown` until the allocator has taken in the delivery (supply.received):
    usually well under a second after intake recorded it; ask again."""
    delivery_id = uuid_in_path(request, "id", DELIVERY)
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot, so the lot's counts and its allocations agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            lot = await conn.fetchrow(lots.LOT, delivery_id)
            if lot is None:
                raise DELIVERY_UNKNOWN.problem(
                    Text(
                        f"Alokator belum menerima setoran '{delivery_id}'; coba lagi sebentar",
                        f"The allocator has not taken in delivery '{delivery_id}'; try again",
                    )
                )
            rows = await conn.fetch(lots.LOT_ALLOCATIONS, delivery_id)
    return json_response(
        LotAllocations(
            **dict(lot),
            available=lot["accepted"] - lot["allocated"],
            allocations=[LotAllocation.model_validate(dict(row)) for row in rows],
        )
    )
