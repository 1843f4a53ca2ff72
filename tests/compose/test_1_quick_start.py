"""The README's quick start against the stack it brought up: every service healthy and ready, the
founding day played by exactly the README's command through the published ports, and its
outcome checked where an operator would look: the report, the orders, the emails in Mailpit."""

import re

import aiohttp
import asyncpg

from tests.compose.project import APP_PORTS, ONE_SHOT, ComposeProject
from tests.compose.readme import readme_blocks
from tools.client import wait_until
from tools.founding_day import SKU, BuyerPlan, ProducerPlan, founding_day, in_queue_order
from tools.local_services import ROOT

SCENARIO = founding_day()  # the README's command plays the default seed
REPORT_ROW = re.compile(r"^\s*\d+\s{2}(.{34}) (\S+)\s+(\d+)\s+(\d+)\s{2}(\S+)$", re.M)
ORDERS_OF_HUB = """
SELECT buyer->>'name' AS name, quantity, allocated, status FROM orders.orders
WHERE hub = $1 ORDER BY placed_at, sequence
"""


async def test_every_container_is_healthy_and_every_service_ready(stack: ComposeProject):
    everything = stack.containers()
    services = {c.service for c in everything}
    assert {*APP_PORTS, "postgres", "rabbitmq", "mailpit", "prometheus", "grafana"} | ONE_SHOT == (
        services
    )
    # The admin's grants ran to their end before the services started; the rest serve.
    assert all(c.done for c in everything if c.service in ONE_SHOT)
    containers = [c for c in everything if c.service not in ONE_SHOT]
    assert all(c.health == "healthy" for c in containers), [(c.name, c.health) for c in containers]
    async with aiohttp.ClientSession() as http:
        for service in APP_PORTS:
            for path in ("/health", "/ready"):
                async with http.get(stack.url(service) + path) as answer:
                    assert answer.status == 200, (service, path, await answer.text())
            async with http.get(stack.url(service) + "/ready") as answer:
                checks = (await answer.json())["checks"]
                assert checks and all(checks.values()), (service, checks)


async def test_the_founding_day_as_the_readme_plays_it(
    stack: ComposeProject, founding: tuple[str, str]
):
    hub, report = founding
    expected = in_queue_order(SCENARIO)
    rows = REPORT_ROW.findall(report)
    assert [(name.strip(), int(got)) for name, _, _, got, _ in rows] == [
        (buyer.name[:34], given) for buyer, given in zip(SCENARIO.buyers, expected, strict=True)
    ], report
    conn = await asyncpg.connect(stack.database_url)
    try:
        orders = await conn.fetch(ORDERS_OF_HUB, hub)
    finally:
        await conn.close()
    assert [(o["name"], o["quantity"], o["allocated"]) for o in orders] == [
        (b.name, b.quantity, given) for b, given in zip(SCENARIO.buyers, expected, strict=True)
    ]
    assert sum(expected) == SCENARIO.accepted_total < SCENARIO.demand

    await everyone_with_an_email_is_told(stack, expected)


async def everyone_with_an_email_is_told(stack: ComposeProject, expected: list[int]) -> None:
    """With WhatsApp and SMS off (compose sets no credentials) everyone is told by email, in
    their language: buyers that their order is queued and, if they got units, that these are
    ready; producers that their delivery was recorded and that its units sold."""
    owed: dict[str, list[re.Pattern]] = {}
    for buyer, given in zip(SCENARIO.buyers, expected, strict=True):
        owed[buyer.email] = [subject(buyer, "order_received")] + (
            [subject(buyer, "order_allocated", "order_partly_allocated")] if given else []
        )
    for producer in SCENARIO.producers:
        owed[producer.email] = [
            subject(producer, "delivery_recorded"),
            subject(producer, "units_sold"),
        ]
    owed.pop(None, None)
    mailpit = stack.published_url("MAILPIT_PORT") + "/api/v1/messages"

    async def everyone_told() -> dict | None:
        async with aiohttp.ClientSession() as http, http.get(mailpit) as answer:
            messages = (await answer.json(content_type=None))["messages"]
        got: dict[str, list[str]] = {}
        for message in messages:
            for address in message["To"]:
                got.setdefault(address, []).append(message["Subject"])
        told = all(
            any(map(pattern.fullmatch, got.get(address, [])))
            for address, patterns in owed.items()
            for pattern in patterns
        )
        return got if told else None

    got = await wait_until(everyone_told, what="every email owed, in Mailpit", timeout=60)
    assert set(got) == set(owed), "no email to anyone outside the day"


def subject(person: BuyerPlan | ProducerPlan, *purposes: str) -> re.Pattern:
    """The subject line of any of the purposes, in the person's language, as the notifier's
    templates write it (the first line; `$order_ref` and the like stand for any text)."""
    templates = ROOT / "services" / "notifier" / "templates" / person.language
    lines = [(templates / f"{purpose}.txt").read_text().splitlines()[0] for purpose in purposes]
    return re.compile("|".join(re.sub(r"\\\$\w+", ".+", re.escape(line)) for line in lines))


async def test_the_backup_command_dumps_the_database(stack: ComposeProject):
    (backup,) = readme_blocks("Operating it")[0]
    dump = ROOT / "plut.sql"
    try:
        stack.shell(backup)
        text = dump.read_text()
    finally:
        dump.unlink(missing_ok=True)
    assert "PostgreSQL database dump complete" in text
    for table in ("intake.deliveries", "orders.orders", "allocator.allocations", "console"):
        assert table in text, table
    assert SKU in text  # the founding day's rows, not only the schema
