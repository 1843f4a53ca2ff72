"""Each service as an operator runs it: health, replicas, graceful stop, and its logs."""

import asyncio
import json
import uuid

from tests.support.stack import Stack
from tools.client import HubClient, wait_until
from tools.local_services import SERVICES


async def test_every_service_is_alive_and_ready(client: HubClient):
    for service in SERVICES:
        assert await client.call(service, "GET", "/health") == {"status": "ok"}
        ready = await client.call(service, "GET", "/ready")
        # The console and the storefront change things only through the others' APIs: they
        # have no broker.
        brokerless = service in ("console", "storefront")
        checks = {"database": True} if brokerless else {"database": True, "broker": True}
        assert ready == {"status": "ready", "checks": checks}


async def test_a_second_replica_joins_and_leaves_cleanly(stack: Stack, tmp_path):
    """Start-up with the schema already migrated and the queue already consumed, then SIGTERM."""
    replica = stack.replica("allocator", tmp_path / "replica.log")
    replica.start()
    try:
        await replica.wait_ready()
    finally:
        exit_code = await asyncio.to_thread(replica.stop)
    assert exit_code == 0, replica.log_tail()
    lines = [json.loads(line) for line in replica.log_path.read_text().splitlines()]
    assert not [line for line in lines if line["event"] == "migration applied"]
    assert not [line for line in lines if line["level"] in {"error", "critical"}]
    assert any(line["event"] == "consuming" for line in lines)


async def test_a_request_can_be_followed_through_every_service_log(
    client: HubClient, hub: str, stack: Stack
):
    correlation_id = f"trace-{uuid.uuid4().hex[:12]}"
    phone = "081377778888"
    order = await client.call(
        "orders",
        "POST",
        "/v1/orders",
        json={
            "hub": hub,
            "sku": "masker-kain",
            "quantity": 3,
            "buyer": {"name": "Pak Agus", "type": "individual", "region": "Sampit", "phone": phone},
        },
        headers={**client.to_orders(), "X-Correlation-Id": correlation_id},
    )

    async def told() -> list[dict] | None:
        messages = await client.messages(order_id=order["id"])
        return messages if messages and messages[0]["status"] != "pending" else None

    await wait_until(told, what="the buyer's message settled")

    def traced_in(service: str) -> list[dict]:
        entries = [json.loads(line) for line in stack[service].log_path.read_text().splitlines()]
        assert all({"service", "level", "timestamp", "event"} <= entry.keys() for entry in entries)
        # A consumer logs a line per batch, naming every correlation id in it.
        return [
            entry
            for entry in entries
            if correlation_id in (entry.get("correlation_id"), *entry.get("correlation_ids", ()))
        ]

    async def every_service_traced() -> bool:
        return all(traced_in(service) for service in ("orders", "allocator", "notifier"))

    await wait_until(
        every_service_traced, what=f"{correlation_id} in the orders, allocator and notifier logs"
    )
    for service in ("orders", "allocator", "notifier"):
        assert {entry["service"] for entry in traced_in(service)} == {service}
    for service in SERVICES:
        text = stack[service].log_path.read_text()
        assert "81377778888" not in text, f"{service} logged a full phone number"
