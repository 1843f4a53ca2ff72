"""Order windows (issue 21): each operator reads the hub's windows with the units ordered so
far, and the summary of those that closed; the admin opens one for a product (times typed in the
hub's own zone), changes its cap or end, and closes it early. The orders service keeps them and
checks them (services/orders/api/windows.py)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.forms import as_number, errors_by_field
from services.console.redirects import see_other
from services.console.sessions import allowed
from services.console.views import hub_of, language, render

routes = web.RouteTableDef()
WINDOWS = "/jendela-pesan"
ONE = WINDOWS + "/{id:" + UUID + "}"


@routes.get(WINDOWS)
@allowed(Role.viewer)
async def windows(request: web.Request) -> web.Response:
    return await _page(request, {}, {})


@routes.post(WINDOWS)
@allowed(Role.admin)
async def open_window(request: web.Request) -> web.Response:
    form = await request.post()
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    hub = await _hub(request)
    body = {
        "hub": hub["code"],
        "sku": values["sku"],
        "opens_at": _in_zone(values["opens_at"], hub["timezone"]),
        "closes_at": _in_zone(values["closes_at"], hub["timezone"]),
        "cap": as_number(values["cap"]),
        "timezone": hub["timezone"],
    }
    try:
        await backends_of(request).post(
            "orders", ("v1", "order-windows"), language=language(request), json=body
        )
    except BackendError as error:
        if error.status not in (409, 422):
            raise
        return await _page(request, values, errors_by_field(error), error, status=error.status)
    raise see_other(f"{WINDOWS}?selesai=buka")


@routes.post(ONE)
@allowed(Role.admin)
async def change_window(request: web.Request) -> web.Response:
    form = await request.post()
    hub = await _hub(request)
    body: dict[str, Any] = {}
    if cap := str(form.get("cap", "")).strip():
        body["cap"] = as_number(cap)
    if closes := str(form.get("closes_at", "")).strip():
        body["closes_at"] = _in_zone(closes, hub["timezone"])
    try:
        await backends_of(request).call(
            "orders",
            "PATCH",
            ("v1", "order-windows", request.match_info["id"]),
            language=language(request),
            json=body,
        )
    except BackendError as error:
        if error.status not in (409, 422):
            raise
        return await _page(request, {}, {}, error, status=error.status)
    raise see_other(f"{WINDOWS}?selesai=ubah")


@routes.post(ONE + "/tutup")
@allowed(Role.admin)
async def close_window(request: web.Request) -> web.Response:
    await backends_of(request).post(
        "orders",
        ("v1", "order-windows", request.match_info["id"], "close"),
        language=language(request),
    )
    raise see_other(f"{WINDOWS}?selesai=tutup")


FIELDS = ("sku", "opens_at", "closes_at", "cap")


async def _hub(request: web.Request) -> dict[str, Any]:
    return await backends_of(request).get(
        "intake", ("v1", "hubs", hub_of(request)), language=language(request)
    )


def _in_zone(typed: str, timezone: str) -> str:
    """A form's local date and time (datetime-local: 2026-12-10T08:00) in the hub's zone, as
    the API takes it; anything else as typed, for the API to refuse naming the field."""
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        return typed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.isoformat()


def _local(moment: str, timezone: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone)).strftime("%d-%m-%Y %H:%M")


async def _page(
    request: web.Request,
    values: dict[str, str],
    errors: dict[str, str],
    problem: BackendError | None = None,
    status: int = 200,
) -> web.Response:
    backends, lang = backends_of(request), language(request)
    listed = await backends.get(
        "orders", ("v1", "order-windows"), language=lang, params={"hub": hub_of(request)}
    )
    shown = [
        {
            **window,
            "opens_local": _local(window["opens_at"], window["timezone"]),
            "closes_local": _local(window["closed_at"] or window["closes_at"], window["timezone"]),
        }
        for window in listed["windows"]
    ]
    context = {
        "windows": shown,
        "values": {name: values.get(name, "") for name in FIELDS},
        "errors": errors,
        "problem": problem,
        "done": request.query.get("selesai"),
    }
    return render(request, "order_windows.html", context, status=status)
