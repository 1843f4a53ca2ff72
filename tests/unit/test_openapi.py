"""The `documented` decorator, in process: it enforces what it documents, and the document is
made of the router's real routes."""

import uuid

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel, ConfigDict, Field

from shared.config import ServiceSettings
from shared.guesses import GUESSES, Guesses
from shared.openapi import Header, Kind, documented
from shared.openapi_document import openapi_document
from shared.problems import Text
from shared.web import SETTINGS, problem_middleware

TOKEN = "unit-operator-token"


class NewThing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)


class Thing(BaseModel):
    id: uuid.UUID
    name: str


class Page(BaseModel):
    limit: int = Field(default=10, ge=1)
    after: uuid.UUID | None = None


routes = web.RouteTableDef()


@routes.post("/things")
@documented(
    operation_id="makeThing",
    summary=Text("Buat", "Make"),
    body=NewThing,
    answers={201: Thing},
    auth="operator",
)
async def post_thing(request: web.Request, new: NewThing) -> web.Response:
    return web.json_response({"id": str(uuid.uuid4()), "name": new.name}, status=201)


@routes.get("/things")
@documented(
    operation_id="listThings", summary=Text("Daftar", "List"), query=Page, answers={200: None}
)
async def get_things(request: web.Request, page: Page) -> web.Response:
    return web.json_response({"limit": page.limit})


@routes.get("/things/{id}")
@documented(
    operation_id="getThing",
    summary=Text("Satu", "One"),
    description=Text("Satu barang", "One thing"),
    answers={200: Thing},
    auth="partner",
    path={"id": uuid.UUID},
    headers=[Header("Idempotency-Key", Text("kunci", "key"), required=True)],
    problems=(Kind(409, "thing-busy", Text("Sibuk", "Busy")),),
)
async def get_thing(request: web.Request) -> web.Response:
    return web.json_response({})


@routes.get("/undocumented")
async def undocumented(request: web.Request) -> web.Response:
    return web.json_response({})


def make_app() -> web.Application:
    app = web.Application(middlewares=[problem_middleware])
    app[SETTINGS] = ServiceSettings(http_port=8080, operator_token=TOKEN)
    app[GUESSES] = Guesses()
    app.router.add_routes(routes)
    return app


def document_of(router: web.UrlDispatcher) -> dict:
    return openapi_document(
        router,
        service="unit",
        title="test",
        about=Text("uji", "test"),
        version="0",
        servers=[{"url": "https://unit.plut.example"}],
    )


def document() -> dict:
    return document_of(make_app().router)


async def test_the_handler_gets_the_body_the_document_declares():
    async with TestClient(TestServer(make_app())) as client:
        operator = {"Authorization": f"Bearer {TOKEN}"}
        made = await client.post("/things", json={"name": "kain"}, headers=operator)
        refused = await client.post("/things", json={"name": ""}, headers=operator)
        unknown = await client.post("/things", json={"name": "x", "colour": 1}, headers=operator)

        assert made.status == 201 and (await made.json())["name"] == "kain"
        assert refused.status == 422 and unknown.status == 422
        assert [e["field"] for e in (await unknown.json())["errors"]] == ["colour"]


async def test_an_operator_operation_refuses_before_reading_the_body():
    async with TestClient(TestServer(make_app())) as client:
        missing = await client.post("/things", data=b"not json")
        wrong = await client.post("/things", json={}, headers={"Authorization": "Bearer nope"})

        assert missing.status == 401 and wrong.status == 401


async def test_the_handler_gets_the_query_the_document_declares():
    async with TestClient(TestServer(make_app())) as client:
        assert await (await client.get("/things?limit=3")).json() == {"limit": 3}
        assert (await client.get("/things?limit=0")).status == 422


def test_the_document_has_the_real_routes_and_leaves_out_the_undocumented():
    paths = document()["paths"]

    assert {path: sorted(methods) for path, methods in paths.items()} == {
        "/things": ["get", "post"],
        "/things/{id}": ["get"],
    }


def test_each_operation_lists_the_problems_it_can_answer():
    operations = document()["paths"]

    post = operations["/things"]["post"]["responses"]
    assert sorted(post) == ["201", "400", "401", "403", "413", "415", "422", "429", "default"]
    assert post["415"]["x-problem-types"] == ["/problems/unsupported-media-type"]
    listing = operations["/things"]["get"]["responses"]
    assert sorted(listing) == ["200", "422", "default"] and "content" not in listing["200"]
    one = operations["/things/{id}"]["get"]
    assert sorted(one["responses"]) == ["200", "401", "403", "404", "409", "429", "default"]
    assert one["responses"]["429"]["headers"]["Retry-After"] == {
        "$ref": "#/components/headers/RetryAfter"
    }
    assert one["responses"]["409"]["x-problem-types"] == ["/problems/thing-busy"]
    assert one["security"] == [{"partnerKey": []}]  # a partner key or the operator token


def test_parameters_come_from_the_path_the_query_model_and_the_headers():
    listing = document()["paths"]["/things"]["get"]["parameters"]
    one = document()["paths"]["/things/{id}"]["get"]["parameters"]

    common = [
        {"$ref": "#/components/parameters/CorrelationId"},
        {"$ref": "#/components/parameters/AcceptLanguage"},
    ]
    assert listing[2:] == common and one[2:] == common
    listing, one = listing[:2], one[:2]
    assert [(p["name"], p["in"], p["required"]) for p in listing] == [
        ("limit", "query", False),
        ("after", "query", False),
    ]
    # An optional query parameter is left out, never null.
    assert listing[1]["schema"] == {"format": "uuid", "title": "After", "type": "string"}
    assert [(p["name"], p["in"], p["required"]) for p in one] == [
        ("id", "path", True),
        ("Idempotency-Key", "header", True),
    ]


def test_a_path_parameter_the_route_does_not_have_is_an_error():
    app = web.Application()

    @documented(operation_id="x", summary=Text("x", "x"), answers={200: None}, path={"code": str})
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({})

    app.router.add_get("/things/{id}", handler)
    with pytest.raises(ValueError, match="code"):
        document_of(app.router)
