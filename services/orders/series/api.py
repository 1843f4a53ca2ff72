"""The standing orders API: a partner (orders:write) or the counter (the operator token) places a
series; its owner and the operators read, pause, resume and cancel it. Another partner's series
answers 404, as one that does not exist."""

import uuid
from datetime import datetime

import asyncpg
from aiohttp import web

from services.orders import idempotency
from services.orders.api.orders import require_may_place
from services.orders.auth import HUB_NOT_ALLOWED, MISSING_SCOPE, Caller, as_reader, as_writer
from services.orders.handlers import unknown_product
from services.orders.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_IN_FLIGHT,
    KEY_REQUIRED,
    KEY_REUSED,
    Answer,
)
from services.orders.series import schedule
from services.orders.series.models import (
    NewStandingOrder,
    Occurrence,
    StandingOrder,
    StandingOrders,
    StandingOrderWithOccurrences,
    answer_of,
    at_time,
    series_of,
)
from services.orders.series.worker import SERIES_CLOCK
from services.orders.store import series as series_store
from services.orders.store.unit_of_work import UnitOfWork
from shared.openapi import documented
from shared.problems import FieldError, Kind, Text, invalid, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()

SERIES = Text("pesanan berulang", "standing order")
SERIES_ENDED = Kind(
    409, "standing-order-ended", Text("Pesanan berulang sudah berakhir", "Standing order ended")
)
_WRITE_PROBLEMS = (MISSING_SCOPE, KEY_REQUIRED, KEY_IN_FLIGHT, KEY_REUSED)


@routes.post("/v1/standing-orders")
@documented(
    operation_id="placeStandingOrder",
    summary=Text("Pesan berulang", "Place a standing order"),
    description=Text(
        "Pesanan yang sama setiap hari, minggu atau bulan, mulai starts_on pada jam `at` (waktu"
        " hub) sampai ends_on atau sebanyak occurrences. Setiap kejadian masuk antrean sebagai"
        " pesanan biasa dengan standing_order_id, dan statusnya dikabarkan lewat callback mitra."
        " Bulanan pada tanggal yang tidak ada di suatu bulan (29-31) jatuh pada hari terakhir"
        " bulan itu.",
        "The same order every day, week or month, from starts_on at `at` (the hub's time) until"
        " ends_on or after `occurrences`. Each occurrence joins the queue as an ordinary order"
        " carrying standing_order_id, and its status changes come as the partner's callbacks."
        " Monthly on a day a month lacks (29-31) falls on that month's last day.",
    ),
    body=NewStandingOrder,
    answers={201: StandingOrder},
    auth="partner",
    guard=as_writer,
    headers=[IDEMPOTENCY_KEY],
    problems=(*_WRITE_PROBLEMS, HUB_NOT_ALLOWED),
)
async def post_series(request: web.Request, caller: Caller, new: NewStandingOrder) -> web.Response:
    require_may_place(caller, new)
    if wrong := new.wrong_ends():
        raise invalid(*(FieldError(name, code, why) for name, code, why in wrong))
    now = request.app[SERIES_CLOCK].now()

    async def place(conn: asyncpg.Connection) -> Answer:
        if not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM catalog WHERE hub = $1 AND sku = $2)", new.hub, new.sku
        ):
            raise await unknown_product(UnitOfWork(conn), new.hub, new.sku)
        zone = await series_store.zone_name(conn, new.hub)
        row = {
            "every": new.every,
            "starts_on": new.starts_on,
            "at": at_time(new.at),
            "ends_on": new.ends_on,
            "occurrences": new.occurrences,
            "next_number": 1,
            "status": "active",
        }
        series = series_of(row, zone)
        if new.starts_on < now.astimezone(series.zone).date():
            raise invalid(
                FieldError(
                    "starts_on",
                    "start_in_past",
                    Text(
                        "tanggal mulai sudah lewat di hub ini",
                        "the start date has passed in this hub",
                    ),
                )
            )
        # Placed today after today's time: the first occurrence is the next one due.
        first = schedule.first_after(series, now)
        if not schedule.exists(series, first):
            raise invalid(
                FieldError(
                    "starts_on",
                    "no_occurrence",
                    Text(
                        "tidak ada kejadian yang masih akan datang",
                        "no occurrence is still to come",
                    ),
                )
            )
        stored = await conn.fetchrow(
            series_store.SERIES_INSERT,
            uuid.uuid4(),
            caller.partner_id,
            new.hub,
            new.sku,
            new.order().model_dump(mode="json"),
            new.every,
            new.starts_on,
            row["at"],
            new.ends_on,
            new.occurrences,
            first,
        )
        return Answer(201, answer_of(stored, zone).model_dump_json())

    return await idempotency.answered_once(
        request, caller, new.model_dump_json(exclude_defaults=True), place
    )


@routes.get("/v1/standing-orders")
@documented(
    operation_id="listStandingOrders",
    summary=Text("Pesanan berulang", "Standing orders"),
    description=Text(
        "Milik mitra itu sendiri (operator: semuanya), yang terbaru dulu; paling banyak 500.",
        "The partner's own (the operator: all), newest first; at most 500.",
    ),
    answers={200: StandingOrders},
    auth="partner",
    guard=as_reader,
    problems=(MISSING_SCOPE,),
)
async def get_series_list(request: web.Request, caller: Caller) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(series_store.SERIES_LIST, caller.partner_id, None, 500)
        zones = {row["hub"]: await series_store.zone_name(conn, row["hub"]) for row in rows}
    return json_response(
        StandingOrders(standing_orders=[answer_of(row, zones[row["hub"]]) for row in rows])
    )


@routes.get("/v1/standing-orders/{series_id}")
@documented(
    operation_id="getStandingOrder",
    summary=Text("Satu pesanan berulang dan kejadiannya", "One standing order and its occurrences"),
    answers={200: StandingOrderWithOccurrences},
    auth="partner",
    guard=as_reader,
    path={"series_id": uuid.UUID},
    problems=(MISSING_SCOPE,),
)
async def get_series(request: web.Request, caller: Caller) -> web.Response:
    series_id = uuid_in_path(request, "series_id", SERIES)
    async with request.app[DATABASE].acquire() as conn:
        found = await with_occurrences(conn, series_id, caller.partner_id)
    if found is None:
        raise not_found(SERIES, series_id)
    return json_response(found)


async def with_occurrences(
    conn: asyncpg.Connection, series_id: uuid.UUID, partner_id: uuid.UUID | None
) -> StandingOrderWithOccurrences | None:
    """The series and the orders it placed, if `partner_id` owns it (None: any)."""
    row = await conn.fetchrow(series_store.SERIES_BY_ID, series_id, partner_id)
    if row is None:
        return None
    series = answer_of(row, await series_store.zone_name(conn, row["hub"]))
    placed = [
        Occurrence(
            number=o["occurrence"], order_id=o["id"], status=o["status"], placed_at=o["placed_at"]
        )
        for o in await conn.fetch(series_store.OCCURRENCES, series_id)
    ]
    return StandingOrderWithOccurrences(**series.model_dump(), placed=placed)


def _change(operation_id: str, summary: Text, description: Text, act: str):
    @documented(
        operation_id=operation_id,
        summary=summary,
        description=description,
        answers={200: StandingOrder},
        auth="partner",
        guard=as_writer,
        path={"series_id": uuid.UUID},
        headers=[IDEMPOTENCY_KEY],
        problems=(*_WRITE_PROBLEMS, SERIES_ENDED),
    )
    async def handler(request: web.Request, caller: Caller) -> web.Response:
        series_id = uuid_in_path(request, "series_id", SERIES)
        now = request.app[SERIES_CLOCK].now()

        async def change(conn: asyncpg.Connection) -> Answer:
            row = await conn.fetchrow(
                series_store.SERIES_BY_ID_FOR_UPDATE, series_id, caller.partner_id
            )
            if row is None:
                raise not_found(SERIES, series_id)
            zone = await series_store.zone_name(conn, row["hub"])
            status, next_number = changed(act, row, series_of(row, zone), now)
            if (status, next_number) != (row["status"], row["next_number"]):
                row = await conn.fetchrow(
                    series_store.SERIES_CHANGE, series_id, status, next_number
                )
            return Answer(200, answer_of(row, zone).model_dump_json())

        return await idempotency.answered_once(request, caller, "", change)

    return handler


def changed(
    act: str, row: asyncpg.Record, series: schedule.Series, now: datetime
) -> tuple[str, int]:
    """The series' status and next occurrence after `act`. Again what it is already changes
    nothing; an ended (cancelled or finished) series cannot be paused or resumed."""
    status, next_number = row["status"], row["next_number"]
    if status in ("cancelled", "finished"):
        if act == "cancel":
            return status, next_number
        raise SERIES_ENDED.problem(
            Text(
                "Pesanan berulang ini sudah selesai atau dibatalkan",
                "This standing order has ended or was cancelled",
            )
        )
    if act == "cancel":
        return "cancelled", next_number
    if act == "pause":
        return "paused", next_number
    if status == "paused":  # resumed: what fell due while paused is skipped
        next_number = schedule.first_after(series, now)
        ended = not schedule.exists(series, next_number)
        return ("finished" if ended else "active"), next_number
    return status, next_number


for _path, _act, _id, _summary, _description in (
    (
        "pause",
        "pause",
        "pauseStandingOrder",
        Text("Hentikan sementara", "Pause a standing order"),
        Text(
            "Selama dijeda tidak ada kejadian yang dipesan; yang jatuh tempo selama itu dilewati,"
            " tidak disusulkan saat dilanjutkan.",
            "While paused no occurrence is placed; those falling due meanwhile are skipped, not"
            " made up on resuming.",
        ),
    ),
    (
        "resume",
        "resume",
        "resumeStandingOrder",
        Text("Lanjutkan", "Resume a standing order"),
        Text(
            "Kejadian berikutnya adalah yang pertama jatuh tempo setelah dilanjutkan.",
            "The next occurrence is the first one due after resuming.",
        ),
    ),
    (
        "cancel",
        "cancel",
        "cancelStandingOrder",
        Text("Batalkan pesanan berulang", "Cancel a standing order"),
        Text(
            "Tidak ada kejadian baru; pesanan yang sudah dibuat tetap (batalkan satu per satu"
            " bila perlu).",
            "No new occurrence; orders already placed stay (cancel them one by one if need be).",
        ),
    ),
):
    routes.post(f"/v1/standing-orders/{{series_id}}/{_path}")(
        _change(_id, _summary, _description, _act)
    )
