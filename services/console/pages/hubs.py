"""Hubs, for admins only: where each is, when it opens, and whether the buyers' site takes orders
there. Intake keeps them and checks them; the site reads them from there within seconds."""

from typing import Any

from aiohttp import web

from services.console.accounts import Role
from services.console.backends import CODE, BackendError, backends_of
from services.console.forms import errors_by_field
from services.console.redirects import see_other
from services.console.sessions import allowed
from services.console.views import language, render
from shared import opening_hours

routes = web.RouteTableDef()
HUBS = "/pengaturan-hub"
ONE_HUB = HUBS + "/{code:" + CODE.pattern + "}"
SHOWN = 100  # a country's provinces, and then some


@routes.get(HUBS)
@allowed(Role.admin)
async def hubs(request: web.Request) -> web.Response:
    listed = await backends_of(request).get(
        "intake", ("v1", "hubs"), language=language(request), params={"limit": SHOWN}
    )
    context = {
        "hubs": listed["hubs"],
        "total": listed["total"],
        "hours": {hub["code"]: opening_hours.lines(hub["opening_hours"]) for hub in listed["hubs"]},
        "saved": request.query.get("disimpan"),
    }
    return render(request, "hubs.html", context)


@routes.get(ONE_HUB)
@allowed(Role.admin)
async def hub_form(request: web.Request) -> web.Response:
    hub = await _hub(request)
    values = {
        "address": hub["address"] or "",
        "takes_site_orders": hub["takes_site_orders"],
        **opening_hours.form_values(hub["opening_hours"]),
    }
    return _form(request, hub, values, {})


@routes.post(ONE_HUB)
@allowed(Role.admin)
async def save_hub(request: web.Request) -> web.Response:
    form = await request.post()
    hub = await _hub(request)
    hours, errors = opening_hours.from_form(form)
    values = {
        "address": str(form.get("address", "")).strip(),
        "takes_site_orders": form.get("takes_site_orders") == "ya",
        **{name: str(form.get(name, "")) for name in opening_hours.form_values([])},
    }
    lang = language(request)
    if errors:
        shown = {field: message.in_language(lang) for field, message in errors.items()}
        return _form(request, hub, values, shown, status=422)
    body = {
        "address": values["address"] or None,
        "opening_hours": hours,
        "takes_site_orders": values["takes_site_orders"],
    }
    try:
        await backends_of(request).call(
            "intake", "PATCH", ("v1", "hubs", hub["code"]), language=lang, json=body
        )
    except BackendError as error:
        if error.status != 422:
            raise
        return _form(request, hub, values, errors_by_field(error), error, status=422)
    raise see_other(f"{HUBS}?disimpan={hub['code']}")


async def _hub(request: web.Request) -> dict[str, Any]:
    return await backends_of(request).get(
        "intake", ("v1", "hubs", request.match_info["code"]), language=language(request)
    )


def _form(
    request: web.Request,
    hub: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    problem: BackendError | None = None,
    status: int = 200,
) -> web.Response:
    context = {
        "the_hub": hub,
        "values": values,
        "errors": errors,
        "problem": problem,
        "days": [(day, opening_hours.DAY_NAMES[day]) for day in opening_hours.DAYS],
    }
    return render(request, "hub_form.html", context, status=status)
