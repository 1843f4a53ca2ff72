"""The allocator's read-only views: a product's queue (every partner's orders: operators only)
and its stock (a figure anyone may read)."""

import uuid
from datetime import date, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.allocator.http.policy_api import PRODUCT, product_in_path
from services.allocator.rules import estimates
from services.allocator.store import lots, outlooks, queue_page
from services.allocator.store import policies as stored_policies
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, json_response

routes = web.RouteTableDef()


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class WaitingOrder(BaseModel):
    """A waiting order at its place: `units_ahead` are wanted by the orders before it, and
    `estimated_date` (in the hub's time zone) is when it should be served if supply goes on as
    in the last week; None while there was no supply to go by. Worked out afresh for each
    page, as `GET /v1/orders/{id}/standing` does; the buyer is told a date only when it moves
    by a day."""

    position: int
    order_id: uuid.UUID
    priority_class: str
    quantity: int
    allocated: int
    forfeited: int
    accept_partial: bool
    placed_at: datetime
    units_ahead: int
    estimated_date: date | None


class Queue(BaseModel):
    hub: str
    sku: str
    waiting: int
    orders: list[WaitingOrder]


class Stock(BaseModel):
    hub: str
    sku: str
    received: int
    allocated: int
    available: int


@routes.get("/v1/hubs/{hub}/products/{sku}/queue")
@documented(
    operation_id="getQueue",
    summary=Text("Antrean pesanan yang menunggu", "The queue of waiting orders"),
    query=Page,
    answers={200: Queue},
    auth="operator",
    path=PRODUCT,
    problems=(422,),
)
async def get_queue(request: web.Request, page: Page) -> web.Response:
    """Waiting orders in queue order (by priority class, then time placed), each with its
    place and estimated date; `?limit=&offset=` pages through a long queue, as fast deep in it
    as at its head."""
    hub, sku = product_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot for the page and the counts, so they agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            policy = await stored_policies.active(conn, hub, sku)
            view = await outlooks.of_product(conn, hub, sku)
            classes = policy.class_order(view.totals)
            rows = await queue_page.read(
                conn, hub, sku, classes, view.totals, page.offset, page.limit
            )
    orders = []
    for index, row in enumerate(rows, start=1):
        order = row.order
        _position, units_ahead = estimates.place_in_queue(
            policy, view.totals, order["priority_class"], row.ahead_in_class
        )
        orders.append(
            WaitingOrder.model_validate(
                {
                    **order,
                    "position": page.offset + index,
                    "units_ahead": units_ahead,
                    "estimated_date": view.estimate(units_ahead, order["wanted"]),
                }
            )
        )
    waiting = sum(orders_waiting for orders_waiting, _units in view.totals.values())
    return json_response(Queue(hub=hub, sku=sku, waiting=waiting, orders=orders))


@routes.get("/v1/hubs/{hub}/products/{sku}/stock")
@documented(
    operation_id="getStock",
    summary=Text("Stok produk", "A product's stock"),
    answers={200: Stock},
    path=PRODUCT,
    problems=(422,),
)
async def get_stock(request: web.Request) -> web.Response:
    hub, sku = product_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        row = await conn.fetchrow(lots.STOCK_VIEW, hub, sku)
    return json_response(
        Stock(
            hub=hub,
            sku=sku,
            received=row["received"],
            allocated=row["allocated"],
            available=row["received"] - row["allocated"],
        )
    )
