"""`GET /v1/orders/{id}/standing`: where an order stands and why, for the buyer (the orders
service shows it on its own `GET /v1/orders/{id}`, to the partner that placed the order, and
asks for it with the operator token: an order's place is no one else's to read)."""

import uuid
from datetime import UTC, date, datetime

from aiohttp import web
from pydantic import BaseModel

from services.allocator.rules import estimates, explain
from services.allocator.store import allocations, outlooks, queue
from services.allocator.store import policies as stored_policies
from services.allocator.store.hubs import zone_of
from shared.openapi import documented
from shared.problems import Text, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()
ORDER = Text("pesanan", "order")


class Line(BaseModel):
    rule: str
    quantity: int | None
    at: datetime | None
    id: str
    en: str


class Standing(BaseModel):
    order_id: uuid.UUID
    hub: str
    sku: str
    state: str
    priority_class: str
    requested: int
    allocated: int
    forfeited: int
    position: int | None
    units_ahead: int | None
    estimated_date: date | None
    explanation: list[Line]


@routes.get("/v1/orders/{id}/standing")
@documented(
    operation_id="getOrderStanding",
    summary=Text("Posisi pesanan dan alasannya", "Where an order stands, and why"),
    answers={200: Standing},
    auth="operator",
    path={"id": uuid.UUID},
)
async def get_standing(request: web.Request) -> web.Response:
    order_id = uuid_in_path(request, "id", ORDER)
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot, so the place, the totals and the lines agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            order = await conn.fetchrow(queue.ORDER_BY_ID, order_id)
            if order is None:
                raise not_found(ORDER, order_id)
            zone = await zone_of(conn, order["hub"])
            lines = await _history(conn, order, zone)
            position = units_ahead = estimated = None
            if order["state"] == "waiting":
                policy = await stored_policies.active(conn, order["hub"], order["sku"])
                view = await outlooks.of_product(conn, order["hub"], order["sku"])
                position, units_ahead = estimates.place_in_queue(
                    policy, view.totals, order["priority_class"], await outlooks.ahead(conn, order)
                )
                wanted = order["quantity"] - order["allocated"] - order["forfeited"]
                estimated = view.estimate(units_ahead, wanted)
                lines.append(
                    explain.waiting(
                        position, units_ahead, order["priority_class"], estimated, datetime.now(UTC)
                    )
                )
            elif order["state"] == "cancelled":
                lines.append(
                    explain.cancelled(await conn.fetchval(allocations.CANCELLED_AT, order_id))
                )
    return json_response(
        Standing(
            order_id=order_id,
            hub=order["hub"],
            sku=order["sku"],
            state=order["state"],
            priority_class=order["priority_class"],
            requested=order["quantity"],
            allocated=order["allocated"],
            forfeited=order["forfeited"],
            position=position,
            units_ahead=units_ahead,
            estimated_date=estimated,
            explanation=[
                Line(
                    rule=line.rule,
                    quantity=line.quantity,
                    at=line.at,
                    id=line.text.indonesian,
                    en=line.text.english,
                )
                for line in lines
            ],
        )
    )


async def _history(conn, order, zone) -> list[explain.Line]:
    lines = []
    for row in await conn.fetch(allocations.ORDER_ALLOCATIONS, order["order_id"]):
        lines.append(
            explain.allocated(
                row["rule"],
                row["quantity"],
                row["allocated_at"],
                order["priority_class"],
                row["seed"],
            )
        )
        fate = explain.ended(
            row["state"], row["quantity"], row["ended_at"], row["hold_until"], zone
        )
        if fate is not None:
            lines.append(fate)
    if order["skip_rule"] is not None and order["state"] == "waiting":
        lines.append(
            explain.skipped(order["skip_rule"], order["skip_detail"] or {}, order["skipped_at"])
        )
    return lines
