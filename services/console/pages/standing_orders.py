"""Standing orders (README "Standing orders"): the hub's series, newest first, and one series
with the orders its occurrences placed; staff pause, resume and cancel it."""

from aiohttp import web

from services.console.accounts import Role
from services.console.backends import UUID, backends_of
from services.console.redirects import see_other
from services.console.sessions import allowed
from services.console.views import hub_of, language, render

routes = web.RouteTableDef()

ACTS = ("pause", "resume", "cancel")


@routes.get("/pesanan-berulang")
async def standing_orders(request: web.Request) -> web.Response:
    listed = await backends_of(request).get(
        "orders", ("v1", "standing-orders"), language=language(request)
    )
    hub = hub_of(request)
    series = [one for one in listed["standing_orders"] if one["hub"] == hub]
    return render(request, "standing_orders.html", {"series": series})


@routes.get("/pesanan-berulang/{id:" + UUID + "}")
async def standing_order(request: web.Request) -> web.Response:
    series = await backends_of(request).get(
        "orders", ("v1", "standing-orders", request.match_info["id"]), language=language(request)
    )
    context = {"series": series, "done": request.query.get("selesai")}
    return render(request, "standing_order.html", context)


@routes.post("/pesanan-berulang/{id:" + UUID + "}/{act:pause|resume|cancel}")
@allowed(Role.staff)
async def change(request: web.Request) -> web.Response:
    series_id, act = request.match_info["id"], request.match_info["act"]
    await backends_of(request).post(
        "orders", ("v1", "standing-orders", series_id, act), language=language(request)
    )
    raise see_other(f"/pesanan-berulang/{series_id}?selesai={act}")
