"""Many orders at once (an agency's spreadsheet at the counter): all placed in one transaction,
or none. Every order is checked first, and a refusal names each bad one by its index in the
list (`orders[3].buyer.phone`), so the console can point at the spreadsheet's rows.

The orders are placed by the single order's use case (handlers.place_order), over one unit of
work: the same rows, history entries and `order.placed` events through the outbox, whatever
that use case comes to add to an order. The batch has one Idempotency-Key: a retry gets the
first answer back.
"""

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, ValidationError

from services.orders import examples, idempotency
from services.orders.auth import OPERATOR_ONLY, Caller, as_operator
from services.orders.domain import PlaceOrder
from services.orders.group_commit import place_all
from services.orders.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_IN_FLIGHT,
    KEY_REQUIRED,
    KEY_REUSED,
    Answer,
)
from services.orders.models import NewOrder, Order
from shared.openapi import documented
from shared.problems import VALIDATION_ERROR, FieldError, Problem, Text, from_validation_error
from shared.web import DATABASE, accepting_up_to, current_correlation_id

routes = web.RouteTableDef()

MAX_ORDERS = 500
# 500 orders of the longest names, regions and emails the fields take; one order's limit is the
# service's usual 16 KB.
MAX_BATCH_BYTES = 1024 * 1024


class OrderBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Each order is read by the handler, so a bad one is named by its index with all the others;
    # the document still shows what an order must be.
    orders: list[SkipValidation[NewOrder]] = Field(min_length=1, max_length=MAX_ORDERS)


class PlacedBatch(BaseModel):
    """The orders placed, in the order they were sent."""

    placed: int
    orders: list[Order]


@routes.post("/v1/order-batches")
@accepting_up_to(MAX_BATCH_BYTES)
@documented(
    operation_id="placeOrderBatch",
    summary=Text(
        "Pesan banyak sekaligus (semua atau tidak sama sekali)",
        "Place many orders at once (all or none)",
    ),
    description=Text(
        f"Paling banyak {MAX_ORDERS} pesanan, dicatat dalam satu transaksi: bila satu saja salah,"
        " tidak ada yang dicatat, dan setiap kesalahan dinamai dengan indeksnya"
        " (`orders[3].buyer.phone`). Setiap pesanan masuk antrean seperti pesanan tunggal.",
        f"At most {MAX_ORDERS} orders, placed in one transaction: if any is wrong, none is, and"
        " every error is named by its index (`orders[3].buyer.phone`). Each order joins the"
        " queue as a single order does.",
    ),
    examples={
        "body": {"orders": [examples.NEW_ORDER]},
        201: {"placed": 1, "orders": [examples.ORDER]},
    },
    body=OrderBatch,
    answers={201: PlacedBatch},
    auth="operator",
    guard=as_operator,
    headers=[IDEMPOTENCY_KEY],
    problems=(OPERATOR_ONLY, KEY_REQUIRED, KEY_IN_FLIGHT, KEY_REUSED),
)
async def post_order_batch(request: web.Request, caller: Caller, batch: OrderBatch) -> web.Response:
    orders = checked(batch.orders)
    key = idempotency.key_of(request, required=True)
    # As a single order's: a field left at its default is the same request whether sent or not.
    fingerprint = "\n".join(order.model_dump_json(exclude_defaults=True) for order in orders)
    what = idempotency.what_is_asked(request, fingerprint)
    correlation_id = current_correlation_id()

    async def place(conn: asyncpg.Connection) -> Answer:
        commands = [
            PlaceOrder(
                new=order,
                partner_id=caller.partner_id,
                correlation_id=correlation_id,
                owner=caller.owner,
                key=None,  # the batch's key is claimed and stored once, by idempotency.once
                request_hash="",
            )
            for order in orders
        ]
        outcomes = await place_all(conn, commands)
        refused = [
            (index, outcome)
            for index, outcome in enumerate(outcomes)
            if isinstance(outcome, BaseException)
        ]
        if refused:  # raised inside the transaction: the others' rows roll back with it
            raise _refused(refused, len(orders))
        placed = [Order.model_validate_json(outcome.body) for outcome in outcomes]
        return Answer(201, PlacedBatch(placed=len(placed), orders=placed).model_dump_json())

    async with request.app[DATABASE].acquire() as conn:
        answer = await idempotency.once(conn, caller.owner, key, what, place)
    return answer.response()


def checked(raw_orders: list) -> list[NewOrder]:
    """Every order validated; one problem naming every error of every order, by index."""
    orders: list[NewOrder] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(raw_orders):
        try:
            orders.append(NewOrder.model_validate(raw))
        except ValidationError as error:
            errors += _at(index, from_validation_error(error).errors)
    if errors:
        raise _invalid(errors, len({e.field.partition("]")[0] for e in errors}), len(raw_orders))
    return orders


def _at(index: int, errors: list[FieldError]) -> list[FieldError]:
    where = f"orders[{index}]"
    return [
        FieldError(where if e.field == "body" else f"{where}.{e.field}", e.code, e.message)
        for e in errors
    ]


def _refused(refused: list[tuple[int, BaseException]], total: int) -> Problem:
    """Orders the database refused (an unknown hub or product): named as the checks name them."""
    errors: list[FieldError] = []
    for index, outcome in refused:
        if not isinstance(outcome, Problem):
            raise outcome
        errors += _at(index, outcome.errors)
    return _invalid(errors, len(refused), total)


def _invalid(errors: list[FieldError], bad: int, total: int) -> Problem:
    return VALIDATION_ERROR.problem(
        Text(
            f"{bad} dari {total} pesanan tidak valid; tidak ada yang dicatat",
            f"{bad} of {total} orders are not valid; none was placed",
        ),
        errors=errors,
    )
