"""A partner's own callbacks over HTTP: listing the failed ones, replaying one, and nobody
else's. Time is shrunk as in test_callbacks.py: callbacks are given up after five seconds."""

import uuid

import pytest

from tests.support.partner_endpoint import CallbackPartner
from tools.client import ApiError, HubClient, wait_until

SKU = "masker-kain"
BUYER = {"name": "Koperasi Maju", "type": "business", "region": "Sampit"}


async def allocated_orders(client: HubClient, partner: CallbackPartner, hub: str, count: int):
    """`count` orders of the partner, each allocated, so each makes a callback."""
    placed = [await partner.client.place_order(hub, SKU, 1, BUYER) for _ in range(count)]
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, count)
    return placed


async def refusal(call) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        await call
    return refused.value.status, refused.value.body["type"]


async def test_a_failed_callback_is_listed_and_a_replay_gives_it_a_new_day(
    client: HubClient, hub: str, partners_called_back
):
    bank = await partners_called_back()
    bank.endpoint.failing = True
    [placed] = await allocated_orders(client, bank, hub, 1)

    async def failed():
        return (await bank.client.callbacks("failed"))["callbacks"]

    [given_up] = await wait_until(failed, what="the callback given up")
    assert (given_up["order_id"], given_up["status"]) == (placed["id"], "allocated")
    assert given_up["order"]["allocated"] == 1
    assert given_up["attempts"] > 1 and given_up["next_attempt_at"] is None
    assert (given_up["last_status"], given_up["last_error"]) == (
        503,
        "delivery failed (status 503)",
    )
    assert (await bank.client.callbacks("pending"))["callbacks"] == []

    replayed = await bank.client.replay_callback(given_up["id"])

    assert (replayed["id"], replayed["state"]) == (given_up["id"], "pending")
    assert replayed["next_attempt_at"] is not None

    async def tried_again():
        [record] = (await bank.client.callbacks())["callbacks"]
        return record if record["attempts"] >= given_up["attempts"] + 3 else None

    # Still down, and still retried: the replay's new window has not run out.
    assert (await wait_until(tried_again, what="retries after the replay"))["state"] == "pending"
    bank.endpoint.failing = False
    [arrived] = await bank.endpoint.wait_for(1)
    assert arrived["id"] == given_up["id"]

    async def delivered():
        return (await bank.client.callbacks("delivered"))["callbacks"]

    [record] = await wait_until(delivered, what="listed as delivered")
    assert record["delivered_at"] is not None and record["last_status"] == 204


async def test_a_partner_sees_and_replays_only_its_own_callbacks(
    client: HubClient, hub: str, partners_called_back
):
    bank, other = await partners_called_back(), await partners_called_back()
    await allocated_orders(client, bank, hub, 1)
    [arrived] = await bank.endpoint.wait_for(1)

    assert await refusal(other.client.replay_callback(arrived["id"])) == (
        404,
        "/problems/not-found",
    )
    assert (await refusal(other.client.replay_callback(str(uuid.uuid4()))))[0] == 404
    assert (await refusal(other.client.replay_callback("not-an-id")))[0] == 404
    assert (await other.client.callbacks())["callbacks"] == []
    assert [c["id"] for c in (await bank.client.callbacks())["callbacks"]] == [arrived["id"]]
    # The centre's operator sees every partner's, and may narrow them to one.
    everyone = (await client.callbacks())["callbacks"]
    assert arrived["id"] in [c["id"] for c in everyone]
    only_other = await client.callbacks(partner_id=other.id)
    assert only_other["callbacks"] == []


async def test_replaying_needs_the_write_scope_and_an_idempotency_key(
    client: HubClient, hub: str, partners_called_back
):
    bank = await partners_called_back()
    await allocated_orders(client, bank, hub, 1)
    [arrived] = await bank.endpoint.wait_for(1)
    issued = await client.create_partner("Pembaca", [hub], scopes=["orders:read"])
    reader = client.as_partner(issued["api_key"])
    path = f"/v1/callbacks/{arrived['id']}/replay"

    assert await refusal(reader.replay_callback(arrived["id"])) == (403, "/problems/missing-scope")
    without_key = bank.client.call("orders", "POST", path, headers=bank.client.to_orders())
    assert await refusal(without_key) == (400, "/problems/idempotency-key-required")
    assert (await bank.client.replay_callback(arrived["id"]))["state"] == "pending"
    assert len(await bank.endpoint.wait_for(2)) == 2, "a delivered callback may be replayed too"


async def test_the_list_pages_newest_first(client: HubClient, hub: str, partners_called_back):
    bank = await partners_called_back()
    await allocated_orders(client, bank, hub, 3)

    async def three_delivered():
        # The partner has the callback before the orders service records its answer: wait for
        # the record, not for the arrival.
        return len((await bank.client.callbacks("delivered", limit=3))["callbacks"]) == 3

    await wait_until(three_delivered, what="three callbacks recorded as delivered")
    first = await bank.client.callbacks("delivered", limit=2)
    path = first["next"]
    second = await bank.client.call("orders", "GET", path, headers=bank.client.to_orders())

    listed = first["callbacks"] + second["callbacks"]
    assert [len(first["callbacks"]), len(second["callbacks"]), second["next"]] == [2, 1, None]
    times = [callback["created_at"] for callback in listed]
    assert times == sorted(times, reverse=True) and len({c["id"] for c in listed}) == 3
    assert "state=delivered" in path and "limit=2" in path
    for query, field in (({"state": "lost"}, "state"), ({"limit": 0}, "limit")):
        with pytest.raises(ApiError) as refused:
            await bank.client.callbacks(**query)
        assert refused.value.status == 422
        assert [error["field"] for error in refused.value.body["errors"]] == [field]
