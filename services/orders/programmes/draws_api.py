"""A programme's draws and its funder's report: the admin draws; anyone reads and replays a
draw (python -m tools.replay_draw); the operators read the report."""

import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from services.orders import idempotency
from services.orders.auth import OPERATOR_ONLY, Caller, as_admin, as_operator
from services.orders.idempotency import KEY_IN_FLIGHT, KEY_REUSED, OPERATOR_IDEMPOTENCY_KEY, Answer
from services.orders.programmes import handlers
from services.orders.programmes.api import programme_of, shown
from services.orders.programmes.models import (
    NewProgrammeDraw,
    ProgrammeBudget,
    ProgrammeDraw,
    ProgrammeDraws,
    ProgrammeProducerPaid,
    ProgrammeReport,
    ProgrammeUnitsOfDay,
    PublishedProgrammeDraw,
)
from services.orders.programmes.rules import ALGORITHM
from services.orders.store import programme_reads as reads
from services.orders.store.unit_of_work import UnitOfWork
from shared.openapi import documented
from shared.problems import Text, not_found
from shared.web import DATABASE, current_correlation_id, json_response, uuid_in_path

routes = web.RouteTableDef()
DRAW = Text("undian", "draw")


def draw_of(row) -> ProgrammeDraw:
    return ProgrammeDraw.model_validate(dict(row))


def published(row) -> PublishedProgrammeDraw:
    """A draw's row as anyone may replay it: the entrants' tickets in entry order and the
    winners' tickets. The model's fields are all that is published: the row's order ids
    (entrant_ids, winner_ids) are left behind."""
    return PublishedProgrammeDraw.model_validate({**row, "algorithm": ALGORITHM})


@routes.post("/v1/programmes/{programme_id}/draws")
@documented(
    operation_id="drawProgramme",
    summary=Text("Undi pendaftar yang menunggu", "ProgrammeDraw among the waiting applications"),
    description=Text(
        "Hanya admin. Bila biaya semua yang menunggu muat dalam sisa anggaran, semua diterima"
        " (all_admitted); bila tidak, urutan undian = random.Random(seed).shuffle(nomor undian"
        " pendaftar menurut urutan daftar) di CPython, dan pemenang diambil berurutan selama"
        " biayanya muat. Tanpa seed: seed acak baru. Undian diumumkan dan dapat diulang siapa"
        " saja.",
        "Admins only. When the whole cost of those waiting fits what the budget has left, all"
        " are admitted (all_admitted); else the drawn order is random.Random(seed).shuffle(the"
        " entrants' draw tickets in the order they applied) in CPython, and winners are taken"
        " in that order while their cost fits. Without a seed: a fresh random one. Every draw"
        " is published, and anyone can replay it.",
    ),
    body=NewProgrammeDraw,
    answers={201: PublishedProgrammeDraw},
    auth="admin",
    guard=as_admin,
    path={"programme_id": uuid.UUID},
    headers=[OPERATOR_IDEMPOTENCY_KEY],
    problems=(OPERATOR_ONLY, KEY_IN_FLIGHT, KEY_REUSED, handlers.NOTHING_TO_DRAW),
)
async def post_draw(request: web.Request, caller: Caller, new: NewProgrammeDraw) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)

    async def act(conn: asyncpg.Connection) -> Answer:
        uow = UnitOfWork(conn)
        row = await handlers.run_draw(uow, programme_id, new.seed, current_correlation_id())
        await uow.flush()
        return Answer(201, published(row).model_dump_json())

    return await idempotency.answered_once(request, caller, new.model_dump_json(), act)


@routes.get("/v1/programmes/{programme_id}/draws")
@documented(
    operation_id="listProgrammeDraws",
    summary=Text("Undian program", "A programme's draws"),
    description=Text("Terbuka untuk umum.", "Public."),
    answers={200: ProgrammeDraws},
    path={"programme_id": uuid.UUID},
)
async def get_draws(request: web.Request) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    async with request.app[DATABASE].acquire() as conn:
        await shown(conn, programme_id)
        rows = await reads.draw_rows(conn, programme_id)
    return json_response(ProgrammeDraws(draws=[draw_of(row) for row in rows]))


@routes.get("/v1/programmes/{programme_id}/draws/{draw_id}")
@documented(
    operation_id="getProgrammeDraw",
    summary=Text("Satu undian, untuk diulang", "One draw, to replay"),
    description=Text(
        "Terbuka untuk umum: seed, algoritma, nomor undian pendaftar menurut urutan daftar dengan"
        " biaya masing-masing, sisa anggaran saat itu, dan nomor undian pemenang. Bukan kode"
        " pesanan (kode itu membuka pesanannya) dan bukan id pesanan: tiap pendaftar tahu nomor"
        " undiannya sendiri dari jawaban pendaftarannya dan dari pesanannya.",
        "Public: the seed, the algorithm, the entrants' draw tickets in the order they applied"
        " with what each costs, what the budget had left then, and the winners' tickets. Never"
        " an order code (a code opens its order) nor an order id: each applicant learns their"
        " own ticket from the answer to their application and from their order.",
    ),
    answers={200: PublishedProgrammeDraw},
    path={"programme_id": uuid.UUID, "draw_id": uuid.UUID},
)
async def get_draw(request: web.Request) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    draw_id = uuid_in_path(request, "draw_id", DRAW)
    async with request.app[DATABASE].acquire() as conn:
        row = await reads.draw_row(conn, programme_id, draw_id)
    if row is None:
        raise not_found(DRAW, draw_id)
    return json_response(published(row))


@routes.get("/v1/programmes/{programme_id}/report")
@documented(
    operation_id="getProgrammeReport",
    summary=Text("Laporan untuk penyandang dana", "The funder's report"),
    description=Text(
        "Operator. Anggaran terikat, terpakai dan sisa; unit yang diserahkan per hari (waktu"
        " hub), wilayah dan jenis penerima; produsen yang dibayar; setiap undian.",
        "Operators. Budget committed, spent and left; units handed over per day (the hub's),"
        " region and recipient type; producers paid; every draw.",
    ),
    answers={200: ProgrammeReport},
    auth="operator",
    guard=as_operator,
    path={"programme_id": uuid.UUID},
    problems=(OPERATOR_ONLY,),
)
async def get_report(request: web.Request, caller: Caller) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            row = await reads.programme_row(conn, programme_id)
            if row is None:
                raise not_found(handlers.PROGRAMME, programme_id)
            days, producers = await reads.report_rows(conn, programme_id, row["timezone"])
            draws = await reads.draw_rows(conn, programme_id)
    programme = programme_of(row)
    report = ProgrammeReport(
        programme=programme,
        budget=ProgrammeBudget(
            total=programme.budget,
            committed=programme.budget_committed,
            spent=programme.budget_spent,
            left=programme.budget_left,
        ),
        units_by_day=[ProgrammeUnitsOfDay(**day) for day in days],
        producers=[ProgrammeProducerPaid(**producer) for producer in producers],
        draws=[draw_of(draw) for draw in draws],
        generated_at=datetime.now(UTC),
    )
    return json_response(report)
