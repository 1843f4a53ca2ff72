"""Producers' material shortages over HTTP (the rules are `handlers.shortages`): reported,
resolved, listed, and summed by material and regency for the office."""

import uuid
from datetime import date

from aiohttp import web
from pydantic import BaseModel

from services.intake.api.unit import request_unit
from services.intake.handlers.problems import PRODUCER, SHORTAGE, unknown_hub
from services.intake.handlers.shortages import report_shortage, resolve_shortage
from services.intake.models import NewShortage, Page, Query
from services.intake.records import Shortage
from services.intake.store import hubs, shortages
from shared.fields import HubCode
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()


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
    producer_id = uuid_in_path(request, "id", PRODUCER)
    async with request_unit(request) as uow:
        shortage = await report_shortage(uow, producer_id, new)
    return json_response(shortage, status=201)


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
    async with request_unit(request) as uow:
        shortage = await resolve_shortage(uow, shortage_id)
    return json_response(shortage)


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
            if await hubs.one(conn, query.hub) is None:
                raise unknown_hub(query.hub)
            total, found = await shortages.page(
                conn, query.hub, query.open, query.limit, query.offset
            )
    return json_response(ShortageList(total=total, shortages=found))


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
        if await hubs.one(conn, query.hub) is None:
            raise unknown_hub(query.hub)
        rows = await shortages.summary(conn, query.hub)
    summary = [MaterialShortage.model_validate(dict(row)) for row in rows]
    return json_response(ShortageSummary(hub=query.hub, by_material_and_regency=summary))
