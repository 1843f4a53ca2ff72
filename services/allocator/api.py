"""The allocator's read-only views: a product's queue and its stock."""

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.allocator import policies, store
from services.allocator.policy_api import PRODUCT, product_in_path
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, json_response

routes = web.RouteTableDef()


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class WaitingOrder(BaseModel):
    position: int
    order_id: uuid.UUID
    priority_class: str
    quantity: int
    allocated: int
    forfeited: int
    accept_partial: bool
    placed_at: datetime


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
    summary=Text("Antrean pesanan yang menunggu", "The queue of waiting orders"),
    query=Page,
    answers={200: Queue},
    path=PRODUCT,
    problems=(422,),
)
async def get_queue(request: web.Request, page: Page) -> web.Response:
    """Waiting orders in queue order (by priority class, then time placed); `?limit=&offset=`
    pages through a long queue."""
    hub, sku = product_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot for the page and the count, so they agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            policy = await policies.active(conn, hub, sku)
            totals = await store.class_totals(conn, hub, sku)
            rows, skip = [], page.offset
            # Whole classes before the page are skipped by their totals, not read.
            for name in policy.class_order(totals):
                in_class = totals.get(name, (0, 0))[0]
                if skip >= in_class:
                    skip -= in_class
                    continue
                wanted = page.limit - len(rows)
                rows += await conn.fetch(store.QUEUE_VIEW, hub, sku, name, wanted, skip)
                skip = 0
                if len(rows) == page.limit:
                    break
    orders = [
        WaitingOrder.model_validate({**row, "position": page.offset + index})
        for index, row in enumerate(rows, start=1)
    ]
    waiting = sum(orders_waiting for orders_waiting, _units in totals.values())
    return json_response(Queue(hub=hub, sku=sku, waiting=waiting, orders=orders))


@routes.get("/v1/hubs/{hub}/products/{sku}/stock")
@documented(
    summary=Text("Stok produk", "A product's stock"),
    answers={200: Stock},
    path=PRODUCT,
    problems=(422,),
)
async def get_stock(request: web.Request) -> web.Response:
    hub, sku = product_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        row = await conn.fetchrow(store.STOCK_VIEW, hub, sku)
    return json_response(
        Stock(
            hub=hub,
            sku=sku,
            received=row["received"],
            allocated=row["allocated"],
            available=row["received"] - row["allocated"],
        )
    )
