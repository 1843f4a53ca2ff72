"""Orders: find one by the buyer's name or phone or its id; see where it stands, its history and
every message sent about it (each attempt: which channel, when, what came of it)."""

import asyncio

from aiohttp import web

from services.console.backends import UUID, BackendError, backends_of
from services.console.forms import errors_by_field
from services.console.pages.counter_orders import taker_of
from services.console.views import hub_of, language, render

routes = web.RouteTableDef()

PAGE_SIZE = 50


@routes.get("/pesanan")
async def orders(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    given = request.query.get("mulai", "0")
    offset = int(given) if given.isdecimal() else 0
    found, refused = None, None
    if query:
        try:
            found = await backends_of(request).get(
                "orders",
                ("v1", "orders"),
                language=language(request),
                params={"q": query, "hub": hub_of(request), "limit": PAGE_SIZE, "offset": offset},
            )
        except BackendError as error:
            if error.status != 422:  # too short, say: the box tells why
                raise
            refused = errors_by_field(error).get("q") or error.problem.get("title")
    context = {
        "query": query,
        "found": found,
        "refused": refused,
        "offset": offset,
        "page_size": PAGE_SIZE,
    }
    return render(request, "orders.html", context)


@routes.get("/pesanan/{id:" + UUID + "}")
async def order_page(request: web.Request) -> web.Response:
    backends, lang = backends_of(request), language(request)
    order_id = request.match_info["id"]
    # The order first: an unknown id is one 404, not three.
    order = await backends.get("orders", ("v1", "orders", order_id), language=lang)
    history, messages = await asyncio.gather(
        backends.get("orders", ("v1", "orders", order_id, "history"), language=lang),
        backends.get("notifier", ("v1", "messages"), language=lang, params={"order_id": order_id}),
    )
    context = {
        "order": order,
        "events": history["events"],
        "messages": messages["messages"],
        "taker": await taker_of(request, order_id),
    }
    return render(request, "order.html", context)
