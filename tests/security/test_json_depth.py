"""JSON nested a thousand levels deep, in 2 KB: parsing it recursed until Python's stack ran out
(500, RecursionError) on every service. The one reader of request bodies (shared/web.py) now
refuses nesting beyond its limit before parsing, naming the limit."""

import pytest

from shared.web import MAX_JSON_DEPTH
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_TOKEN
from tools.client import HubClient, new_hub_code

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def inside_a_field(code: str, depth: int) -> bytes:
    """A body right in every other way, with one field deep: strings with brackets don't count."""
    return b'{"code": "%s", "name": "[[[[{{{{ not nesting", "timezone": %s}' % (
        code.encode(),
        arrays(depth),
    )


BODIES = {
    "arrays, 1000 deep": arrays(1000),
    "objects, 1000 deep": objects(1000),
    "arrays, 5000 deep": arrays(5000),
    "one past the limit": arrays(MAX_JSON_DEPTH + 1),
}
# Each service's JSON writes, called as an operator: the body is read before anything else.
WRITES = {
    "intake": ("POST", "/v1/hubs"),
    "orders": ("POST", "/v1/orders"),
    "allocator": ("PUT", "/v1/hubs/kalteng/products/masker-kain/policy"),
    "notifier": ("POST", "/v1/opt-outs"),
}


async def send(client: HubClient, service: str, body: bytes, headers: dict) -> tuple[int, dict]:
    method, path = WRITES[service]
    headers = {**headers, "Content-Type": "application/json", "Accept-Language": "en"}
    url = client.urls[service] + path
    async with client.session.request(method, url, data=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


@pytest.mark.parametrize("service", WRITES)
@pytest.mark.parametrize("shape", BODIES)
async def test_deep_json_is_refused_as_malformed_naming_the_limit(
    client: HubClient, stack: Stack, service: str, shape: str
):
    status, problem = await send(client, service, BODIES[shape], OPERATOR)

    assert (status, problem["type"]) == (400, "/problems/malformed-json"), problem
    assert f"deeper than {MAX_JSON_DEPTH} levels" in problem["detail"]
    async with client.session.get(f"{client.urls[service]}/health") as health:
        assert health.status == 200


async def test_a_partners_deep_order_is_refused_and_so_is_a_deep_field(
    client: HubClient, partner_client: HubClient
):
    code = new_hub_code("dalam")
    by_partner = await send(client, "orders", objects(2000), partner_client.to_orders("deep-1"))
    deep_field = await send(client, "intake", inside_a_field(code, 1000), OPERATOR)
    shallow_field = await send(client, "intake", inside_a_field(code, 3), OPERATOR)

    assert by_partner[0] == 400 and by_partner[1]["type"] == "/problems/malformed-json"
    assert deep_field[0] == 400 and deep_field[1]["type"] == "/problems/malformed-json"
    # Brackets inside strings are text: the same body three deep is read, and refused only for
    # what it says (a time zone is no array).
    assert shallow_field[0] == 422 and shallow_field[1]["errors"][0]["field"] == "timezone"
    async with client.session.get(f"{client.urls['intake']}/v1/hubs/{code}") as response:
        assert response.status == 404  # nothing was written
