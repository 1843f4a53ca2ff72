"""Free-mask programmes (issue 21): every operator reads the hub's programmes with their budget
committed, spent and left, one programme's applications and draws; an admin opens a programme
and runs its draw. The orders service keeps them and checks every rule (budget, eligibility,
the draw); the console only asks it, with the signed-in operator's role token.

"Buka program" and "Draw now" carry the counter's nonce (counter_nonces.py), sent on as the
Idempotency-Key: a second click of the same form is the same programme or draw, not another.
"""

import asyncio
from typing import Any

from aiohttp import web

from services.console import programme_form
from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.counter_nonces import new_nonce
from services.console.pages.counter_orders import keyed_form
from services.console.pages.today import products_of
from services.console.redirects import see_other
from services.console.sessions import CSRF, OPERATOR, allowed
from services.console.views import PUBLIC_SITE, hub_of, language, render
from shared.order_form import BUYER_TYPE_NAMES

routes = web.RouteTableDef()
PROGRAMMES = "/program"
NEW = PROGRAMMES + "/baru"
ONE = PROGRAMMES + "/{id:" + UUID + "}"
# A programme page lists this many applications, newest first; the report has them all.
SHOWN_APPLICATIONS = 200
MAX_DRAW_FORM = 4 * 1024
# A hundred regencies' names and a price for each product of a large catalog.
MAX_PROGRAMME_FORM = 64 * 1024
DONE = {"buka", "undi"}


def _types(request: web.Request) -> dict[str, str]:
    lang = language(request)
    return {kind: words.in_language(lang) for kind, words in BUYER_TYPE_NAMES.items()}


@routes.get(PROGRAMMES)
async def programmes(request: web.Request) -> web.Response:
    listed = await backends_of(request).get(
        "orders", ("v1", "programmes"), language=language(request), params={"hub": hub_of(request)}
    )
    return render(request, "programmes.html", {"programmes": listed["programmes"]})


@routes.get(NEW)
@allowed(Role.admin)
async def new_programme_form(request: web.Request) -> web.Response:
    typed = {name: "" for name in programme_form.PROGRAMME_FIELDS}
    typed |= {"products": [], "prices": {}, "buyer_types": [], "selection": "lottery"}
    nonce = new_nonce(request[CSRF], request[OPERATOR].id)
    return await _programme_form(request, typed, nonce, {})


@routes.post(NEW)
@allowed(Role.admin)
async def open_programme(request: web.Request) -> web.Response:
    form, key = await keyed_form(request, MAX_PROGRAMME_FORM)
    catalog = await products_of(request)
    typed, body = programme_form.programme_body(form, hub_of(request), (p["sku"] for p in catalog))
    nonce = str(form["nonce"])
    try:
        made = await backends_of(request).post(
            "orders",
            ("v1", "programmes"),
            language=language(request),
            json=body,
            headers={"Idempotency-Key": key},
        )
    except BackendError as error:
        if error.status >= 500 or error.status in (401, 403):
            raise
        errors = programme_form.errors_of(error)
        shown = None if errors else error.problem
        return await _programme_form(request, typed, nonce, errors, shown, catalog, error.status)
    raise see_other(f"{PROGRAMMES}/{made['id']}?selesai=buka")


async def _programme_form(
    request: web.Request,
    typed: dict[str, Any],
    nonce: str,
    errors: dict[str, str],
    problem: dict[str, Any] | None = None,
    catalog: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> web.Response:
    context = {
        "typed": typed,
        "nonce": nonce,
        "errors": errors,
        "problem": problem,
        "catalog": catalog if catalog is not None else await products_of(request),
        "buyer_types": _types(request),
        "price_field": programme_form.price_field,
    }
    return render(request, "programme_form.html", context, status=status)


@routes.get(ONE)
async def programme(request: web.Request) -> web.Response:
    return await _programme_page(request)


async def _programme_page(
    request: web.Request, problem: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    backends, lang, programme_id = backends_of(request), language(request), request.match_info["id"]
    path = ("v1", "programmes", programme_id)
    found, draws, applications = await asyncio.gather(
        backends.get("orders", path, language=lang),
        backends.get("orders", (*path, "draws"), language=lang),
        backends.get("orders", (*path, "applications"), language=lang),
    )
    hub = await backends.get("intake", ("v1", "hubs", found["hub"]), language=lang)
    listed = applications["applications"]
    operator = request[OPERATOR]
    context = {
        "programme": found,
        "timezone": hub.get("timezone"),
        "draws": sorted(draws["draws"], key=lambda draw: draw["at"], reverse=True),
        "applications": sorted(listed, key=lambda a: a["applied_at"], reverse=True)[
            :SHOWN_APPLICATIONS
        ],
        "applications_total": len(listed),
        "waiting": sum(1 for one in listed if one["status"] == "waiting"),
        "admitted": sum(1 for one in listed if one["status"] == "admitted"),
        "buyer_types": _types(request),
        "nonce": new_nonce(request[CSRF], operator.id) if operator.may(Role.admin) else "",
        "problem": problem,
        "errors": {},
        "done": request.query.get("selesai") if request.query.get("selesai") in DONE else None,
        "site": request.app[PUBLIC_SITE],
    }
    return render(request, "programme.html", context, status=status)


@routes.post(ONE + "/undi")
@allowed(Role.admin)
async def draw(request: web.Request) -> web.Response:
    _, key = await keyed_form(request, MAX_DRAW_FORM)
    programme_id = request.match_info["id"]
    try:
        await backends_of(request).post(
            "orders",
            ("v1", "programmes", programme_id, "draws"),
            language=language(request),
            json={},
            headers={"Idempotency-Key": key},
        )
    except BackendError as error:
        if error.status >= 500 or error.status in (401, 403, 404):
            raise
        return await _programme_page(request, error.problem, error.status)
    raise see_other(f"{PROGRAMMES}/{programme_id}?selesai=undi#undian")
