"""The orders HTTP API: place, read, cancel and hand over orders; the catalog buyers may order
from. Partners call it with their API key, the centre's operators with the operator token."""

import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from services.orders import examples, handlers, idempotency
from services.orders.auth import (
    CANCEL_VERIFIED,
    HUB_NOT_ALLOWED,
    MISSING_SCOPE,
    OPERATOR_ONLY,
    Caller,
    as_operator,
    as_reader,
    as_writer,
    missing_scope,
)
from services.orders.domain import PlaceOrder
from services.orders.group_commit import ORDER_WRITER
from services.orders.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_IN_FLIGHT,
    KEY_REQUIRED,
    KEY_REUSED,
    OPERATOR_IDEMPOTENCY_KEY,
    Answer,
)
from services.orders.models import Catalog, NewOrder, Order, OrderWithStanding
from services.orders.standing import ALLOCATOR
from services.orders.store.catalog import catalog_of_hub
from services.orders.store.orders import order_by_id
from services.orders.store.unit_of_work import UnitOfWork
from services.orders.store.windows import windows_of_hub
from services.orders.windows import as_shown
from shared.fields import HubCode, PhoneNumber
from shared.openapi import Header, documented
from shared.problems import FieldError, Kind, Text, invalid, not_found
from shared.web import DATABASE, current_correlation_id, in_path, json_response, uuid_in_path

routes = web.RouteTableDef()

FORBIDDEN_FIELD = Kind(
    403, "forbidden-field", Text("Kolom ini khusus operator", "This field is for operators only")
)
BUYER_TYPE_NOT_ALLOWED = Kind(
    403,
    "buyer-type-not-allowed",
    Text(
        "Jenis pembeli tidak diizinkan untuk mitra ini", "Buyer type not allowed for this partner"
    ),
)
_HUB = TypeAdapter(HubCode)
_PHONE = TypeAdapter(PhoneNumber)
VERIFIED_PHONE = Header(
    "Verified-Phone",
    Text(
        "Hanya untuk kunci bercakupan orders:cancel-verified: nomor yang sudah dibuktikan milik"
        " orang yang meminta. Pesanan hub kunci itu dengan nomor terverifikasi yang sama boleh"
        " dibatalkan; yang lain dijawab 404, seperti pesanan yang tidak ada.",
        "For keys with the orders:cancel-verified scope only: the phone number the person asking"
        " was shown to hold. An order of the key's hubs with that same verified phone may be"
        " cancelled; any other answers 404, as an order that does not exist.",
    ),
    schema={"type": "string", "maxLength": 32},
    example="+6281234567890",
)
_PARTNER_WRITE = (MISSING_SCOPE, KEY_REQUIRED, KEY_IN_FLIGHT, KEY_REUSED)


@routes.post("/v1/orders")
@documented(
    operation_id="placeOrder",
    summary=Text("Pesan lebih dulu", "Place a pre-order"),
    description=Text(
        "Pesanan masuk antrean hub untuk produk itu; unit dibagikan saat setoran datang, menurut"
        " kelas prioritas lalu waktu pesan. Statusnya dikabarkan lewat callback mitra.",
        "The order joins the hub's queue for the product; units are given as deliveries come,"
        " by priority class, then by time placed. Its status changes come as the partner's"
        " callbacks.",
    ),
    examples={"body": examples.NEW_ORDER, 201: examples.ORDER},
    body=NewOrder,
    answers={201: Order},
    auth="partner",
    guard=as_writer,
    headers=[IDEMPOTENCY_KEY],
    problems=(
        *_PARTNER_WRITE,
        HUB_NOT_ALLOWED,
        FORBIDDEN_FIELD,
        BUYER_TYPE_NOT_ALLOWED,
        handlers.WINDOW_FULL,
        handlers.WINDOW_CLOSED,
    ),
)
async def post_order(request: web.Request, caller: Caller, new: NewOrder) -> web.Response:
    require_may_place(caller, new)

    key = idempotency.key_of(request, required=not caller.is_operator)
    # A field left at its default is the same request whether sent or not: a retry that spells
    # out `accept_partial: true`, or one sent before a new optional field existed, still matches.
    fingerprint = new.model_dump_json(exclude_defaults=True)
    # Placed with the POSTs that arrive meanwhile, in one transaction (group_commit.py).
    command = PlaceOrder(
        new=new,
        partner_id=caller.partner_id,
        correlation_id=current_correlation_id(),
        owner=caller.owner,
        key=key,
        request_hash=idempotency.hash_of(idempotency.what_is_asked(request, fingerprint)),
    )
    answer = await request.app[ORDER_WRITER].place(command)
    return answer.response()


@routes.get("/v1/orders/{order_id}")
@documented(
    operation_id="getOrder",
    summary=Text("Satu pesanan dan tempatnya di antrean", "One order and its place in the queue"),
    description=Text(
        "Hanya pesanan mitra itu sendiri (yang lain: 404). Posisi, unit di depannya dan perkiraan"
        " tanggal ditanyakan ke alokator; kosong bila belum diketahui.",
        "Only the partner's own orders (any other: 404). Position, units ahead and estimated"
        " date are asked of the allocator; empty when not known yet.",
    ),
    examples={200: examples.ORDER_WITH_STANDING},
    answers={200: OrderWithStanding},
    auth="partner",
    guard=as_reader,
    path={"order_id": uuid.UUID},
    problems=(MISSING_SCOPE,),
)
async def get_order(request: web.Request, caller: Caller) -> web.Response:
    order_id = uuid_in_path(request, "order_id", handlers.ORDER)
    async with request.app[DATABASE].acquire() as conn:
        order = await order_by_id(conn, order_id, caller.partner_id)
    if order is None:  # another partner's order too: its existence is not theirs to know
        raise not_found(handlers.ORDER, order_id)
    return await with_standing(request, order)


async def with_standing(request: web.Request, order: Order) -> web.Response:
    """The order and where it stands, as GET /v1/orders/{id} answers it."""
    # Asked with the database connection back in the pool: the allocator may take seconds.
    standing = await request.app[ALLOCATOR].standing(order)
    return json_response(OrderWithStanding(**order.model_dump(), **standing.model_dump()))


@routes.post("/v1/orders/{order_id}/cancel")
@documented(
    operation_id="cancelOrder",
    summary=Text("Batalkan pesanan", "Cancel an order"),
    description=Text(
        "Unitnya kembali ke stok untuk yang berikutnya di antrean; 409 bila semua sudah"
        " diserahkan. Sebuah kunci membatalkan pesanannya sendiri; kunci pintu PLUT sendiri"
        " (orders:cancel-verified) juga pesanan pembeli yang nomornya sudah dibuktikan"
        " (Verified-Phone).",
        "Its units go back to stock for the next in line; 409 once everything was handed over."
        " A key cancels its own orders; a key of the centre's own doors (orders:cancel-verified)"
        " also those of the buyer whose phone it checked (Verified-Phone).",
    ),
    examples={200: examples.CANCELLED},
    answers={200: Order},
    auth="partner",
    guard=as_writer,
    path={"order_id": uuid.UUID},
    headers=[IDEMPOTENCY_KEY, VERIFIED_PHONE],
    problems=(*_PARTNER_WRITE, handlers.ORDER_FULFILLED),
)
async def post_cancel(request: web.Request, caller: Caller) -> web.Response:
    order_id = uuid_in_path(request, "order_id", handlers.ORDER)
    phone = _verified_phone(request, caller)

    async def cancel(conn: asyncpg.Connection) -> Answer:
        uow = UnitOfWork(conn)
        order = await handlers.cancel_order(
            uow, order_id, caller.partner_id, current_correlation_id(), phone, caller.hubs
        )
        await uow.flush()
        return Answer(200, order.model_dump_json())

    # The phone is part of what is asked: the same key with another phone is another request.
    return await idempotency.answered_once(request, caller, phone or "", cancel)


def _verified_phone(request: web.Request, caller: Caller) -> str | None:
    """The phone the request says its door checked (E.164), if it says one; only a key with
    `orders:cancel-verified` may. The operator cancels any order: it needs none."""
    raw = request.headers.get(VERIFIED_PHONE.name)
    if raw is None or caller.is_operator:
        return None
    if CANCEL_VERIFIED not in caller.scopes:
        raise missing_scope(CANCEL_VERIFIED)
    try:
        return _PHONE.validate_python(raw)
    except ValidationError:
        raise invalid(
            FieldError(
                VERIFIED_PHONE.name,
                "invalid_header",
                Text("bukan nomor HP Indonesia", "not an Indonesian mobile number"),
            )
        ) from None


@routes.post("/v1/orders/{order_id}/fulfil")
@documented(
    operation_id="fulfilOrder",
    summary=Text("Serahkan unit kepada pembeli", "Hand the held units to the buyer"),
    answers={200: Order},
    auth="operator",
    guard=as_operator,
    path={"order_id": uuid.UUID},
    headers=[OPERATOR_IDEMPOTENCY_KEY],
    problems=(
        OPERATOR_ONLY,
        KEY_IN_FLIGHT,
        KEY_REUSED,
        handlers.ORDER_CANCELLED,
        handlers.NOTHING_TO_FULFIL,
    ),
)
async def post_fulfil(request: web.Request, caller: Caller) -> web.Response:
    order_id = uuid_in_path(request, "order_id", handlers.ORDER)

    async def fulfil(conn: asyncpg.Connection) -> Answer:
        uow = UnitOfWork(conn)
        order = await handlers.fulfil_order(uow, order_id, current_correlation_id())
        await uow.flush()
        return Answer(200, order.model_dump_json())

    return await idempotency.answered_once(request, caller, "", fulfil)


@routes.get("/v1/hubs/{hub}/products")
@documented(
    operation_id="getCatalog",
    summary=Text("Produk yang bisa dipesan di hub", "What can be ordered in a hub"),
    description=Text("Harga dalam rupiah utuh per unit.", "Prices in whole rupiah a unit."),
    examples={200: examples.CATALOG},
    answers={200: Catalog},
    auth="partner",
    guard=as_reader,
    path={"hub": HubCode},
    problems=(MISSING_SCOPE, HUB_NOT_ALLOWED),
)
async def get_catalog(request: web.Request, caller: Caller) -> web.Response:
    hub = in_path(request, "hub", _HUB, Text("hub", "hub"))
    caller.require_hub(hub)
    async with request.app[DATABASE].acquire() as conn:
        products = await catalog_of_hub(conn, hub)
        windows = await windows_of_hub(conn, hub)
    now = datetime.now(UTC)
    shown = [
        product.model_copy(update={"window": as_shown(windows.get(product.sku, []), now)})
        for product in products
    ]
    return json_response(Catalog(products=shown))


def require_may_place(caller: Caller, new: NewOrder) -> None:
    """The caller may place this order (or a series of it): its hub, and a class or buyer type
    only the operator may give."""
    caller.require_hub(new.hub)
    if new.priority_class is not None and not caller.is_operator:
        raise _class_needs_operator()
    if not caller.is_operator:
        # The buyer's type gives the order's class: a partner declares only those its operator
        # allowed it, or any partner could put its buyers ahead as health facilities.
        allowed = caller.buyer_types or ()
        if new.buyer.type not in allowed:
            raise _buyer_type_not_allowed(new.buyer.type, list(allowed))


def _class_needs_operator() -> Exception:
    error = FieldError(
        "priority_class",
        "operator_only",
        Text("hanya operator yang boleh menentukan kelas prioritas", "only an operator may set it"),
    )
    return FORBIDDEN_FIELD.problem(
        Text(
            "Hapus priority_class, atau kirim token operator",
            "Remove priority_class, or send the operator token",
        ),
        errors=[error],
    )


def _buyer_type_not_allowed(declared: str, allowed: list[str]) -> Exception:
    listed = ", ".join(allowed)
    error = FieldError(
        "buyer.type",
        "not_allowed",
        Text(
            f"mitra ini tidak boleh memesan untuk pembeli '{declared}'; boleh: {listed}",
            f"this partner may not declare '{declared}' buyers; it may declare: {listed}",
        ),
    )
    return BUYER_TYPE_NOT_ALLOWED.problem(
        Text(
            "Operator PLUT menentukan jenis pembeli yang boleh dikirim setiap mitra",
            "The centre's operator sets which buyer types each partner may declare",
        ),
        errors=[error],
    )
