"""Intake's HTTP API: validate, run the use case, answer. Writes are for the centre's operators,
and so are the reads of producers (their phone and email) and deliveries; a hub is public (its
name, address and opening hours are what buyers read on the public site)."""

import uuid

from aiohttp import web
from pydantic import BaseModel, TypeAdapter

from services.intake import handlers, store
from services.intake.models import (
    Delivery,
    Hub,
    HubChanges,
    HubFilter,
    HubList,
    NewDelivery,
    NewHub,
    NewProducer,
    NewProduct,
    Producer,
    Product,
)
from shared.fields import HubCode
from shared.openapi import documented
from shared.problems import Text, not_found
from shared.web import DATABASE, current_correlation_id, in_path, json_response, uuid_in_path

routes = web.RouteTableDef()
_HUB_CODE = TypeAdapter(HubCode)
# A producer's path takes only what could be an id, so `/v1/producers/import` is never one: a
# method it does not take is 405 there, not a lookup of a producer called "import".
ONE_PRODUCER = "/v1/producers/{id:[0-9A-Fa-f-]{32,36}}"


@routes.post("/v1/hubs")
@documented(
    operation_id="registerHub",
    summary=Text("Daftarkan hub", "Register a hub"),
    body=NewHub,
    answers={201: Hub},
    auth="admin",  # a hub or product is set up once, by an admin
    problems=(409,),
)
async def post_hub(request: web.Request, new: NewHub) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        hub = await handlers.register_hub(conn, new, current_correlation_id())
    return json_response(hub, status=201)


@routes.get("/v1/hubs")
@documented(
    operation_id="listHubs",
    summary=Text(
        "Hub, yang terlama dulu (takes_site_orders=true: yang menerima pesanan situs)",
        "Hubs, oldest first (takes_site_orders=true: those taking the site's orders)",
    ),
    query=HubFilter,
    answers={200: HubList},
)
async def get_hubs(request: web.Request, query: HubFilter) -> web.Response:
    which = query.takes_site_orders
    async with request.app[DATABASE].acquire() as conn:
        # One snapshot for the page and the count, so they agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            total = await conn.fetchval(store.HUBS_FOUND, which)
            rows = await conn.fetch(store.HUBS_PAGE, which, query.limit, query.offset)
    hubs = [Hub.model_validate(dict(row)) for row in rows]
    return json_response(HubList(total=total, hubs=hubs))


@routes.patch("/v1/hubs/{code}")
@documented(
    operation_id="updateHub",
    summary=Text(
        "Ubah alamat, jam buka hub dan apakah situs menerima pesanan di sana",
        "Change a hub's address, opening hours and whether the site takes orders there",
    ),
    body=HubChanges,
    answers={200: Hub},
    auth="admin",  # as the hub's set-up
    path={"code": HubCode},
)
async def patch_hub(request: web.Request, changes: HubChanges) -> web.Response:
    code = in_path(request, "code", _HUB_CODE, handlers.HUB)
    async with request.app[DATABASE].acquire() as conn:
        hub = await handlers.update_hub(conn, code, changes)
    return json_response(hub)


@routes.get("/v1/hubs/{code}")
@documented(
    operation_id="getHub",
    summary=Text("Satu hub", "One hub"),
    answers={200: Hub},
    path={"code": HubCode},
)
async def get_hub(request: web.Request) -> web.Response:
    code = in_path(request, "code", _HUB_CODE, handlers.HUB)
    return await _one(request, store.HUB_BY_CODE, code, handlers.HUB, Hub)


@routes.post("/v1/products")
@documented(
    operation_id="addProduct",
    summary=Text("Daftarkan produk di hub", "List a product in a hub"),
    body=NewProduct,
    answers={201: Product},
    auth="admin",  # a hub or product is set up once, by an admin
    problems=(409,),
)
async def post_product(request: web.Request, new: NewProduct) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        product = await handlers.list_product(conn, new, current_correlation_id())
    return json_response(product, status=201)


@routes.post("/v1/producers")
@documented(
    operation_id="registerProducer",
    summary=Text("Daftarkan produsen", "Register a producer"),
    body=NewProducer,
    answers={201: Producer},
    auth="operator",
    problems=(409,),
)
async def post_producer(request: web.Request, new: NewProducer) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        producer = await handlers.register_producer(conn, new, current_correlation_id())
    return json_response(producer, status=201)


@routes.get(ONE_PRODUCER)
@documented(
    operation_id="getProducer",
    summary=Text("Satu produsen", "One producer"),
    answers={200: Producer},
    auth="operator",
    path={"id": uuid.UUID},
)
async def get_producer(request: web.Request) -> web.Response:
    producer_id = uuid_in_path(request, "id", handlers.PRODUCER)
    return await _one(request, store.PRODUCER_BY_ID, producer_id, handlers.PRODUCER, Producer)


@routes.post("/v1/deliveries")
@documented(
    operation_id="recordDelivery",
    summary=Text("Catat setoran produsen", "Record a producer's delivery"),
    body=NewDelivery,
    answers={201: Delivery},
    auth="operator",
)
async def post_delivery(request: web.Request, new: NewDelivery) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        delivery = await handlers.record_delivery(conn, new, current_correlation_id())
    return json_response(delivery, status=201)


@routes.get("/v1/deliveries/{id}")
@documented(
    operation_id="getDelivery",
    summary=Text("Satu setoran", "One delivery"),
    answers={200: Delivery},
    auth="operator",
    path={"id": uuid.UUID},
)
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
