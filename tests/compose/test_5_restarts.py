"""The stack heals: each service, RabbitMQ and Postgres restarted in turn (`docker compose
restart`), and after each an order goes all the way (allocated, the buyer emailed). Then its data
outlives `down` and `up` (the named volumes), and `down -v` removes them."""

import time

import asyncpg

from tests.compose.project import FIGURES, ComposeProject, client_of
from tools.client import HubClient, new_hub_code, wait_until
from tools.founding_day import SKU

RESTARTED = ("intake", "orders", "allocator", "notifier", "console", "rabbitmq", "postgres")
HEAL_LIMIT = 120.0
VOLUMES = ("postgres-data", "postgres-archive", "backups", "rabbitmq-data", "prometheus-data")


async def test_the_stack_heals_after_each_restart(stack: ComposeProject):
    hub = new_hub_code("pulih")
    async with client_of(stack) as client:
        producer = await opened(client, hub)
    healed = {}
    for service in RESTARTED:
        started = time.monotonic()
        stack.compose("restart", service)
        healed[service] = time.monotonic() - started + await stack.wait_ready(HEAL_LIMIT)
        async with client_of(stack) as client:
            await an_order_goes_through(stack, client, hub, producer, service)
    stack.wait_healthy(HEAL_LIMIT, patient=True)  # and so Docker says, at its own pace
    FIGURES["from `restart` to every service ready"] = ", ".join(
        f"{service} {seconds:.0f} s" for service, seconds in healed.items()
    )


async def test_data_outlives_down_and_up_and_down_v_removes_it(
    stack: ComposeProject, founding: tuple[str, str]
):
    hub, _ = founding
    stack.compose("down")
    assert volumes(stack) == {f"{stack.env['COMPOSE_PROJECT_NAME']}_{v}" for v in VOLUMES}
    stack.compose("up", "-d")  # returns once what the services need is healthy
    await stack.wait_ready(HEAL_LIMIT)
    conn = await asyncpg.connect(stack.database_url)
    try:
        kept = await conn.fetchval("SELECT count(*) FROM orders.orders WHERE hub = $1", hub)
    finally:
        await conn.close()
    assert kept == 50, "the founding day's orders are still there"
    async with client_of(stack) as client:
        after_up = new_hub_code("pulih")
        await an_order_goes_through(stack, client, after_up, await opened(client, after_up), "up")

    stack.compose("down", "-v")
    assert volumes(stack) == set()


def volumes(stack: ComposeProject) -> set[str]:
    prefix = f"{stack.env['COMPOSE_PROJECT_NAME']}_"
    listed = stack.run(["docker", "volume", "ls", "--quiet", "--filter", f"name={prefix}"])
    return {name for name in listed.split() if name.startswith(prefix)}


async def opened(client: HubClient, hub: str) -> dict:
    await client.open_hub(hub, SKU)
    return await client.register_producer(
        hub, name="Ibu Dewi Pulih", phone="081200000002", regency="Katingan"
    )


async def an_order_goes_through(
    stack: ComposeProject, client: HubClient, hub: str, producer: dict, after: str
) -> None:
    """An order placed, a unit delivered for it, the order allocated and its buyer emailed."""
    email = f"pulih-{after}@contoh.id"
    buyer = {"name": f"Budi {after}", "type": "individual", "region": "Kasongan", "email": email}
    order = await client.place_order(hub, SKU, 1, buyer, idempotency_key=f"{hub}-{after}")
    await client.record_delivery(hub, producer["id"], SKU, 1, 0)

    async def allocated() -> bool:
        return (await client.order(order["id"]))["allocated"] == 1

    await wait_until(allocated, what=f"an order allocated after {after}", timeout=60)
    mailpit = stack.published_url("MAILPIT_PORT") + "/api/v1/messages"

    async def emailed() -> bool:
        async with client.session.get(mailpit) as answer:
            messages = (await answer.json(content_type=None))["messages"]
        return any(email in message["To"] for message in messages)

    await wait_until(emailed, what=f"the buyer emailed after {after}", timeout=60)
