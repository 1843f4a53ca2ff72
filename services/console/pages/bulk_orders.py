"""Bulk orders at the counter (`/loket/pesanan-massal`): an agency's spreadsheet (XLSX or CSV) of
many orders, every row checked with the counter form's rules (order_file.py), and all placed
through the orders API's batch in one transaction, or none. Errors are shown with the
spreadsheet's row numbers and column names; the staff member is recorded as the one who took
each order, as for a single counter order.

The form's nonce (counter_nonces.py) is the batch's `Idempotency-Key`: a double submit places
the file once and shows the same orders again.
"""

import uuid
from typing import Any

from aiohttp import web

from services.console import order_file, uploads
from services.console.accounts import Role
from services.console.backends import BackendError, backends_of
from services.console.counter_nonces import idempotency_key, new_nonce
from services.console.order_file import OrderRow, Products, RowError
from services.console.pages.counter_orders import _products
from services.console.pages.reports import MEDIA
from services.console.sessions import BAD_CSRF, CSRF, OPERATOR, allowed
from services.console.uploads import UnreadableFile
from services.console.views import hub_of, language, render, text
from shared.problems import Text
from shared.web import DATABASE

routes = web.RouteTableDef()
PAGE = "/loket/pesanan-massal"
FILE_FIELD = "berkas"
RECORD_TAKERS = """
INSERT INTO counter_orders (order_id, operator_id) SELECT unnest($1::uuid[]), $2
ON CONFLICT (order_id) DO NOTHING
"""
_INDEXED = "orders["


def _form(
    request: web.Request,
    products: list[dict[str, Any]],
    nonce: str,
    chosen: str = "",
    status: int = 200,
    **shown: Any,
) -> web.Response:
    context = {
        "products": products,
        "nonce": nonce,
        "chosen": chosen,
        "failure": None,
        "row_errors": [],
        "problem": None,
        "max_orders": order_file.MAX_ORDERS,
        **shown,
    }
    return render(request, "bulk_orders.html", context, status=status)


@routes.get(PAGE)
@allowed(Role.staff)
async def bulk_form(request: web.Request) -> web.Response:
    products = await _products(request)
    nonce = new_nonce(request[CSRF], request[OPERATOR].id)
    return _form(request, products, nonce)


@routes.get(PAGE + "/templat")
@allowed(Role.staff)
async def bulk_template(request: web.Request) -> web.Response:
    lang = language(request)
    chosen = "csv" if request.query.get("format") == "csv" else "xlsx"
    products = await _products(request)
    sku = products[0]["sku"] if products else "masker-kain"
    if chosen == "csv":
        body = order_file.template_csv(lang, sku)
    else:
        body = order_file.template_xlsx(lang, sku)
    name = text(request, Text("templat-pesanan-massal", "bulk-orders-template")) + f".{chosen}"
    return web.Response(
        body=body,
        content_type=MEDIA[chosen],
        charset="utf-8" if chosen == "csv" else None,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.post(PAGE)
@allowed(Role.staff)
async def place_bulk(request: web.Request) -> web.Response:
    """All rows or none: every row is checked here first, then the orders service places the
    batch in one transaction; what it refuses is shown on the rows it came from."""
    form = await request.post()
    operator = request[OPERATOR]
    nonce = str(form.get("nonce", ""))
    key = idempotency_key(nonce, request[CSRF], operator.id)
    if key is None:  # another session's form, or none: nothing is placed
        raise BAD_CSRF
    products = await _products(request)
    chosen = str(form.get("sku", ""))
    caps = Products({p["sku"]: p["cap"] for p in products}, chosen)
    try:
        rows, errors = order_file.read_orders(
            await uploads.uploaded_table(request, FILE_FIELD), caps
        )
    except UnreadableFile as refused:
        failure = text(request, refused.message)
        return _form(request, products, nonce, chosen, 422, failure=failure)
    if errors:
        return _refused(request, products, nonce, chosen, errors)
    hub = hub_of(request)
    body = {"orders": [{"hub": hub, "sku": row.sku, **row.order} for row in rows]}
    try:
        answer = await backends_of(request).post(
            "orders",
            ("v1", "order-batches"),
            language=language(request),
            json=body,
            headers={"Idempotency-Key": key},
        )
    except BackendError as error:
        if error.status >= 500:
            raise
        refused = sheet_errors(error.field_errors, rows)
        if refused:
            return _refused(request, products, nonce, chosen, refused)
        return _form(request, products, nonce, chosen, error.status, problem=error.problem)
    ids = [uuid.UUID(order["id"]) for order in answer["orders"]]
    await request.app[DATABASE].execute(RECORD_TAKERS, ids, operator.id)
    placed = [{**order, "row": row.row} for order, row in zip(answer["orders"], rows, strict=True)]
    return render(request, "bulk_orders_placed.html", {"placed": placed})


def _refused(
    request: web.Request,
    products: list[dict[str, Any]],
    nonce: str,
    chosen: str,
    errors: list[RowError],
) -> web.Response:
    lang = language(request)
    shown = [
        {
            "row": error.row,
            "column": order_file.NAMES[error.field].in_language(lang),
            "message": error.message.in_language(lang),
        }
        for error in errors
    ]
    bad = len({error.row for error in errors})
    failure = text(
        request,
        Text(
            f"{bad} baris bermasalah; tidak ada pesanan yang dicatat",
            f"{bad} rows have problems; no order was placed",
        ),
    )
    return _form(request, products, nonce, chosen, 422, failure=failure, row_errors=shown)


def sheet_errors(errors: list[dict[str, Any]], rows: list[OrderRow]) -> list[RowError]:
    """The orders service names an order by its index in the batch (`orders[3].buyer.phone`);
    the staff know the spreadsheet's row and column. Errors of no order are not among them."""
    found = []
    for error in errors:
        where = str(error.get("field", ""))
        index, _, field = where.removeprefix(_INDEXED).partition("]")
        if not where.startswith(_INDEXED) or not index.isdigit() or int(index) >= len(rows):
            continue
        name = field.removeprefix(".").removeprefix("buyer.")
        name = {"type": "buyer_type"}.get(name, name)
        column = name if name in order_file.COLUMNS else "sku"
        message = str(error.get("message", ""))
        found.append(RowError(rows[int(index)].row, column, Text(message, message)))
    return found
