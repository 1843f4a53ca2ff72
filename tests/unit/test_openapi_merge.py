"""One document for the whole hub: every service's API paths, each with its server; what cannot
be merged is an error; and the merged document the services serve is the one their routes make."""

import copy

import pytest

from shared.openapi_merge import MERGED_PATH, SERVICE, merged_document, with_servers
from tools.api_documents import SERVICES, as_text, documents, merged


@pytest.fixture(scope="module")
def made() -> dict[str, dict]:
    return documents()


def test_the_hub_merges_without_a_colliding_path_operation_id_or_schema(made: dict[str, dict]):
    hub = merged_document(made, version="0")
    ids = [op["operationId"] for item in hub["paths"].values() for op in _operations(item)]

    assert len(ids) == len(set(ids))
    # Every API path of every service is there, and no service's system routes.
    assert set(hub["paths"]) == {
        path
        for document in made.values()
        for path, item in document["paths"].items()
        if any("system" not in op["tags"] for op in item.values())
    }
    assert "/health" not in hub["paths"] and "/v1/openapi.json" not in hub["paths"]
    assert {item[SERVICE] for item in hub["paths"].values()} == set(SERVICES)
    # Every operation id is unique across all four documents, system routes included.
    every = [
        op["operationId"] for d in made.values() for i in d["paths"].values() for op in i.values()
    ]
    assert len(every) == len(set(every)) and "ordersHealth" in every


def test_two_services_with_one_path_operation_id_or_schema_name_are_refused(made):
    intake, orders = made["intake"], made["orders"]
    same_path = copy.deepcopy(orders)
    same_path["paths"]["/v1/hubs/{code}"] = intake["paths"]["/v1/hubs/{code}"]
    same_id = copy.deepcopy(orders)
    same_id["paths"]["/v1/orders"]["post"]["operationId"] = "registerHub"
    other_schema = copy.deepcopy(orders)
    other_schema["components"]["schemas"]["Language"] = {"enum": ["id"], "type": "string"}

    with pytest.raises(ValueError, match="/v1/hubs/{code} is intake's and orders'"):
        merged_document({"intake": intake, "orders": same_path}, version="0")
    with pytest.raises(ValueError, match="registerHub is intake's and orders'"):
        merged_document({"intake": intake, "orders": same_id}, version="0")
    with pytest.raises(ValueError, match="Language differs"):
        merged_document({"intake": intake, "orders": other_schema}, version="0")


def test_each_path_names_the_server_of_its_service():
    urls = {service: f"https://{service}.plut.example" for service in SERVICES}
    served = with_servers(merged(), urls)

    assert [server["url"] for server in served["servers"]] == sorted(urls.values())
    assert served["paths"]["/v1/orders"]["servers"] == [
        {"url": "https://orders.plut.example", "description": "orders"}
    ]
    with pytest.raises(ValueError, match="no public URL for"):
        with_servers(merged(), {"orders": urls["orders"]})


def test_the_merged_document_served_is_the_one_the_routes_make():
    assert MERGED_PATH.read_text() == as_text(merged()), (
        "an API changed: python -m tools.api_documents --update"
    )


def _operations(item: dict) -> list[dict]:
    return [value for key, value in item.items() if key != SERVICE]


def test_the_providers_webhooks_are_the_notifiers_own_not_the_partners(made: dict[str, dict]):
    notifier = made["notifier"]
    security = {
        (path, method): operation["security"]
        for path in ("/v1/whatsapp/webhook", "/v1/sms/inbound")
        for method, operation in notifier["paths"][path].items()
    }
    merged = merged_document(made, version="1")

    assert security == {
        ("/v1/whatsapp/webhook", "get"): [{"whatsappVerifyToken": []}],
        ("/v1/whatsapp/webhook", "post"): [{"whatsappSignature": []}],
        ("/v1/sms/inbound", "post"): [{"smsInboundBasic": []}],
    }
    sms = notifier["paths"]["/v1/sms/inbound"]["post"]["requestBody"]["content"]
    assert sms["application/json"]["schema"] == {"$ref": "#/components/schemas/InboundSmsForward"}
    # Meta and Infobip call them, never a partner: the merged document leaves them out.
    assert not {"/v1/whatsapp/webhook", "/v1/sms/inbound"} & set(merged["paths"])
    assert set(merged["components"]["securitySchemes"]) == {"operatorToken", "partnerKey"}
