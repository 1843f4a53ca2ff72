"""Raw material producers run short of (elastic, cloth), as they report it at the counter: the
office sees who needs what, summed by material and regency. Kept here only: no other service
acts on a shortage yet, so none is announced as an event."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from aiohttp import web
from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema

from services.intake import handlers, store
from services.intake.domain import SHORTAGE_UNITS, normalise_material
from services.intake.models import IsoDate, Page, Query, Request
from shared.fields import HubCode, Name
from shared.openapi import documented
from shared.problems import FieldError, Text, invalid, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()
SHORTAGE = Text("laporan kekurangan bahan", "shortage report")

Material = Annotated[Name, AfterValidator(normalise_material)]
# Whole hundredths: what a scale or a tape shows.
Amount = Annotated[float, Field(gt=0, le=1_000_000, multiple_of=0.01, strict=True)]
# Checked by the handler, which says which units there are (`unit_unknown`).
Unit = Annotated[str, WithJsonSchema({"type": "string", "enum": list(SHORTAGE_UNITS)})]


class NewShortage(Request):
    material: Material
    amount: Amount
    unit: Unit
    since: IsoDate | None = None  # today at the hub when left out; never after today


class Shortage(BaseModel):
    id: uuid.UUID
    producer_id: uuid.UUID
    producer_name: str
    hub: str
    regency: str  # the producer's
    material: str
    amount: float
    unit: str
    since: date
    reported_at: datetime
    resolved_at: datetime | None


class ShortageQuery(Page):
    hub: HubCode
    open: bool | None = None  # true: not yet resolved; false: resolved; left out: all


class ShortageList(BaseModel):
    total: int
    shortages: list[Shortage]


class HubQuery(Query):
    hub: HubCode


class MaterialShortage(BaseModel):
    material: str
    unit: str
    regency: str
    amount: float
    producers: int
    oldest_since: date


class ShortageSummary(BaseModel):
    hub: str
    by_material_and_regency: list[MaterialShortage]


@routes.post("/v1/producers/{id}/shortages")
@documented(
    operation_id="recordShortage",
    summary=Text("Catat kekurangan bahan baku produsen", "Record a producer's material shortage"),
    body=NewShortage,
    answers={201: Shortage},
    auth="operator",
    path={"id": uuid.UUID},
)
async def post_shortage(request: web.Request, new: NewShortage) -> web.Response:
    producer_id = uuid_in_path(request, "id", handlers.PRODUCER)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction():
            producer = await conn.fetchrow(store.PRODUCER_AND_TODAY, producer_id)
            if producer is None:
                raise not_found(handlers.PRODUCER, producer_id)
            since = new.since or producer["today"]
            check_shortage(new.unit, since, producer["today"])
            shortage_id = uuid.uuid4()
            await conn.execute(
                store.SHORTAGE_INSERT,
                shortage_id,
                producer["hub"],
                producer_id,
                new.material,
                Decimal(f"{new.amount:.2f}"),
                new.unit,
                since,
            )
            row = await conn.fetchrow(store.SHORTAGE_BY_ID, shortage_id)
    return json_response(Shortage.model_validate(dict(row)), status=201)


@routes.post("/v1/shortages/{shortage_id}/resolve")
@documented(
    operation_id="resolveShortage",
    summary=Text("Tandai kekurangan sudah teratasi", "Mark a shortage resolved"),
    answers={200: Shortage},
    auth="operator",
    path={"shortage_id": uuid.UUID},
)
async def post_shortage_resolved(request: web.Request) -> web.Response:
    """Resolving twice keeps the first time."""
    shortage_id = uuid_in_path(request, "shortage_id", SHORTAGE)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction():
            if await conn.fetchval(store.SHORTAGE_RESOLVE, shortage_id) is None:
                raise not_found(SHORTAGE, shortage_id)
            row = await conn.fetchrow(store.SHORTAGE_BY_ID, shortage_id)
    return json_response(Shortage.model_validate(dict(row)))


@routes.get("/v1/shortages")
@documented(
    operation_id="listShortages",
    summary=Text("Kekurangan bahan di hub, terlama dulu", "A hub's shortages, oldest first"),
    query=ShortageQuery,
    answers={200: ShortageList},
    auth="operator",
)
async def get_shortages(request: web.Request, query: ShortageQuery) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await handlers.require_hub(conn, query.hub)
            total = await conn.fetchval(store.SHORTAGES_FOUND, query.hub, query.open)
            rows = await conn.fetch(
                store.SHORTAGES_PAGE, query.hub, query.open, query.limit, query.offset
            )
    shortages = [Shortage.model_validate(dict(row)) for row in rows]
    return json_response(ShortageList(total=total, shortages=shortages))


@routes.get("/v1/shortages/summary")
@documented(
    operation_id="summariseShortages",
    summary=Text(
        "Kekurangan yang belum teratasi, per bahan dan kabupaten",
        "Open shortages by material and regency",
    ),
    query=HubQuery,
    answers={200: ShortageSummary},
    auth="operator",
)
async def get_shortage_summary(request: web.Request, query: HubQuery) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        await handlers.require_hub(conn, query.hub)
        rows = await conn.fetch(store.SHORTAGES_SUMMARY, query.hub)
    summary = [MaterialShortage.model_validate(dict(row)) for row in rows]
    return json_response(ShortageSummary(hub=query.hub, by_material_and_regency=summary))


def check_shortage(unit: str, since: date, today: date) -> None:
    """422 naming each of: a unit not on the list, a start after today at the hub."""
    errors = []
    if unit not in SHORTAGE_UNITS:
        units = ", ".join(SHORTAGE_UNITS)
        errors.append(
            FieldError(
                "unit",
                "unit_unknown",
                Text(f"satuan tidak dikenal; pakai {units}", f"unknown unit; use {units}"),
            )
        )
    if since > today:
        errors.append(
            FieldError(
                "since",
                "since_in_future",
                Text(f"tidak boleh setelah hari ini ({today})", f"cannot be after today ({today})"),
            )
        )
    if errors:
        raise invalid(*errors)
