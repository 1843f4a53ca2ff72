"""Faults of the servers and the network, with orders and deliveries flowing: the broker and the
database stopped and started again (the suite's private ones), every connection to either cut
and restored (the proxies in front of them), and the broker closing every connection."""

import json

from shared.fields import normalise_phone
from tests.faults.stream import SKU, Stream
from tests.faults.world import Faults, World
from tools.client import HubClient, new_hub_code, wait_until
from tools.local_services import ServiceProcess


async def test_the_broker_stopped_and_started_again_loses_nothing(faults: Faults):
    """While the broker is away the services go on taking orders and deliveries (their events
    wait in the outboxes); they reconnect when it is back, and everything goes through."""
    rabbit = faults.world.rabbit

    async def restart_the_broker(stream: Stream) -> str:
        await stream.reached(40)
        await rabbit.stop()
        await stream.after(20)  # orders taken while it is down
        await rabbit.start()
        return "rabbitmqctl stop, 20 orders, start"

    await faults.run("broker stopped and restarted", restart_the_broker)


async def test_the_database_stopped_and_started_again_loses_nothing(faults: Faults):
    """While Postgres is away the services refuse what they cannot record (no 201), hold the
    events they took (consumers retry) and catch up once it is back."""
    postgres = faults.world.postgres

    async def restart_the_database(stream: Stream) -> str:
        await stream.reached(40)
        await postgres.stop("fast")
        await stream.after(20)
        await postgres.start()
        return "pg_ctl stop -m fast, 20 orders, start"

    # A send whose outcome could not be written meanwhile is written once Postgres is back.
    await faults.run("database stopped and restarted", restart_the_database)


async def test_the_database_crashing_and_recovering_loses_nothing(faults: Faults):
    """As above with a crash (no shutdown checkpoint, every session killed at once): what was
    committed is recovered from the WAL; every order answered 201 is still there."""
    postgres = faults.world.postgres

    async def crash_the_database(stream: Stream) -> str:
        await stream.reached(40)
        await postgres.stop("immediate")
        await stream.after(20)
        await postgres.start()
        return "pg_ctl stop -m immediate, 20 orders, start (crash recovery)"

    await faults.run("database crashed and recovered", crash_the_database)


async def test_connections_to_the_broker_cut_and_restored_lose_nothing(faults: Faults):
    proxy = faults.world.amqp_proxy

    async def cut_the_broker_off(stream: Stream) -> str:
        await stream.reached(40)
        await proxy.cut()
        await stream.after(30)
        await proxy.restore()
        return "proxy cut (connections closed, new ones refused) for 30 orders"

    await faults.run("broker connections cut", cut_the_broker_off)


async def test_connections_to_the_database_cut_and_restored_lose_nothing(faults: Faults):
    proxy = faults.world.db_proxy

    async def cut_the_database_off(stream: Stream) -> str:
        await stream.reached(40)
        await proxy.cut()
        await stream.after(30)
        await proxy.restore()
        return "proxy cut (connections closed, new ones refused) for 30 orders"

    await faults.run("database connections cut", cut_the_database_off)


async def test_the_broker_closing_every_connection_twice_loses_nothing(faults: Faults):
    """The broker itself closes every client connection (connection.close, as an operator or a
    restart of a cluster node would); the services reconnect at once."""
    rabbit = faults.world.rabbit

    async def close_every_connection(stream: Stream) -> str:
        for _ in range(2):
            await stream.after(30)
            await rabbit.close_all_connections("fault test: closing every connection")
        return "rabbitmqctl close_all_connections, twice"

    await faults.run("broker closes every connection", close_every_connection)


async def test_a_send_whose_outcome_meets_a_database_cut_is_recorded_once_it_is_back(
    healthy: World, client: HubClient
):
    """WhatsApp takes a message; before the notifier can write so, its connections to the
    database are cut. It keeps the outcome and writes it once the database is back, within the
    claim's lease: the message is not sent again (WhatsApp has no idempotency key, so a second
    send would reach the person twice).

    WhatsApp's answer is held until the database is cut, so the order of events is the test's,
    not the machine's."""
    world, whatsapp = healthy, healthy.providers.whatsapp
    hub, phone = new_hub_code("cut-send"), normalise_phone("081299990000")
    await client.open_hub(hub)
    whatsapp.hold_next(1, to=phone)
    buyer = {"name": "Pak Budi", "type": "individual", "region": "Sampit", "phone": phone}
    order = await client.place_order(hub, SKU, 2, buyer)

    async def taken() -> str | None:
        return whatsapp.to(phone)[0].message_id if whatsapp.to(phone) else None

    message_id = await wait_until(taken, what="WhatsApp taking the buyer's message")
    await world.db_proxy.cut()
    whatsapp.answer_held()
    try:

        async def write_failed() -> bool:
            return any(
                entry.get("message_id") == message_id
                and entry["event"].startswith("message outcome not recorded")
                for entry in log_entries(world.stack["notifier"])
            )

        await wait_until(write_failed, what="the notifier failing to write the outcome")
    finally:
        await world.db_proxy.restore()

    async def sent() -> dict | None:
        messages = await client.messages(order_id=order["id"])
        return next((m for m in messages if m["id"] == message_id and m["status"] == "sent"), None)

    message = await wait_until(sent, what="the message recorded as sent")
    assert [(a["channel"], a["outcome"]) for a in message["attempts"]] == [("whatsapp", "accepted")]
    assert whatsapp.count(message_id) == 1


def log_entries(service: ServiceProcess) -> list[dict]:
    return [json.loads(line) for line in service.log_path.read_text().splitlines() if line]
