"""Intake's HTTP API: validate, run the use case, answer."""

from aiohttp import web
from pydantic import BaseModel

from services.intake import handlers, store
from services.intake.models import (
    Delivery,
    Hub,
    NewDelivery,
    NewHub,
    NewProducer,
    NewProduct,
    Producer,
)
from shared.problems import Text, not_found
from shared.web import DATABASE, current_correlation_id, json_response, read_json, uuid_in_path

routes = web.RouteTableDef()


@routes.post("/v1/hubs")
async def post_hub(request: web.Request) -> web.Response:
    new = await read_json(request, NewHub)
    async with request.app[DATABASE].acquire() as conn:
        hub = await handlers.register_hub(conn, new, current_correlation_id())
    return json_response(hub, status=201)


@routes.get("/v1/hubs/{code}")
async def get_hub(request: web.Request) -> web.Response:
    return await _one(request, store.HUB_BY_CODE, request.match_info["code"], handlers.HUB, Hub)


@routes.post("/v1/products")
async def post_product(request: web.Request) -> web.Response:
    new = await read_json(request, NewProduct)
    async with request.app[DATABASE].acquire() as conn:
        product = await handlers.list_product(conn, new, current_correlation_id())
    return json_response(product, status=201)


@routes.post("/v1/producers")
async def post_producer(request: web.Request) -> web.Response:
    new = await read_json(request, NewProducer)
    async with request.app[DATABASE].acquire() as conn:
        producer = await handlers.register_producer(conn, new, current_correlation_id())
    return json_response(producer, status=201)


@routes.get("/v1/producers/{id}")
async def get_producer(request: web.Request) -> web.Response:
    producer_id = uuid_in_path(request, "id", handlers.PRODUCER)
    return await _one(request, store.PRODUCER_BY_ID, producer_id, handlers.PRODUCER, Producer)


@routes.post("/v1/deliveries")
async def post_delivery(request: web.Request) -> web.Response:
    new = await read_json(request, NewDelivery)
    async with request.app[DATABASE].acquire() as conn:
        delivery = await handlers.record_delivery(conn, new, current_correlation_id())
    return json_response(delivery, status=201)


@routes.get("/v1/deliveries/{id}")
async def get_delivery(request: web.Request) -> web.Response:
    delivery_id = uuid_in_path(request, "id", handlers.DELIVERY)
    return await _one(request, store.DELIVERY_BY_ID, delivery_id, handlers.DELIVERY, Delivery)


async def _one(
    request: web.Request, sql: str, key: object, what: Text, model: type[BaseModel]
) -> web.Response:
    """The one record `sql` finds by `key`, or 404."""
    async with request.app[DATABASE].acquire() as conn:
        row = await conn.fetchrow(sql, key)
    if row is None:
        raise not_found(what, key)
    return json_response(model.model_validate(dict(row)))
