"""The queue of one product (`/antrean?sku=&offset=`), a hundred orders a page, with the orders
whose units wait at the counter; staff mark an order collected or cancel it, and set how the
product is shared (its allocation policy)."""

import asyncio
from typing import Any

from aiohttp import web
from yarl import URL

from services.console.accounts import Role
from services.console.backends import NO_SUCH_PAGE, UUID, BackendError, backends_of, is_code
from services.console.pages.today import products_of
from services.console.redirects import see_other
from services.console.sessions import allowed
from services.console.views import hub_of, language, render

routes = web.RouteTableDef()

PAGE = 100
MODES = ("fifo", "fair_share", "lottery")
# The form asks for hours; the allocator keeps seconds.
_FORM_FIELD = {"hold_seconds": "hold_hours"}


async def orders_by_id(request: web.Request, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The orders service's records of `ids` (for the buyers' names), by id; one call."""
    if not ids:
        return {}
    answer = await backends_of(request).get(
        "orders", ("v1", "orders"), language=language(request), params=[("id", i) for i in ids]
    )
    return {order["id"]: order for order in answer["orders"]}


def _product(value: str) -> str:
    """A product's code as typed or sent back by a form: a code, or no page at all."""
    sku = value.strip()
    if sku and not is_code(sku):
        raise NO_SUCH_PAGE
    return sku


def _offset(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _back_to(sku: str, offset: int, done: str = "") -> str:
    query = (
        {"sku": sku}
        | ({"offset": str(offset)} if offset else {})
        | ({"selesai": done} if done else {})
    )
    return str(URL("/antrean").with_query(query))


async def _awaiting_pickup(request: web.Request, sku: str) -> list[dict[str, Any]]:
    """Orders of the product holding units not yet collected: every unit given (`allocated`)
    and the partly served ones."""
    answers = await asyncio.gather(
        *(
            backends_of(request).get(
                "orders",
                ("v1", "orders"),
                language=language(request),
                params={"hub": hub_of(request), "sku": sku, "status": status, "limit": PAGE},
            )
            for status in ("allocated", "partially_allocated")
        )
    )
    found = [order for answer in answers for order in answer["orders"]]
    return sorted(found, key=lambda order: order["placed_at"])


async def _queue_page(
    request: web.Request,
    sku: str,
    offset: int,
    *,
    problem: dict[str, Any] | None = None,
    policy_entered: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    hub, lang = hub_of(request), language(request)
    backends = backends_of(request)
    if not sku:  # the hub's first product, by default
        products = await products_of(request)
        sku = products[0]["sku"] if products else ""
    context: dict[str, Any] = {
        "sku": sku,
        "offset": offset,
        "page_size": PAGE,
        "problem": problem,
        "errors": {
            _FORM_FIELD.get(e.get("field"), e.get("field")): e.get("message")
            for e in (problem or {}).get("errors", [])
        },
        "done": request.query.get("selesai", ""),
        "modes": MODES,
        "queue": None,
        "products": [],
    }
    if sku:
        path = ("v1", "hubs", hub, "products", sku)
        # None of these waits for another: asked at once, the page takes as long as the slowest.
        products, queue, policy, pickup = await asyncio.gather(
            products_of(request),
            backends.get(
                "allocator",
                (*path, "queue"),
                language=lang,
                params={"limit": PAGE, "offset": offset},
            ),
            backends.get("allocator", (*path, "policy"), language=lang),
            _awaiting_pickup(request, sku),
        )
        buyers = await orders_by_id(request, [row["order_id"] for row in queue["orders"]])
        context |= {
            "products": products,
            "queue": queue,
            "rows": [{**row, "order": buyers.get(row["order_id"])} for row in queue["orders"]],
            "pickup": pickup,
            "policy": policy,
            "policy_entered": policy_entered
            or {
                "mode": policy["mode"],
                "per_buyer_daily_cap": str(policy["per_buyer_daily_cap"] or ""),
                "hold_hours": f"{policy['hold_seconds'] / 3600:g}",
            },
        }
    return render(request, "queue.html", context, status=status)


@routes.get("/antrean")
async def queue_page(request: web.Request) -> web.Response:
    return await _queue_page(
        request, _product(request.query.get("sku", "")), _offset(request.query.get("offset", ""))
    )


async def _order_action(request: web.Request, action: str, done: str) -> web.Response:
    form = await request.post()
    sku, offset = _product(str(form.get("sku", ""))), _offset(str(form.get("offset", "")))
    order_id = request.match_info["order_id"]
    try:
        await backends_of(request).post(
            "orders", ("v1", "orders", order_id, action), language=language(request)
        )
    except BackendError as error:
        if error.status >= 500:
            raise
        return await _queue_page(request, sku, offset, problem=error.problem, status=error.status)
    raise see_other(_back_to(sku, offset, done))


@routes.post("/antrean/{order_id:" + UUID + "}/diambil")
@allowed(Role.staff)
async def mark_collected(request: web.Request) -> web.Response:
    return await _order_action(request, "fulfil", "diambil")


@routes.post("/antrean/{order_id:" + UUID + "}/batal")
@allowed(Role.staff)
async def cancel(request: web.Request) -> web.Response:
    return await _order_action(request, "cancel", "batal")


def _hours_as_seconds(hours: str) -> int | str:
    try:
        return round(float(hours.replace(",", ".")) * 3600)
    except ValueError:
        return hours  # as typed: the allocator names the field


@routes.post("/antrean/kebijakan")
@allowed(Role.staff)
async def set_policy(request: web.Request) -> web.Response:
    form = await request.post()
    entered = {
        name: str(form.get(name, "")).strip()
        for name in ("mode", "per_buyer_daily_cap", "hold_hours")
    }
    sku = _product(str(form.get("sku", "")))
    path = ("v1", "hubs", hub_of(request), "products", sku, "policy")
    lang = language(request)
    backends = backends_of(request)
    try:
        # The form sets three rules; the priority classes and their reserves stay as they are.
        current = await backends.get("allocator", path, language=lang)
        cap = entered["per_buyer_daily_cap"]
        rules = {
            "mode": entered["mode"],
            "per_buyer_daily_cap": (int(cap) if cap.isdigit() else cap) or None,
            "hold_seconds": _hours_as_seconds(entered["hold_hours"]),
            "classes": current["classes"],
        }
        await backends.call("allocator", "PUT", path, language=lang, json=rules)
    except BackendError as error:
        if error.status >= 500:
            raise
        return await _queue_page(
            request, sku, 0, problem=error.problem, policy_entered=entered, status=error.status
        )
    raise see_other(_back_to(sku, 0, "kebijakan"))
