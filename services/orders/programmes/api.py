"""The programmes HTTP API (README "Free-mask programmes"): the admin opens a programme; anyone
reads it (the site shows it). Applications: applications_api.py; draws and the report:
draws_api.py."""

import uuid

import asyncpg
import orjson
from aiohttp import web

from services.orders import idempotency
from services.orders.auth import (
    OPERATOR_ONLY,
    Caller,
    as_admin,
)
from services.orders.idempotency import (
    KEY_IN_FLIGHT,
    KEY_REUSED,
    OPERATOR_IDEMPOTENCY_KEY,
    Answer,
)
from services.orders.programmes import handlers
from services.orders.programmes.models import (
    NewProgramme,
    Programme,
    ProgrammeProduct,
    Programmes,
    ProgrammesQuery,
)
from services.orders.programmes.rules import status_on
from services.orders.store import programme_reads as reads
from services.orders.store import programmes as store
from shared.openapi import documented
from shared.problems import FieldError, Text, invalid, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()


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
    row = await reads.programme_row(conn, programme_id)
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
        rows = await reads.programme_rows(conn, query.hub)
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
