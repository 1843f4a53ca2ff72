"""The programmes HTTP API (README "Free-mask programmes"): the admin opens a programme; anyone
reads it (the site shows it); partners with `programmes:apply`, and the counter, apply for
recipients; the operators list the applications."""

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
    as_admin,
    as_applicant,
    as_operator,
)
from services.orders.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_IN_FLIGHT,
    KEY_REQUIRED,
    KEY_REUSED,
    OPERATOR_IDEMPOTENCY_KEY,
    Answer,
)
from services.orders.programmes import handlers
from services.orders.programmes.models import (
    NewProgramme,
    NewProgrammeApplication,
    Programme,
    ProgrammeApplication,
    ProgrammeApplications,
    ProgrammeProduct,
    Programmes,
    ProgrammesQuery,
)
from services.orders.programmes.rules import nik_hash, status_on
from services.orders.store import programmes as store
from services.orders.store.orders import order_from
from services.orders.store.unit_of_work import UnitOfWork
from shared.openapi import documented
from shared.problems import FieldError, Text, invalid, not_found
from shared.web import DATABASE, SETTINGS, current_correlation_id, json_response, uuid_in_path

routes = web.RouteTableDef()
MOST_APPLICATIONS = 5000


def programme_of(row: asyncpg.Record) -> Programme:
    committed, spent = row["committed"], row["spent"]
    return Programme(
        id=row["id"],
        hub=row["hub"],
        name=row["name"],
        funder=row["funder"],
        budget=row["budget"],
        products=[ProgrammeProduct(**p) for p in orjson.loads(row["products"])],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        units_per_recipient=row["units_per_recipient"],
        regencies=list(row["regencies"]),
        buyer_types=list(row["buyer_types"]),
        selection=row["selection"],
        status=status_on(row["starts_on"], row["ends_on"], row["today"]),
        budget_committed=committed,
        budget_spent=spent,
        budget_left=row["budget"] - committed - spent,
        applications=row["applications"],
        created_at=row["created_at"],
    )


async def shown(conn: asyncpg.Connection, programme_id: uuid.UUID) -> Programme:
    row = await store.programme_row(conn, programme_id)
    if row is None:
        raise not_found(handlers.PROGRAMME, programme_id)
    return programme_of(row)


@routes.post("/v1/programmes")
@documented(
    operation_id="openProgramme",
    summary=Text("Buka program masker gratis", "Open a free-mask programme"),
    description=Text(
        "Hanya admin. Anggaran (rupiah) membayar produsen harga per unit setiap produk untuk"
        " unit yang diberikan; tanggal dalam zona waktu hub, termasuk keduanya.",
        "Admins only. The budget (rupiah) pays producers each product's unit price for the"
        " units given; dates in the hub's time zone, both inclusive.",
    ),
    body=NewProgramme,
    answers={201: Programme},
    auth="admin",
    guard=as_admin,
    headers=[OPERATOR_IDEMPOTENCY_KEY],
    problems=(OPERATOR_ONLY, KEY_IN_FLIGHT, KEY_REUSED),
)
async def post_programme(request: web.Request, caller: Caller, new: NewProgramme) -> web.Response:
    errors = []
    if new.ends_on < new.starts_on:
        errors.append(
            FieldError(
                "ends_on",
                "before_start",
                Text("tidak boleh sebelum starts_on", "must not be before starts_on"),
            )
        )
    skus = [product.sku for product in new.products]
    for n, sku in enumerate(skus):
        if sku in skus[:n]:
            errors.append(
                FieldError(
                    f"products.{n}.sku", "repeated", Text("produk ganda", "product listed twice")
                )
            )
    if errors:
        raise invalid(*errors)

    async def open_programme(conn: asyncpg.Connection) -> Answer:
        unlisted = set(await store.unlisted(conn, new.hub, skus))
        if unlisted:
            raise invalid(
                *(
                    FieldError(
                        f"products.{n}.sku",
                        "unknown",
                        Text(
                            f"produk '{sku}' tidak dijual di hub '{new.hub}'",
                            f"product '{sku}' is not listed at hub '{new.hub}'",
                        ),
                    )
                    for n, sku in enumerate(skus)
                    if sku in unlisted
                )
            )
        programme_id = uuid.uuid4()
        await store.insert_programme(conn, programme_id, new)
        return Answer(201, (await shown(conn, programme_id)).model_dump_json())

    return await idempotency.answered_once(
        request, caller, new.model_dump_json(exclude_defaults=True), open_programme
    )


@routes.get("/v1/programmes")
@documented(
    operation_id="listProgrammes",
    summary=Text("Program masker gratis", "Free-mask programmes"),
    description=Text(
        "Terbuka untuk umum; yang terbaru dulu, paling banyak 200.",
        "Public; the latest first, at most 200.",
    ),
    query=ProgrammesQuery,
    answers={200: Programmes},
)
async def get_programmes(request: web.Request, query: ProgrammesQuery) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        rows = await store.programme_rows(conn, query.hub)
    return json_response(Programmes(programmes=[programme_of(row) for row in rows]))


@routes.get("/v1/programmes/{programme_id}")
@documented(
    operation_id="getProgramme",
    summary=Text("Satu program", "One programme"),
    description=Text("Terbuka untuk umum.", "Public."),
    answers={200: Programme},
    path={"programme_id": uuid.UUID},
)
async def get_programme(request: web.Request) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    async with request.app[DATABASE].acquire() as conn:
        return json_response(await shown(conn, programme_id))


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
        handlers.NOT_ELIGIBLE,
        handlers.PROGRAMME_CLOSED,
        handlers.ALREADY_APPLIED,
        handlers.NIK_OFF,
    ),
)
async def post_application(
    request: web.Request, caller: Caller, new: NewProgrammeApplication
) -> web.Response:
    programme_id = uuid_in_path(request, "programme_id", handlers.PROGRAMME)
    secret = request.app[SETTINGS].nik_hash_key
    nik_key = None if secret is None else secret.get_secret_value().encode()
    command = handlers.Apply(
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
        application = await handlers.apply(uow, command)
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
        rows = await store.application_rows(conn, programme_id, MOST_APPLICATIONS)
    return json_response(
        ProgrammeApplications(
            applications=[
                handlers.application_of(order_from(row), row["programme_unit_price"])
                for row in rows
            ]
        )
    )
