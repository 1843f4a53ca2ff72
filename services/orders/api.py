"""The orders HTTP API: place, read, cancel and hand over orders; the catalog buyers may order
from."""

import re

from aiohttp import web

from services.orders import handlers, store
from services.orders.models import CatalogEntry, NewOrder, OrderWithStanding
from services.orders.standing import ALLOCATOR
from shared.operators import is_operator, require_operator
from shared.problems import FieldError, Problem, Text, invalid, not_found
from shared.web import (
    DATABASE,
    current_correlation_id,
    json_response,
    read_json,
    uuid_in_path,
)

routes = web.RouteTableDef()

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as the IETF draft says


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise invalid(
            FieldError(
                IDEMPOTENCY_HEADER,
                "invalid_header",
                Text("1-255 karakter ASCII tanpa spasi", "1-255 printable ASCII characters"),
            )
        )
    return key


@routes.post("/v1/orders")
async def post_order(request: web.Request) -> web.Response:
    key = idempotency_key(request)
    new = await read_json(request, NewOrder)
    # A wrong token is refused by is_operator itself; no token at all is refused here.
    if new.priority_class is not None and not is_operator(request):
        raise _class_needs_operator()
    async with request.app[DATABASE].acquire() as conn:
        answer = await handlers.place_order(conn, new, current_correlation_id(), key)
    response = web.Response(text=answer.body, status=answer.status, content_type="application/json")
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@routes.get("/v1/orders/{id}")
async def get_order(request: web.Request) -> web.Response:
    order_id = uuid_in_path(request, "id", handlers.ORDER)
    async with request.app[DATABASE].acquire() as conn:
        order = await store.order_by_id(conn, order_id)
    if order is None:
        raise not_found(handlers.ORDER, order_id)
    # Asked with the database connection back in the pool: the allocator may take seconds.
    standing = await request.app[ALLOCATOR].standing(order)
    return json_response(OrderWithStanding(**order.model_dump(), **standing.model_dump()))


@routes.post("/v1/orders/{id}/cancel")
async def post_cancel(request: web.Request) -> web.Response:
    order_id = uuid_in_path(request, "id", handlers.ORDER)
    async with request.app[DATABASE].acquire() as conn:
        order = await handlers.cancel_order(conn, order_id, current_correlation_id())
    return json_response(order)


@routes.post("/v1/orders/{id}/fulfil")
async def post_fulfil(request: web.Request) -> web.Response:
    """The operator hands the order's held units to the buyer."""
    require_operator(request)
    order_id = uuid_in_path(request, "id", handlers.ORDER)
    async with request.app[DATABASE].acquire() as conn:
        order = await handlers.fulfil_order(conn, order_id, current_correlation_id())
    return json_response(order)


@routes.get("/v1/hubs/{hub}/products")
async def get_catalog(request: web.Request) -> web.Response:
    """What buyers can order in a hub, and at what price."""
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(store.CATALOG_OF_HUB, request.match_info["hub"])
    entries = [CatalogEntry.model_validate(dict(row)).model_dump(mode="json") for row in rows]
    return web.json_response({"products": entries})


def _class_needs_operator() -> Problem:
    error = FieldError(
        "priority_class",
        "operator_only",
        Text("hanya operator yang boleh menentukan kelas prioritas", "only an operator may set it"),
    )
    return Problem(
        403,
        "forbidden-field",
        Text("Kolom ini khusus operator", "This field is for operators only"),
        Text(
            "Hapus priority_class, atau kirim token operator",
            "Remove priority_class, or send the operator token",
        ),
        errors=[error],
    )
