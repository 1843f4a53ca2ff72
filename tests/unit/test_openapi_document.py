"""What every operation of a document says by construction: who may call it, its tag and words,
a chosen operation id, the shared headers, a problem for anything else, open answers, and one
schema for a named type however many models use it."""

import uuid
from typing import Literal

import pytest
from aiohttp import web
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeAliasType

from shared.openapi import Header, documented
from shared.problems import Text
from tests.unit.test_openapi import document_of

Colour = TypeAliasType("Colour", Literal["red", "blue"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colour: Colour


class Painted(BaseModel):
    id: uuid.UUID
    colour: Colour
    previous: Colour | None


class ByColour(BaseModel):
    colour: Colour | None = None


KEY = Header("Idempotency-Key", Text("kunci", "key"), required=True, example="k-1")


def make_router() -> web.UrlDispatcher:
    routes = web.RouteTableDef()

    @routes.post("/paint")
    @documented(
        operation_id="paint",
        summary=Text("Cat", "Paint"),
        description=Text("Mengecat", "Paints"),
        body=Strict,
        answers={201: Strict, 200: Painted},
        auth="partner",
        headers=[KEY],
        examples={"body": {"colour": "red"}},
    )
    async def paint(request: web.Request) -> web.Response:
        return web.json_response({})

    @routes.get("/paint")
    @documented(operation_id="findPaint", summary=Text("Cari", "Find"), query=ByColour, answers={})
    async def find(request: web.Request) -> web.Response:
        return web.json_response({})

    @routes.get("/health")
    @documented(operation_id="health", tag="system", summary=Text("Hidup", "Alive"), answers={})
    async def health(request: web.Request) -> web.Response:
        return web.json_response({})

    @routes.delete("/paint")
    @documented(operation_id="strip", summary=Text("K", "S"), answers={}, auth="operator")
    async def strip(request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_routes(routes)
    return app.router


def test_each_operation_says_who_may_call_it_its_tag_and_in_words():
    paths = document_of(make_router())["paths"]
    paint, find = paths["/paint"]["post"], paths["/paint"]["get"]
    strip, health = paths["/paint"]["delete"], paths["/health"]["get"]

    assert [paint["security"], find["security"], strip["security"], health["security"]] == [
        [{"partnerKey": []}],
        [],  # open, said so: no root security to fall back on
        [{"operatorToken": []}],
        [],
    ]
    assert [op["tags"] for op in (paint, find, strip, health)] == [
        ["partner"],
        ["partner"],
        ["operator"],
        ["system"],
    ]
    assert paint["description"].startswith("Mengecat\n\nPaints\n\nAkses: kunci API mitra")
    assert "Idempotent-Replayed: true" in paint["description"]
    assert find["description"].startswith("Akses: terbuka")


def test_a_system_operation_is_named_with_its_service_and_an_id_names_one_operation():
    document = document_of(make_router())
    assert document["paths"]["/health"]["get"]["operationId"] == "unitHealth"

    routes = web.RouteTableDef()
    for path in ("/a", "/b"):

        @routes.get(path)
        @documented(operation_id="same", summary=Text("x", "x"), answers={})
        async def handler(request: web.Request) -> web.Response:
            return web.json_response({})

    app = web.Application()
    app.router.add_routes(routes)
    with pytest.raises(ValueError, match="same names GET /a and GET /b"):
        document_of(app.router)
    with pytest.raises(ValueError, match="camelCase"):
        documented(operation_id="post_thing", summary=Text("x", "x"), answers={})


def test_answers_are_open_while_bodies_stay_as_strict_as_validated():
    document = document_of(make_router())
    schemas = document["components"]["schemas"]
    paint = document["paths"]["/paint"]["post"]

    body = paint["requestBody"]["content"]["application/json"]
    answer = paint["responses"]["201"]["content"]["application/json"]
    assert schemas[body["schema"]["$ref"].rsplit("/", 1)[-1]]["additionalProperties"] is False
    assert "additionalProperties" not in schemas[answer["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert body["example"] == {"colour": "red"}
    # One model, two schemas: names a generated client can tell apart (not Strict-Input).
    assert (body["schema"], answer["schema"]) == (
        {"$ref": "#/components/schemas/StrictInput"},
        {"$ref": "#/components/schemas/Strict"},
    )
    assert schemas["StrictInput"]["title"] == "StrictInput"
    assert schemas["Strict"]["title"] == "Strict"


def test_a_named_type_is_one_schema_wherever_it_is_used():
    document = document_of(make_router())
    schemas = document["components"]["schemas"]
    colour = {"$ref": "#/components/schemas/Colour"}

    assert schemas["Colour"] == {"enum": ["red", "blue"], "type": "string"}
    assert schemas["Painted"]["properties"]["colour"] == colour
    assert colour in schemas["Painted"]["properties"]["previous"]["anyOf"]
    [query] = [p for p in document["paths"]["/paint"]["get"]["parameters"] if "in" in p]
    assert query["schema"]["$ref"] == colour["$ref"]  # a query model's own schema is left out
    assert "ByColour" not in schemas


def test_every_answer_carries_the_correlation_id_and_anything_else_is_a_problem():
    document = document_of(make_router())
    paint = document["paths"]["/paint"]["post"]

    for status, answer in paint["responses"].items():
        assert answer["headers"]["X-Correlation-Id"] == {
            "$ref": "#/components/headers/CorrelationId"
        }, status
    assert paint["responses"]["default"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "Idempotent-Replayed" in paint["responses"]["200"]["headers"]
    key = next(p for p in paint["parameters"] if p.get("name") == "Idempotency-Key")
    assert (key["required"], key["example"], key["description"]) == (True, "k-1", "kunci / key")


def test_the_components_hold_only_what_the_operations_use():
    routes = web.RouteTableDef()

    @routes.get("/open")
    @documented(operation_id="open", summary=Text("x", "x"), answers={})
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_routes(routes)
    components = document_of(app.router)["components"]
    full = document_of(make_router())["components"]

    assert components["securitySchemes"] == {}
    assert sorted(components["headers"]) == ["CorrelationId"]
    assert sorted(full["securitySchemes"]) == ["operatorToken", "partnerKey"]
    # A partner may be told to slow down (429), with Retry-After.
    assert sorted(full["headers"]) == ["CorrelationId", "IdempotentReplayed", "RetryAfter"]


class Notification(BaseModel):
    """What a provider posts."""

    model_config = ConfigDict(extra="allow")
    object: Literal["thing"]


async def signed(request: web.Request) -> bytes:
    return await request.read()


def test_a_providers_webhook_names_its_scheme_and_its_raw_body():
    routes = web.RouteTableDef()

    @routes.post("/hook")
    @documented(
        operation_id="hook",
        summary=Text("Kait", "Hook"),
        answers={200: None},
        tag="system",
        auth="whatsapp-signature",
        guard=signed,
        raw_body=Notification,
    )
    async def hook(request: web.Request, body: bytes) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_routes(routes)
    document = document_of(app.router)
    operation = document["paths"]["/hook"]["post"]

    assert operation["security"] == [{"whatsappSignature": []}]
    assert document["components"]["securitySchemes"]["whatsappSignature"] == {
        **document["components"]["securitySchemes"]["whatsappSignature"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Hub-Signature-256",
    }
    assert "Access: open" not in operation["description"]
    assert "X-Hub-Signature-256" in operation["description"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Notification"}
    # Its refusals are its own: not the operators' 403 the shared plumbing answers.
    assert "403" not in operation["responses"]


def test_a_providers_webhook_needs_its_guard():
    with pytest.raises(ValueError, match="guard"):
        documented(
            operation_id="hook",
            summary=Text("Kait", "Hook"),
            answers={200: None},
            auth="sms-basic",
            raw_body=Notification,
        )
