"""A new order at the counter (`/loket/pesanan-baru`), for buyers who phone or walk in: the
buyers' site's form and rules (shared/order_form.py), placed through the orders API with the
operator's role token, and the staff member who took it kept in the console's schema.

The hidden nonce (counter_nonces.py) becomes the order's `Idempotency-Key`: a second submit of
the same form gets the first order back, not another. The confirmation page reads the order
back, so what the operator tells the buyer is what the queue says.
"""

import asyncio
import uuid
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from services.console.accounts import Role
from services.console.backends import UUID, BackendError, backends_of
from services.console.counter_nonces import idempotency_key, new_nonce
from services.console.pages.today import products_of
from services.console.redirects import see_other
from services.console.sessions import BAD_CSRF, CSRF, OPERATOR, allowed
from services.console.views import hub_of, language, render
from shared import order_form
from shared.problems import Problem, Text
from shared.web import DATABASE

routes = web.RouteTableDef()
FORM = "/loket/pesanan-baru"
# The form's fields are short: anything near this size is no order.
MAX_FORM_BYTES = 16 * 1024
# A nonce is some 60 characters; a longer one is no nonce of ours (and is not hashed).
MAX_NONCE = 200

RECORD_TAKER = """
INSERT INTO counter_orders (order_id, operator_id) VALUES ($1, $2)
ON CONFLICT (order_id) DO NOTHING
"""
TAKER = """
SELECT o.name, c.taken_at FROM counter_orders c JOIN operators o ON o.id = c.operator_id
WHERE c.order_id = $1
"""
NO_PRODUCT = Text("Pilih produk", "Choose the product")
TOO_LARGE = Problem(413, "form-too-large", Text("Formulir terlalu besar", "The form is too large"))


async def _products(request: web.Request) -> list[dict[str, Any]]:
    """The hub's catalog, each with its per-buyer daily cap (None: no cap)."""
    catalog = await products_of(request)
    backends, hub, lang = backends_of(request), hub_of(request), language(request)
    policies = await asyncio.gather(
        *(
            backends.get(
                "allocator", ("v1", "hubs", hub, "products", p["sku"], "policy"), language=lang
            )
            for p in catalog
        )
    )
    return [
        {**p, "cap": policy.get("per_buyer_daily_cap")}
        for p, policy in zip(catalog, policies, strict=True)
    ]


def _form(
    request: web.Request,
    products: list[dict[str, Any]],
    typed: dict[str, str],
    nonce: str,
    errors: dict[str, Text],
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    lang = language(request)
    context = {
        "products": products,
        "typed": typed,
        "nonce": nonce,
        "errors": {field: words.in_language(lang) for field, words in errors.items()},
        "problem": problem,
        "buyer_types": {k: v.in_language(lang) for k, v in order_form.BUYER_TYPE_NAMES.items()},
    }
    return render(request, "counter_order.html", context, status=status)


@routes.get(FORM)
async def new_order_form(request: web.Request) -> web.Response:
    products = await _products(request)
    typed = dict.fromkeys(order_form.FIELDS, "")
    typed |= {"sku": products[0]["sku"] if products else "", "accept_partial": "ya"}
    typed["language"] = "id"
    operator = request[OPERATOR]
    nonce = new_nonce(request[CSRF], operator.id) if operator.may(Role.staff) else ""
    return _form(request, products, typed, nonce, {})


async def keyed_form(request: web.Request, max_bytes: int) -> tuple[MultiDictProxy[Any], str]:
    """A counter form and the Idempotency-Key its nonce stands for; refused (413, 403) when
    larger than `max_bytes` or when its nonce is another session's, or none."""
    if (request.content_length or 0) > max_bytes:
        raise TOO_LARGE
    form = await request.post()
    nonce = str(form.get("nonce", ""))
    too_long = len(nonce) > MAX_NONCE
    key = None if too_long else idempotency_key(nonce, request[CSRF], request[OPERATOR].id)
    if key is None:
        raise BAD_CSRF
    return form, key


@routes.post(FORM)
@allowed(Role.staff)
async def place_order(request: web.Request) -> web.Response:
    form, key = await keyed_form(request, MAX_FORM_BYTES)
    operator = request[OPERATOR]
    products = await _products(request)
    by_sku = {p["sku"]: p for p in products}
    sku = str(form.get("sku", ""))[: order_form.MAX_FIELD_LENGTH]
    product = by_sku.get(sku)
    checked = order_form.check(order_form.typed_in(form), product["cap"] if product else None)
    typed = {**checked.typed, "sku": sku}
    errors = dict(checked.errors) if product else {"sku": NO_PRODUCT, **checked.errors}
    nonce = str(form["nonce"])
    if errors:
        return _form(request, products, typed, nonce, errors, status=400)
    body = {"hub": hub_of(request), "sku": sku, **(checked.order or {})}
    try:
        order = await backends_of(request).post(
            "orders",
            ("v1", "orders"),
            language=language(request),
            json=body,
            headers={"Idempotency-Key": key},
        )
    except BackendError as error:
        if error.status >= 500:
            raise
        return _form(request, products, typed, nonce, {}, error.problem, status=error.status)
    await request.app[DATABASE].execute(RECORD_TAKER, uuid.UUID(order["id"]), operator.id)
    raise see_other(f"/loket/pesanan/{order['id']}")


async def taker_of(request: web.Request, order_id: str) -> dict[str, Any] | None:
    """Who took the order at the counter, and when; None for one placed elsewhere."""
    row = await request.app[DATABASE].fetchrow(TAKER, uuid.UUID(order_id))
    return dict(row) if row else None


@routes.get("/loket/pesanan/{id:" + UUID + "}")
async def placed(request: web.Request) -> web.Response:
    order_id = request.match_info["id"]
    order = await backends_of(request).get(
        "orders", ("v1", "orders", order_id), language=language(request)
    )
    context = {"order": order, "taker": await taker_of(request, order_id)}
    return render(request, "counter_order_placed.html", context)
