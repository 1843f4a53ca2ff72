"""Producers as the operators' console sees them: found by name or number, corrected, and their
deliveries. Operator-only, like every view that shows phone numbers or money."""

import uuid
from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, StringConstraints

from services.intake.api.registry import ONE_PRODUCER
from services.intake.api.unit import request_unit
from services.intake.domain import contains_pattern, phone_digits_query
from services.intake.handlers.problems import PHONE_TAKEN, PRODUCER, unknown_hub
from services.intake.handlers.producers import update_producer
from services.intake.models import Page, ProducerChanges
from services.intake.records import Producer
from services.intake.store import deliveries, hubs, producers
from shared.fields import HubCode
from shared.openapi import documented
from shared.problems import Text, not_found
from shared.web import DATABASE, current_correlation_id, json_response, uuid_in_path

routes = web.RouteTableDef()

# What an operator typed into the search box; an empty box finds everyone.
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]


class ProducerSearch(Page):
    hub: HubCode
    q: SearchText | None = None


class ProducerList(BaseModel):
    total: int  # producers that match, over all pages
    producers: list[Producer]


class ProducerDelivery(BaseModel):
    id: uuid.UUID
    sku: str
    quantity: int
    rejected: int
    accepted: int
    sold: int
    received_at: datetime


class DeliveryList(BaseModel):
    total: int
    deliveries: list[ProducerDelivery]


@routes.get("/v1/producers")
@documented(
    operation_id="findProducers",
    summary=Text(
        "Cari produsen hub menurut nama atau nomor telepon (q), urut nama",
        "Find a hub's producers by name or phone number (q), by name",
    ),
    query=ProducerSearch,
    answers={200: ProducerList},
    auth="operator",
)
async def get_producers(request: web.Request, search: ProducerSearch) -> web.Response:
    """`q` matches any part of a name, in any case; with three digits or more it also matches
    any part of a phone number, written as people write it ("0812", "+62 812", "3456")."""
    # Postgres text cannot hold NUL, and no name has one.
    q = (search.q or "").replace("\x00", "")
    digits = phone_digits_query(q)
    patterns = [contains_pattern(text) for text in (q, digits) if text]
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot for the page and the count, so they agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            if await hubs.one(conn, search.hub) is None:
                raise unknown_hub(search.hub)
            total, found = await producers.found(
                conn, search.hub, patterns, search.limit, search.offset
            )
    return json_response(ProducerList(total=total, producers=found))


@routes.patch(ONE_PRODUCER)
@documented(
    operation_id="updateProducer",
    summary=Text("Ubah data produsen", "Change a producer's details"),
    body=ProducerChanges,
    answers={200: Producer},
    auth="operator",
    path={"id": uuid.UUID},
    problems=(PHONE_TAKEN,),
)
async def patch_producer(request: web.Request, changes: ProducerChanges) -> web.Response:
    producer_id = uuid_in_path(request, "id", PRODUCER)
    async with request_unit(request) as uow:
        producer = await update_producer(uow, producer_id, changes, current_correlation_id())
    return json_response(producer)


@routes.get("/v1/producers/{id}/deliveries")
@documented(
    operation_id="listProducerDeliveries",
    summary=Text("Setoran seorang produsen, terbaru dulu", "A producer's deliveries, newest first"),
    query=Page,
    answers={200: DeliveryList},
    auth="operator",
    path={"id": uuid.UUID},
)
async def get_producer_deliveries(request: web.Request, page: Page) -> web.Response:
    producer_id = uuid_in_path(request, "id", PRODUCER)
    async with request.app[DATABASE].acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            if await producers.one(conn, producer_id) is None:
                raise not_found(PRODUCER, producer_id)
            total, rows = await deliveries.of_producer(conn, producer_id, page.limit, page.offset)
    made = [ProducerDelivery.model_validate(dict(row)) for row in rows]
    return json_response(DeliveryList(total=total, deliveries=made))
