"""Order windows (issue 21; the rules: services/orders/windows.py): the admin opens, changes
and closes a window of a hub's product; any operator reads them, with the units ordered so far.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
import structlog
from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.orders.auth import OPERATOR_ONLY, Caller, as_admin, as_operator
from services.orders.store import windows as store
from services.orders.store.products import PRODUCT_LOCK
from services.orders.windows import Window, overlaps
from shared.fields import HubCode, Sku, TimeZone
from shared.openapi import documented
from shared.problems import FieldError, Kind, Text, invalid, not_found, unknown_reference
from shared.web import DATABASE, json_response, uuid_in_path

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()

WINDOW = Text("jendela pra-pesan", "order window")
WINDOW_OVERLAPS = Kind(
    409,
    "window-overlaps",
    Text("Jendela lain produk ini sudah mencakup waktu itu", "Another window covers that time"),
)
WINDOW_ENDED = Kind(
    409, "window-ended", Text("Jendela ini sudah berakhir", "This window has ended")
)
MOST_UNITS = 10_000_000


Cap = Annotated[int, Field(ge=1, le=MOST_UNITS)]


class NewWindow(BaseModel):
    """A period with its offset (the hub's times: 2026-12-10T08:00:00+07:00) and a cap."""

    model_config = ConfigDict(extra="forbid")

    hub: HubCode
    sku: Sku
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    cap: Cap
    # The hub's zone, in which the buyers are told when a window opens.
    timezone: TimeZone = "Asia/Jakarta"


class WindowChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    cap: Cap | None = None


class WindowCounts(BaseModel):
    units: int
    orders: int
    refused: int


class OrderWindow(BaseModel):
    """A window with what was ordered in it so far: `ordered` units in `orders` orders taken,
    `refused` orders refused (past the cap, or while it was not open), by buyer type."""

    id: uuid.UUID
    hub: str
    sku: str
    opens_at: datetime
    closes_at: datetime
    cap: int
    timezone: str
    status: Literal["upcoming", "open", "full", "closed"]
    ordered: int
    left: int
    orders: int
    refused: int
    by_buyer_type: dict[str, WindowCounts]
    closed_at: datetime | None
    summarised_at: datetime | None


class OrderWindows(BaseModel):
    windows: list[OrderWindow]


class WindowQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hub: HubCode | None = None
    sku: Sku | None = None


def window_answer(row: asyncpg.Record, now: datetime | None = None) -> OrderWindow:
    window = store.window_from(row)
    now = now or datetime.now(UTC)
    if now < window.opens_at:
        status = "upcoming"
    elif not window.is_open(now):
        status = "closed"
    else:
        status = "full" if window.left() == 0 else "open"
    return OrderWindow(
        **{k: row[k] for k in ("id", "hub", "sku", "opens_at", "closes_at", "cap", "timezone")},
        status=status,
        ordered=window.ordered,
        left=window.left(),
        orders=window.orders,
        refused=window.refused,
        by_buyer_type=window.by_buyer_type,
        closed_at=row["closed_at"],
        summarised_at=row["summarised_at"],
    )


_ADMIN = {"auth": "admin", "guard": as_admin, "problems": (OPERATOR_ONLY,)}
_ONE = {"path": {"window_id": uuid.UUID}}


@routes.post("/v1/order-windows")
@documented(
    operation_id="openOrderWindow",
    summary=Text("Buka jendela pra-pesan produk", "Open a product's pre-order window"),
    description=Text(
        "Selama produk hub punya jendela, pesanan diterima hanya di dalam periodenya dan selama"
        " unit yang dipesan tidak melebihi kuota; pesanan yang dibatalkan tidak mengembalikan"
        " kuota. Periode tidak boleh bertumpuk dengan jendela lain produk itu.",
        "While a hub's product has a window, orders are taken only within its period and while"
        " the units ordered stay within its cap; a cancelled order does not give units back."
        " The period may not overlap another window of the product.",
    ),
    body=NewWindow,
    answers={201: OrderWindow},
    **{**_ADMIN, "problems": (OPERATOR_ONLY, WINDOW_OVERLAPS)},
)
async def post_window(request: web.Request, _: Caller, new: NewWindow) -> web.Response:
    now = datetime.now(UTC)
    _check_period(new.opens_at, new.closes_at, now)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction():
            await _lock_product(conn, new.hub, new.sku)
            if not await store.product_listed(conn, new.hub, new.sku):
                raise unknown_reference("sku", Text("produk", "product"), new.sku)
            window_id = uuid.uuid4()
            planned = Window(
                window_id, new.hub, new.sku, new.opens_at, new.closes_at, new.cap, new.timezone
            )
            _check_no_overlap(planned, await store.windows_of_product(conn, new.hub, new.sku), now)
            row = await conn.fetchrow(
                store.WINDOW_INSERT,
                window_id,
                new.hub,
                new.sku,
                new.opens_at,
                new.closes_at,
                new.cap,
                new.timezone,
            )
    log.info("order window opened", window_id=str(window_id), hub=new.hub, sku=new.sku, cap=new.cap)
    return json_response(window_answer(row), status=201)


@routes.get("/v1/order-windows")
@documented(
    operation_id="listOrderWindows",
    summary=Text("Jendela pra-pesan, terbaru dulu", "Order windows, latest first"),
    query=WindowQuery,
    answers={200: OrderWindows},
    auth="operator",
    guard=as_operator,
    problems=(OPERATOR_ONLY,),
)
async def get_windows(request: web.Request, _: Caller, query: WindowQuery) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(store.WINDOWS_LIST, query.hub, query.sku)
    return json_response(OrderWindows(windows=[window_answer(row) for row in rows]))


@routes.get("/v1/order-windows/{window_id}")
@documented(
    operation_id="getOrderWindow",
    summary=Text("Satu jendela pra-pesan", "One order window"),
    answers={200: OrderWindow},
    auth="operator",
    guard=as_operator,
    problems=(OPERATOR_ONLY,),
    **_ONE,
)
async def get_window(request: web.Request, _: Caller) -> web.Response:
    window_id = uuid_in_path(request, "window_id", WINDOW)
    async with request.app[DATABASE].acquire() as conn:
        row = await store.window_row(conn, window_id)
    if row is None:
        raise not_found(WINDOW, window_id)
    return json_response(window_answer(row))


@routes.patch("/v1/order-windows/{window_id}")
@documented(
    operation_id="changeOrderWindow",
    summary=Text("Ubah periode atau kuota jendela", "Change a window's period or cap"),
    description=Text(
        "Kuota tidak boleh di bawah unit yang sudah dipesan.",
        "The cap may not go below the units already ordered.",
    ),
    body=WindowChanges,
    answers={200: OrderWindow},
    **{**_ADMIN, "problems": (OPERATOR_ONLY, WINDOW_OVERLAPS, WINDOW_ENDED)},
    **_ONE,
)
async def patch_window(request: web.Request, _: Caller, changes: WindowChanges) -> web.Response:
    window_id = uuid_in_path(request, "window_id", WINDOW)
    now = datetime.now(UTC)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction():
            row = await store.window_row(conn, window_id)
            if row is None:
                raise not_found(WINDOW, window_id)
            await _lock_product(conn, row["hub"], row["sku"])
            row = await store.window_row(conn, window_id, lock=True)
            window = store.window_from(row)
            if window.ends_at() <= now:
                raise _ended()
            window.opens_at = changes.opens_at or window.opens_at
            window.closes_at = changes.closes_at or window.closes_at
            window.cap = changes.cap or window.cap
            _check_period(window.opens_at, window.closes_at, now)
            if window.cap < window.ordered:
                raise invalid(
                    FieldError(
                        "cap",
                        "below_ordered",
                        Text(
                            f"sudah dipesan {window.ordered} unit; kuota tidak boleh lebih kecil",
                            f"{window.ordered} units are ordered already; the cap may not be less",
                        ),
                    )
                )
            others = await store.windows_of_product(conn, window.hub, window.sku)
            _check_no_overlap(window, others, now)
            row = await conn.fetchrow(
                store.WINDOW_UPDATE,
                window_id,
                window.opens_at,
                window.closes_at,
                window.cap,
                window.timezone,
            )
    log.info("order window changed", window_id=str(window_id), cap=window.cap)
    return json_response(window_answer(row))


@routes.post("/v1/order-windows/{window_id}/close")
@documented(
    operation_id="closeOrderWindow",
    summary=Text("Tutup jendela sekarang", "Close a window now"),
    description=Text(
        "Sejak itu pesanan produk ini ditolak (window-closed) sampai jendela berikutnya dibuka;"
        " ringkasannya dikirim ke operator. Menutup lagi tidak mengubah apa pun.",
        "From then on the product's orders are refused (window-closed) until a next window"
        " opens; its summary goes to the operators. Closing it again changes nothing.",
    ),
    answers={200: OrderWindow},
    **_ADMIN,
    **_ONE,
)
async def post_close(request: web.Request, _: Caller) -> web.Response:
    window_id = uuid_in_path(request, "window_id", WINDOW)
    async with request.app[DATABASE].acquire() as conn:
        row = await conn.fetchrow(store.WINDOW_CLOSE, window_id)
    if row is None:
        raise not_found(WINDOW, window_id)
    log.info("order window closed", window_id=str(window_id))
    return json_response(window_answer(row))


async def _lock_product(conn: asyncpg.Connection, hub: str, sku: str) -> None:
    """Two admins opening windows of one product at once: one after the other, so neither
    misses the other's period. The lock every placing of the product takes too
    (store/products.py): a window's change and a batch's orders are counted one after the other."""
    await conn.execute(PRODUCT_LOCK, hub, sku)


def _check_period(opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    if closes_at <= opens_at:
        raise invalid(
            FieldError(
                "closes_at",
                "before_opening",
                Text("harus sesudah opens_at", "must be after opens_at"),
            )
        )
    if closes_at <= now:
        raise invalid(
            FieldError("closes_at", "in_the_past", Text("sudah lewat", "has passed already"))
        )


def _check_no_overlap(window: Window, others: list[Window], now: datetime) -> None:
    if overlaps(window, others, now):
        raise WINDOW_OVERLAPS.problem(
            Text(
                "Tutup atau ubah jendela lain produk ini lebih dulu",
                "Close or change the product's other window first",
            )
        )


def _ended() -> Exception:
    return WINDOW_ENDED.problem(
        Text("Buka jendela baru untuk produk ini", "Open a new window for the product")
    )
