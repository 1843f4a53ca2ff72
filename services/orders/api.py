"""The orders HTTP API: place, read, cancel and hand over orders; the catalog buyers may order
from."""

from aiohttp import web

from services.orders import handlers, idempotency, store
from services.orders.auth import READ, WRITE, authenticate
from services.orders.idempotency import Answer
from services.orders.models import CatalogEntry, NewOrder, OrderWithStanding
from services.orders.standing import ALLOCATOR
from shared.problems import FieldError, Problem, Text, not_found
from shared.web import (
    DATABASE,
    current_correlation_id,
    json_response,
    read_json,
    uuid_in_path,
)

routes = web.RouteTableDef()


@routes.post("/v1/orders")
async def post_order(request: web.Request) -> web.Response:
    caller = await authenticate(request, WRITE)
    key = idempotency.key_of(request, required=not caller.is_operator)
    new = await read_json(request, NewOrder)
    caller.require_hub(new.hub)
    if new.priority_class is not None and not caller.is_operator:
        raise _class_needs_operator()

    async def place() -> Answer:
        order = await handlers.place_order(conn, new, caller.partner_id, current_correlation_id())
        return Answer(201, order.model_dump_json())

    async with request.app[DATABASE].acquire() as conn:
        what = f"POST /v1/orders\n{new.model_dump_json()}"
        answer = await idempotency.once(conn, caller.owner, key, what, place)
    return answer.response()


@routes.get("/v1/orders/{id}")
async def get_order(request: web.Request) -> web.Response:
    caller = await authenticate(request, READ)
    order_id = uuid_in_path(request, "id", handlers.ORDER)
    async with request.app[DATABASE].acquire() as conn:
        order = await store.order_by_id(conn, order_id, caller.partner_id)
    if order is None:  # another partner's order too: its existence is not theirs to know
        raise not_found(handlers.ORDER, order_id)
    # Asked with the database connection back in the pool: the allocator may take seconds.
    standing = await request.app[ALLOCATOR].standing(order)
    return json_response(OrderWithStanding(**order.model_dump(), **standing.model_dump()))


@routes.post("/v1/orders/{id}/cancel")
async def post_cancel(request: web.Request) -> web.Response:
    caller = await authenticate(request, WRITE)
    key = idempotency.key_of(request, required=not caller.is_operator)
    order_id = uuid_in_path(request, "id", handlers.ORDER)

    async def cancel() -> Answer:
        order = await handlers.cancel_order(
            conn, order_id, caller.partner_id, current_correlation_id()
        )
        return Answer(200, order.model_dump_json())

    async with request.app[DATABASE].acquire() as conn:
        answer = await idempotency.once(conn, caller.owner, key, request.path, cancel)
    return answer.response()


@routes.post("/v1/orders/{id}/fulfil")
async def post_fulfil(request: web.Request) -> web.Response:
    """The operator hands the order's held units to the buyer."""
    caller = await authenticate(request, None)
    caller.require_operator()
    key = idempotency.key_of(request, required=False)
    order_id = uuid_in_path(request, "id", handlers.ORDER)

    async def fulfil() -> Answer:
        order = await handlers.fulfil_order(conn, order_id, current_correlation_id())
        return Answer(200, order.model_dump_json())

    async with request.app[DATABASE].acquire() as conn:
        answer = await idempotency.once(conn, caller.owner, key, request.path, fulfil)
    return answer.response()


@routes.get("/v1/hubs/{hub}/products")
async def get_catalog(request: web.Request) -> web.Response:
    """What buyers can order in a hub, and at what price."""
    caller = await authenticate(request, READ)
    hub = request.match_info["hub"]
    caller.require_hub(hub)
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(store.CATALOG_OF_HUB, hub)
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
