"""An application to a programme filed at the counter, for someone who walks in or phones
(issue 21): the programme's products, recipient types and regencies to choose from, the NIK of
a citizen (checked and hashed by the orders service, never kept here), and the answer read back
so the operator tells the applicant what the programme says: admitted, or waiting for a draw.

As a counter order, the form's nonce becomes the Idempotency-Key (one application for a double
submit) and the staff member who filed it is kept with the order (counter_orders).
"""

import uuid
from typing import Any

from aiohttp import web

from services.console import programme_form
from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.counter_nonces import new_nonce
from services.console.pages.counter_orders import (
    MAX_FORM_BYTES,
    RECORD_TAKER,
    keyed_form,
    taker_of,
)
from services.console.pages.programmes import ONE
from services.console.redirects import see_other
from services.console.sessions import CSRF, OPERATOR, allowed
from services.console.views import language, render
from shared.order_form import BUYER_TYPE_NAMES
from shared.web import DATABASE

routes = web.RouteTableDef()
APPLY = ONE + "/permohonan"


async def _programme(request: web.Request) -> dict[str, Any]:
    return await backends_of(request).get(
        "orders", ("v1", "programmes", request.match_info["id"]), language=language(request)
    )


def _form(
    request: web.Request,
    programme: dict[str, Any],
    typed: dict[str, str],
    nonce: str,
    errors: dict[str, str],
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    lang = language(request)
    context = {
        "programme": programme,
        "typed": typed,
        "nonce": nonce,
        "errors": errors,
        "problem": problem,
        "buyer_types": {
            kind: BUYER_TYPE_NAMES[kind].in_language(lang) if kind in BUYER_TYPE_NAMES else kind
            for kind in programme["buyer_types"]
        },
    }
    return render(request, "programme_apply.html", context, status=status)


@routes.get(APPLY)
async def application_form(request: web.Request) -> web.Response:
    programme = await _programme(request)
    typed = dict.fromkeys(programme_form.APPLICATION_FIELDS, "")
    products = programme["products"]
    typed |= {"sku": products[0]["sku"] if products else "", "quantity": "1", "language": "id"}
    operator = request[OPERATOR]
    nonce = new_nonce(request[CSRF], operator.id) if operator.may(Role.staff) else ""
    return _form(request, programme, typed, nonce, {})


@routes.post(APPLY)
@allowed(Role.staff)
async def file_application(request: web.Request) -> web.Response:
    form, key = await keyed_form(request, MAX_FORM_BYTES)
    programme = await _programme(request)
    typed, body = programme_form.application_body(form)
    nonce = str(form["nonce"])
    try:
        made = await backends_of(request).post(
            "orders",
            ("v1", "programmes", programme["id"], "applications"),
            language=language(request),
            json=body,
            headers={"Idempotency-Key": key},
        )
    except BackendError as error:
        if error.status >= 500 or error.status in (401, 404):
            raise
        errors = programme_form.errors_of(error)
        shown = None if errors else error.problem
        return _form(request, programme, typed, nonce, errors, shown, error.status)
    order_id = uuid.UUID(str(made["order_id"]))
    await request.app[DATABASE].execute(RECORD_TAKER, order_id, request[OPERATOR].id)
    raise see_other(f"/program/{programme['id']}/permohonan/{order_id}")


@routes.get(APPLY + "/{order:" + UUID + "}")
async def filed(request: web.Request) -> web.Response:
    backends, lang = backends_of(request), language(request)
    order_id = request.match_info["order"]
    programme = await _programme(request)
    order = await backends.get("orders", ("v1", "orders", order_id), language=lang)
    listed = await backends.get(
        "orders", ("v1", "programmes", programme["id"], "applications"), language=lang
    )
    application = next(
        (one for one in listed["applications"] if str(one["order_id"]) == order_id), None
    )
    if application is None:
        raise web.HTTPNotFound()  # an order, but none of this programme's applications
    context = {
        "programme": programme,
        "order": order,
        "application": application,
        "taker": await taker_of(request, order_id),
    }
    return render(request, "programme_applied.html", context)
