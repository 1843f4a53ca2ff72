"""The operators' look-ups: find orders by id, buyer name or phone (or fetch a page of them by
id, to name the buyers beside a page of the queue), and read an order's history."""

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from services.orders import handlers
from services.orders.auth import OPERATOR_ONLY, Caller, as_operator
from services.orders.history import OrderHistory
from services.orders.models import Order, OrderStatus
from services.orders.store import search
from services.orders.store.history import of_order
from services.orders.store.orders import order_by_id, order_from
from shared.fields import NAME_PATTERN, HubCode, Sku
from shared.openapi import documented
from shared.problems import Text, from_validation_error, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()

# 100 ids fill about 4 KB of the URL: with the other parameters at their longest the request
# line stays within the 8 KB that aiohttp (and most servers) take; 200 would not.
MAX_IDS = 100
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _one_or_many(value: object) -> object:
    """`?id=a` is one id; `?id=a&id=b` several (the handler reads them all)."""
    return [value] if isinstance(value, str) else value


SearchText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=100, pattern=NAME_PATTERN),
]


class OrderSearch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # An order id (whole, or its first 8 hex digits), or part of a buyer's name or phone number.
    q: SearchText | None = None
    hub: HubCode | None = None
    sku: Sku | None = None
    status: OrderStatus | None = None
    # These orders only (repeat the parameter: ?id=...&id=...).
    id: (
        Annotated[
            list[uuid.UUID], BeforeValidator(_one_or_many), Field(min_length=1, max_length=MAX_IDS)
        ]
        | None
    ) = None
    # By default 50, or as many as the ids asked for.
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=search.MAX_TOTAL)


class OrderList(BaseModel):
    """The matching orders, newest first (`limit` from `offset`). `total` counts them all, up
    to 1,000; `total_capped` says there are more than that (narrow the search to see them)."""

    total: int
    total_capped: bool
    orders: list[Order]


@routes.get("/v1/orders")
@documented(
    operation_id="findOrders",
    summary=Text("Cari pesanan", "Find orders"),
    query=OrderSearch,
    answers={200: OrderList},
    auth="operator",
    guard=as_operator,
    problems=(OPERATOR_ONLY,),
)
async def get_orders(request: web.Request, _caller: Caller, asked: OrderSearch) -> web.Response:
    """`q` matches an order id (whole, or its first 8 hex digits or more), part of the
    buyer's name (any case), or part of the buyer's phone number (3 digits or more; `0812...`,
    `62812...` and `+62 812...` alike). `hub`, `status` and `id` narrow the list further."""
    if len(ids := request.query.getall("id", [])) > 1:  # the decorator's saw the first alone
        try:
            asked = OrderSearch.model_validate({**request.query, "id": ids})
        except ValidationError as error:
            raise from_validation_error(error) from None
    limit = asked.limit or (len(asked.id) if asked.id else DEFAULT_LIMIT)
    conditions = search.conditions_of(
        text=asked.q, hub=asked.hub, status=asked.status, ids=asked.id, sku=asked.sku
    )
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot, so the count and the page agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            rows = await conn.fetch(*_spread(search.page_query(conditions, limit, asked.offset)))
            total = await conn.fetchval(*_spread(search.count_query(conditions)))
    return json_response(
        OrderList(
            total=min(total, search.MAX_TOTAL),
            total_capped=total > search.MAX_TOTAL,
            orders=[order_from(row) for row in rows],
        )
    )


@routes.get("/v1/orders/{order_id}/history")
@documented(
    operation_id="getOrderHistory",
    summary=Text("Riwayat pesanan", "An order's history"),
    answers={200: OrderHistory},
    auth="operator",
    guard=as_operator,
    path={"order_id": uuid.UUID},
    problems=(OPERATOR_ONLY,),
)
async def get_history(request: web.Request, _caller: Caller) -> web.Response:
    """Oldest first: placed, each allocation (units and lots), release, expiry, cancel, hand
    over, and the partner's status callbacks delivered or given up on."""
    order_id = uuid_in_path(request, "order_id", handlers.ORDER)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            if await order_by_id(conn, order_id, None) is None:
                raise not_found(handlers.ORDER, order_id)
            events = await of_order(conn, order_id)
    return json_response(OrderHistory(order_id=order_id, events=events))


def _spread(query: tuple[str, list]) -> list:
    sql, params = query
    return [sql, *params]
