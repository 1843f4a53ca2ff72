"""The counter (`/loket`): find the producer at the window, type the quantity and the rejects,
and see the allocation the delivery caused a second later.

A search that finds one producer chooses them, so a phone number and Enter make the form ready;
the product defaults to the hub's first. The delivery's page refreshes itself while the
allocator has not yet heard of the delivery (the event takes a moment), then shows who got what.
"""

import uuid
from typing import Any

from aiohttp import web

from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.forms import as_number
from services.console.pages.queue import orders_by_id
from services.console.pages.today import products_of
from services.console.redirects import see_other
from services.console.sessions import allowed
from services.console.views import hub_of, language, render

routes = web.RouteTableDef()

SEARCH_LIMIT = 20
FIRST_ROWS = 20  # of a delivery's allocations, shown on its page


async def _producer(request: web.Request, producer_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(producer_id)
        return await backends_of(request).get(
            "intake", ("v1", "producers", producer_id), language=language(request)
        )
    except ValueError:
        return None
    except BackendError as error:
        if error.status in (404, 422):
            return None
        raise


async def _counter(
    request: web.Request,
    *,
    query: str,
    producer_id: str,
    entered: dict[str, str] | None = None,
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    hub, lang = hub_of(request), language(request)
    found: list[dict[str, Any]] = []
    total = 0
    if query:
        answer = await backends_of(request).get(
            "intake",
            ("v1", "producers"),
            language=lang,
            params={"hub": hub, "q": query, "limit": SEARCH_LIMIT},
        )
        found, total = answer["producers"], answer["total"]
        if len(found) == 1 and not producer_id:
            producer_id = found[0]["id"]
    producer = await _producer(request, producer_id) if producer_id else None
    products = await products_of(request)
    errors = {
        error.get("field"): error.get("message") for error in (problem or {}).get("errors", [])
    }
    return render(
        request,
        "counter.html",
        {
            "view": "form",
            "query": query,
            "found": found,
            "total": total,
            "producer": producer,
            "products": products,
            "entered": entered or {"sku": products[0]["sku"] if products else "", "rejected": "0"},
            "problem": problem,
            "errors": errors,
        },
        status=status,
    )


@routes.get("/loket")
async def counter(request: web.Request) -> web.Response:
    return await _counter(
        request,
        query=request.query.get("q", "").strip(),
        producer_id=request.query.get("producer", "").strip(),
    )


@routes.post("/loket")
@allowed(Role.staff)
async def record_delivery(request: web.Request) -> web.Response:
    form = await request.post()
    entered = {
        name: str(form.get(name, "")) for name in ("producer_id", "sku", "quantity", "rejected")
    }
    body = {
        "hub": hub_of(request),
        "producer_id": entered["producer_id"],
        "sku": entered["sku"],
        "quantity": as_number(entered["quantity"]),
        "rejected": as_number(entered["rejected"] or "0"),
    }
    try:
        delivery = await backends_of(request).post(
            "intake", ("v1", "deliveries"), language=language(request), json=body
        )
    except BackendError as error:
        if error.status >= 500:
            raise
        # Nothing was recorded: the same form again, with the intake's words for each field.
        return await _counter(
            request,
            query="",
            producer_id=entered["producer_id"],
            entered=entered,
            problem=error.problem,
            status=error.status,
        )
    raise see_other(f"/loket/setoran/{delivery['id']}")


async def _allocations(request: web.Request, delivery_id: str) -> dict[str, Any] | None:
    """The allocator's view of the delivery; None while it has not heard of it yet."""
    try:
        return await backends_of(request).get(
            "allocator",
            ("v1", "deliveries", delivery_id, "allocations"),
            language=language(request),
        )
    except BackendError as error:
        if error.status == 404:
            return None
        raise


@routes.get("/loket/setoran/{delivery_id:" + UUID + "}")
async def delivery_page(request: web.Request) -> web.Response:
    delivery_id = request.match_info["delivery_id"]
    lang = language(request)
    backends = backends_of(request)
    delivery = await backends.get("intake", ("v1", "deliveries", delivery_id), language=lang)
    producer = await _producer(request, delivery["producer_id"])
    allocation = await _allocations(request, delivery_id)
    rows: list[dict[str, Any]] = []
    orders = more = 0
    if allocation is not None:
        orders = len({row["order_id"] for row in allocation["allocations"]})
        rows = allocation["allocations"][:FIRST_ROWS]
        buyers = await orders_by_id(request, [row["order_id"] for row in rows])
        rows = [{**row, "order": buyers.get(row["order_id"])} for row in rows]
        more = orders - len({row["order_id"] for row in rows})
    return render(
        request,
        "counter.html",
        {
            "view": "delivery",
            "delivery": delivery,
            "producer": producer,
            "allocation": allocation,
            # A delivery with nothing accepted gives nothing: no use waiting for it.
            "pending": allocation is None and delivery["accepted"] > 0,
            "orders": orders,
            "more": more,
            "rows": rows,
        },
    )
