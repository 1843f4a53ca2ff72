"""Hubs, products, producers and deliveries: registered, and each read by its key. A hub is
public (its name, address and opening hours are what buyers read on the public site)."""

import uuid

from aiohttp import web
from pydantic import TypeAdapter

from services.intake.api.unit import request_unit
from services.intake.handlers.hubs import register_hub, update_hub
from services.intake.handlers.problems import DELIVERY, HUB, PRODUCER
from services.intake.handlers.producers import register_producer
from services.intake.handlers.supply import list_product, record_delivery
from services.intake.models import (
    HubChanges,
    HubFilter,
    NewDelivery,
    NewHub,
    NewProducer,
    NewProduct,
)
from services.intake.records import Delivery, Hub, HubList, Producer, Product
from services.intake.store import deliveries, hubs, producers
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
    async with request_unit(request) as uow:
        hub = await register_hub(uow, new, current_correlation_id())
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
    async with request.app[DATABASE].acquire() as conn:
        total, found = await hubs.page(conn, query.takes_site_orders, query.limit, query.offset)
    return json_response(HubList(total=total, hubs=found))


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
    code = in_path(request, "code", _HUB_CODE, HUB)
    async with request_unit(request) as uow:
        hub = await update_hub(uow, code, changes)
    return json_response(hub)


@routes.get("/v1/hubs/{code}")
@documented(
    operation_id="getHub",
    summary=Text("Satu hub", "One hub"),
    answers={200: Hub},
    path={"code": HubCode},
)
async def get_hub(request: web.Request) -> web.Response:
    code = in_path(request, "code", _HUB_CODE, HUB)
    async with request.app[DATABASE].acquire() as conn:
        return _found(await hubs.one(conn, code), HUB, code)


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
    async with request_unit(request) as uow:
        product = await list_product(uow, new, current_correlation_id())
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
    async with request_unit(request) as uow:
        producer = await register_producer(uow, new, current_correlation_id())
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
    producer_id = uuid_in_path(request, "id", PRODUCER)
    async with request.app[DATABASE].acquire() as conn:
        return _found(await producers.one(conn, producer_id), PRODUCER, producer_id)


@routes.post("/v1/deliveries")
@documented(
    operation_id="recordDelivery",
    summary=Text("Catat setoran produsen", "Record a producer's delivery"),
    body=NewDelivery,
    answers={201: Delivery},
    auth="operator",
)
async def post_delivery(request: web.Request, new: NewDelivery) -> web.Response:
    async with request_unit(request) as uow:
        delivery = await record_delivery(uow, new, current_correlation_id())
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
    delivery_id = uuid_in_path(request, "id", DELIVERY)
    async with request.app[DATABASE].acquire() as conn:
        return _found(await deliveries.one(conn, delivery_id), DELIVERY, delivery_id)


def _found(record: Hub | Producer | Delivery | None, what: Text, key: object) -> web.Response:
    """The record, or 404."""
    if record is None:
        raise not_found(what, key)
    return json_response(record)
