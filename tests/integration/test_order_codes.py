"""Order codes (shared/order_codes.py): every order gets one as it is placed, and
GET /v1/order-codes/{code} opens it for whoever may: the operators, a key with
`orders:track` (the centre's own site), and any other partner for its own orders only."""

import asyncio
import re
import uuid

import asyncpg
import pytest

from shared.order_codes import ALPHABET, order_code_from
from tests.support.bus import EventTap
from tests.support.stack import Stack
from tests.support.stack_env import (
    OPERATOR_STAFF_TOKEN,
    OPERATOR_VIEWER_TOKEN,
    PARTNERS_BUYER_TYPES,
)
from tools.client import ApiError, HubClient, wait_until

BUYER = {"name": "Ibu Sari", "type": "individual", "region": "Palangka Raya"}
CODE_SHAPE = r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$"


async def not_found(call) -> dict:
    with pytest.raises(ApiError) as refused:
        await call
    assert refused.value.status == 404
    return refused.value.body


async def test_every_order_gets_its_own_code_shown_in_the_answer_and_the_event(
    partner_client: HubClient, hub: str, tap: EventTap
):
    placed = await asyncio.gather(
        *(partner_client.place_order(hub, "masker-kain", 1, BUYER) for _ in range(20))
    )

    codes = [order["code"] for order in placed]
    assert len(set(codes)) == 20
    assert all(order_code_from(code) is not None for code in codes)
    assert all(re.match(CODE_SHAPE, code) for code in codes)
    read = await partner_client.order(placed[0]["id"])
    assert read["code"] == codes[0]
    event = await tap.wait_for(
        lambda e: e.type == "order.placed" and e.payload["order_id"] == placed[0]["id"],
        what="order.placed",
    )
    assert event.version == 5 and event.payload["code"] == codes[0]


async def test_the_operators_place_orders_with_codes_too(client: HubClient, hub: str):
    placed = await client.place_order(hub, "masker-kain", 2, BUYER)

    assert (await client.order_by_code(placed["code"]))["id"] == placed["id"]


async def test_the_orders_log_names_the_route_never_the_code(
    client: HubClient, hub: str, stack: Stack
):
    placed = await client.place_order(hub, "masker-kain", 1, BUYER)
    await client.order_by_code(placed["code"])

    async def logged() -> str | None:
        text = stack["orders"].log_path.read_text()
        return text if '"/v1/order-codes/{code}"' in text else None

    log = await wait_until(logged, what="the look-up by code logged")
    assert placed["code"] not in log and placed["code"].replace("-", "") not in log


@pytest.mark.parametrize("token", [OPERATOR_VIEWER_TOKEN, OPERATOR_STAFF_TOKEN])
async def test_every_operator_role_opens_any_order_by_its_code(
    client: HubClient, partner_client: HubClient, hub: str, token: str
):
    placed = await partner_client.place_order(hub, "masker-kain", 3, BUYER)

    found = await client.__class__(client.session, client.urls, operator_token=token).order_by_code(
        placed["code"]
    )

    assert found["id"] == placed["id"] and found["code"] == placed["code"]
    assert found["explanation"] is not None and "position" in found


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.replace("-", ""),
        lambda code: code.lower(),
        lambda code: f"  {code[:3]} {code[3:]} ",
        lambda code: code.replace("1", "l").replace("0", "O"),
    ],
    ids=["shown", "no dash", "lower case", "spaces", "look-alikes"],
)
async def test_a_code_is_found_as_a_person_types_it(partner_client: HubClient, hub: str, typed):
    placed = await partner_client.place_order(hub, "masker-kain", 1, BUYER)

    found = await partner_client.order_by_code(typed(placed["code"]))

    assert found["id"] == placed["id"]


async def test_a_partner_without_track_sees_its_own_only_and_another_reads_as_unknown(
    client: HubClient, partner_client: HubClient, hub: str, database: asyncpg.Connection
):
    theirs = await partner_client.place_order(hub, "masker-kain", 1, BUYER)
    other = await client.create_partner("Mitra lain", [hub], buyer_types=PARTNERS_BUYER_TYPES)
    others = client.as_partner(other["api_key"])
    mine = await others.place_order(hub, "masker-kain", 1, BUYER)
    assert (await others.order_by_code(mine["code"]))["id"] == mine["id"]

    another_s = await not_found(others.order_by_code(theirs["code"]))

    unknown = theirs["code"]
    while await database.fetchval(
        "SELECT EXISTS (SELECT 1 FROM orders.orders WHERE code = $1)", unknown.replace("-", "")
    ):
        unknown = _another_code(unknown)
    unknown_s = await not_found(others.order_by_code(unknown))
    # The same answer but for the code it names: nothing tells a taken code from a free one.
    assert another_s == {**unknown_s, "detail": another_s["detail"]}
    assert unknown in unknown_s["detail"] and theirs["code"] in another_s["detail"]


def _another_code(code: str) -> str:
    """The code with its last character moved on, to one nobody is likely to hold."""
    last = ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]
    return code[:-1] + last


async def test_a_key_with_track_opens_any_order(
    client: HubClient, partner_client: HubClient, hub: str
):
    placed = await partner_client.place_order(hub, "masker-kain", 1, BUYER)
    site = await client.create_partner(
        "Situs", [hub], scopes=["orders:write", "orders:read", "orders:track"]
    )
    assert site["partner"]["scopes"] == ["orders:read", "orders:track", "orders:write"]

    found = await client.as_partner(site["api_key"]).order_by_code(placed["code"])

    assert found["id"] == placed["id"]


async def test_a_key_that_may_only_write_may_not_look_codes_up(
    client: HubClient, partner_client: HubClient, hub: str
):
    placed = await partner_client.place_order(hub, "masker-kain", 1, BUYER)
    writer = await client.create_partner("Penulis", [hub], scopes=["orders:write"])

    with pytest.raises(ApiError) as refused:
        await client.as_partner(writer["api_key"]).order_by_code(placed["code"])

    assert refused.value.status == 403


@pytest.mark.parametrize("typed", ["x", "7K3QD-M9X2U", "7K3QD-M9X2A-7K3QD-M9X2A-7K3QD-M9X2A"])
async def test_what_cannot_be_a_code_is_not_found(partner_client: HubClient, typed: str):
    body = await not_found(partner_client.order_by_code(typed))

    assert body["type"].endswith("not-found")


async def test_a_code_is_given_once_and_the_database_refuses_a_second(
    partner_client: HubClient, hub: str, database: asyncpg.Connection
):
    placed = await partner_client.place_order(hub, "masker-kain", 1, BUYER)

    with pytest.raises(asyncpg.UniqueViolationError):
        await database.execute(
            "UPDATE orders.orders SET code = $1 WHERE id = $2",
            placed["code"].replace("-", ""),
            uuid.UUID((await partner_client.place_order(hub, "masker-kain", 1, BUYER))["id"]),
        )
