"""The API documents the services serve: valid OpenAPI 3.1, made of the real routes, with the
schemas of the very models that validate, and a page a person can read."""

import importlib
import json
from html import escape

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from services.allocator.rules.policies import PolicyRules
from services.intake.models import NewDelivery
from services.intake.records import Delivery
from shared.apidocs import DOCUMENT
from shared.openapi_merge import MERGED_PATH, with_servers
from shared.openapi_schemas import REF_TEMPLATE
from tools.client import HubClient

SERVICES = ["intake", "orders", "allocator", "notifier"]
# Every route of these is documented; orders joins once its handlers are.
FULLY_DOCUMENTED = ["intake", "orders", "allocator", "notifier"]


def app_of(service: str) -> web.Application:
    """The service's app as its process builds it (nothing is started)."""
    module = importlib.import_module(f"services.{service}.app")
    return module.create_app(module.Settings())


def routes_of(app: web.Application) -> set[tuple[str, str]]:
    """(path, method) of every route but aiohttp's HEAD twins of the GETs."""
    return {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()
        if route.method != "HEAD"
    }


def operations_in(document: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, methods in document["paths"].items() for method in methods}


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_serves_a_valid_openapi_31_document(client: HubClient, service: str):
    document = await client.call(service, "GET", "/v1/openapi.json")

    assert document["openapi"] == "3.1.0"
    validate(document)  # against the OpenAPI 3.1 schema, which the version selects
    built = json.loads(app_of(service)[DOCUMENT])
    # The same but for where it is served (PUBLIC_URLS, set by the test stack).
    assert {**document, "servers": None} == {**built, "servers": None}


@pytest.mark.parametrize("service", SERVICES)
async def test_the_document_lists_only_real_routes(client: HubClient, service: str):
    document = await client.call(service, "GET", "/v1/openapi.json")

    assert operations_in(document) <= routes_of(app_of(service))


@pytest.mark.parametrize("service", FULLY_DOCUMENTED)
async def test_every_route_is_in_the_document(client: HubClient, service: str):
    document = await client.call(service, "GET", "/v1/openapi.json")

    assert operations_in(document) == routes_of(app_of(service))


async def test_bodies_and_answers_are_the_schemas_of_the_models_themselves(client: HubClient):
    intake = await client.call("intake", "GET", "/v1/openapi.json")
    schemas = intake["components"]["schemas"]
    post = intake["paths"]["/v1/deliveries"]["post"]

    assert schemas["NewDelivery"] == NewDelivery.model_json_schema(
        ref_template=REF_TEMPLATE, mode="validation"
    )
    assert schemas["Delivery"] == Delivery.model_json_schema(
        ref_template=REF_TEMPLATE, mode="serialization"
    )
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewDelivery"
    }
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Delivery"
    }
    # A model with a nested one: its definitions move to the components. ClassRule is in an
    # answer too (ActivePolicy), open there: the body's is named ClassRuleInput.
    schemas = (await client.call("allocator", "GET", "/v1/openapi.json"))["components"]["schemas"]
    rules = PolicyRules.model_json_schema(ref_template=REF_TEMPLATE, mode="validation")
    nested = rules.pop("$defs")
    rules["properties"]["classes"]["items"] = {"$ref": "#/components/schemas/ClassRuleInput"}
    assert schemas["PolicyRules"] == rules
    assert schemas["ClassRuleInput"] == {**nested["ClassRule"], "title": "ClassRuleInput"}
    assert schemas["ClassRuleInput"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["ClassRule"]


# Intake's reads that show phone numbers, money or deliveries are the operators' too.
INTAKE_OPERATOR_READS = {
    "/v1/producers",
    "/v1/producers/{id}",
    "/v1/deliveries/{id}",
    "/v1/producers/{id}/deliveries",
    "/v1/producers/{id}/days",
    "/v1/payouts",
    "/v1/shortages",
    "/v1/shortages/summary",
}


async def test_intake_writes_and_private_reads_need_the_operator_token_and_the_rest_is_open(
    client: HubClient,
):
    document = await client.call("intake", "GET", "/v1/openapi.json")

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method in ("post", "patch") or path in INTAKE_OPERATOR_READS:
                assert operation["security"] == [{"operatorToken": []}], (method, path)
                assert {"401", "403"} <= operation["responses"].keys()
            else:
                assert operation["security"] == [], path  # open, and saying so
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= operation["responses"].keys()


async def test_every_problem_answer_names_its_types_and_the_document_lists_them(
    client: HubClient,
):
    document = await client.call("intake", "GET", "/v1/openapi.json")
    listed = {kind["type"] for kind in document["x-problem-types"]}

    for methods in document["paths"].values():
        for operation in methods.values():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    assert "application/problem+json" in answer["content"]
                    assert set(answer["x-problem-types"]) <= listed
    get_producer = document["paths"]["/v1/producers/{id}"]["get"]
    assert get_producer["responses"]["404"]["x-problem-types"] == ["/problems/not-found"]
    assert get_producer["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}


@pytest.mark.parametrize("service", SERVICES)
async def test_every_operation_says_who_may_call_it_and_what_else_may_come(
    client: HubClient, service: str
):
    document = await client.call(service, "GET", "/v1/openapi.json")

    assert document["servers"] == [
        {"url": client.urls[service], "description": f"Layanan / The service {service}"}
    ]
    assert document["info"]["license"] and document["info"]["contact"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = (method, path, operation["operationId"])
            assert "security" in operation, where  # [] when open
            assert operation["tags"] in (["partner"], ["operator"], ["system"]), where
            assert operation["description"] and operation["summary"], where
            assert "default" in operation["responses"], where
            assert operation["operationId"][0].islower(), where
            if "system" in operation["tags"]:
                assert operation["operationId"].startswith(service), where


async def test_the_merged_document_is_served_with_this_deployments_servers(client: HubClient):
    merged = await client.call("intake", "GET", "/v1/openapi-all.json")
    same = await client.call("notifier", "GET", "/v1/openapi-all.json")
    expected = with_servers(json.loads(MERGED_PATH.read_text()), client.urls)

    assert merged == same == json.loads(json.dumps(expected))
    validate(merged)
    place = merged["paths"]["/v1/orders"]
    assert place["servers"] == [{"url": client.urls["orders"], "description": "orders"}]
    idempotency_key = next(
        p for p in place["post"]["parameters"] if p.get("name") == "Idempotency-Key"
    )
    assert idempotency_key["required"] is True and "24" in idempotency_key["description"]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_docs_page_is_html_naming_every_path_and_needs_nothing_else(
    client: HubClient, service: str
):
    document = await client.call(service, "GET", "/v1/openapi.json")
    async with client.session.get(f"{client.urls[service]}/v1/docs") as response:
        page = await response.text()

    assert response.status == 200 and response.content_type == "text/html"
    for path, methods in document["paths"].items():
        assert f"<code>{escape(path)}</code>" in page
        for operation in methods.values():
            assert escape(operation["summary"]) in page
    assert "<script" not in page and "://" not in page  # nothing fetched from elsewhere
    assert "href='/v1/openapi-all.json' download" in page
