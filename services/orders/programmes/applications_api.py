"""Applications to a programme over HTTP: partners with `programmes:apply`, and the counter,
apply for recipients (applying.py does it); the operators list a programme's applications."""

import uuid

import asyncpg
import orjson
from aiohttp import web

from services.orders import idempotency
from services.orders.auth import (
    HUB_NOT_ALLOWED,
    MISSING_SCOPE,
    OPERATOR_ONLY,
    Caller,
    as_applicant,
    as_operator,
)
from services.orders.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_IN_FLIGHT,
    KEY_REQUIRED,
    KEY_REUSED,
    Answer,
)
from services.orders.programmes import applying, handlers
from services.orders.programmes.api import shown
from services.orders.programmes.models import (
    NewProgrammeApplication,
    ProgrammeApplication,
    ProgrammeApplications,
)
from services.orders.programmes.rules import nik_hash
from services.orders.store import programme_reads as reads
from services.orders.store.orders import order_from
from services.orders.store.unit_of_work import UnitOfWork
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, SETTINGS, current_correlation_id, json_response, uuid_in_path

routes = web.RouteTableDef()
MOST_APPLICATIONS = 5000


@routes.post("/v1/programmes/{programme_id}/applications")
@documented(
    operation_id="applyToProgramme",
    summary=Text("Daftarkan penerima", "Apply for a recipient"),
    description=Text(
        "Mitra dengan cakupan programmes:apply, atau operator (loket). Perorangan wajib NIK"
        " (16 angka; disimpan hanya sebagai hash berkunci). Satu pendaftaran per penerima."
        " Siapa cepat dia dapat: langsung diterima (admitted) selama anggaran cukup, selain itu"
        " menunggu (waiting); undian: menunggu undian.",
        "Partners with the programmes:apply scope, or an operator (the counter). Individuals"
        " must give their NIK (16 digits; kept only as a keyed hash). One application per"
        " recipient. First come: admitted at once while the budget lasts, else waiting;"
        " lottery: waiting for the draw.",
    ),
    body=NewProgrammeApplication,
    answers={201: ProgrammeApplication},
    auth="partner",
    guard=as_applicant,
    path={"programme_id": uuid.UUID},
    headers=[IDEMPOTENCY_KEY],
    problems=(
        MISSING_SCOPE,
        KEY_REQUIRED,
        KEY_IN_FLIGHT,
        KEY_REUSED,
        HUB_NOT_ALLOWED,
        applying.NOT_ELIGIBLE,
        applying.PROGRAMME_CLOSED,
        applying.ALREADY_APPLIED,
        applying.NIK_OFF,
    ),
)
async def post_application(
    request: web.Request, caller: Caller, new: NewProgrammeApplication
) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    secret = request.app[SETTINGS].nik_hash_key
    nik_key = None if secret is None else secret.get_secret_value().encode()
    command = applying.Apply(
        programme_id=programme_id,
        new=new,
        partner_id=caller.partner_id,
        hubs=caller.hubs,
        buyer_types=None if caller.is_operator else (caller.buyer_types or ()),
        correlation_id=current_correlation_id(),
        nik_key=nik_key,
    )

    async def act(conn: asyncpg.Connection) -> Answer:
        uow = UnitOfWork(conn)
        application = await applying.apply(uow, command)
        await uow.flush()
        return Answer(201, application.model_dump_json())

    # The request is told apart from another by its body, the NIK in it as its keyed hash only.
    return await idempotency.answered_once(request, caller, _fingerprint(new, nik_key), act)


def _fingerprint(new: NewProgrammeApplication, nik_key: bytes | None) -> str:
    body = new.model_dump(mode="json", exclude_defaults=True)
    nik = new.recipient.nik
    if nik is not None:
        body["recipient"]["nik"] = nik_hash(nik_key or b"", nik)
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


@routes.get("/v1/programmes/{programme_id}/applications")
@documented(
    operation_id="listProgrammeApplications",
    summary=Text("Pendaftaran program", "A programme's applications"),
    description=Text(
        "Operator; urut waktu daftar, paling banyak 5000.",
        "Operators; in the order they came, at most 5000.",
    ),
    answers={200: ProgrammeApplications},
    auth="operator",
    guard=as_operator,
    path={"programme_id": uuid.UUID},
    problems=(OPERATOR_ONLY,),
)
async def get_applications(request: web.Request, caller: Caller) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    async with request.app[DATABASE].acquire() as conn:
        await shown(conn, programme_id)
        rows = await reads.application_rows(conn, programme_id, MOST_APPLICATIONS)
    return json_response(
        ProgrammeApplications(
            applications=[
                applying.application_of(order_from(row), row["programme_unit_price"])
                for row in rows
            ]
        )
    )
