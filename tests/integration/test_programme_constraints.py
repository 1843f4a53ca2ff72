"""The last word on a programme's invariants is the database's (migration 0012): whatever
writes the orders schema, a commit that would take a programme past its budget, a recipient
past its units or give one recipient two live applications fails, and changes nothing."""

import uuid

import asyncpg
import pytest

from tests.support.programmes import apply, citizen, open_programme, programme
from tools.client import HubClient

ADMIT = "UPDATE orders.orders SET programme_status = 'admitted' WHERE id = $1"


async def test_an_admission_past_the_budget_does_not_commit(client: HubClient, hub: str, database):
    opened = await open_programme(client, hub, budget=5000)
    await apply(client, opened["id"], citizen(1))
    waiting = (await apply(client, opened["id"], citizen(2)))[1]
    assert waiting["status"] == "waiting"

    with pytest.raises(asyncpg.CheckViolationError) as refused:
        async with database.transaction():
            await database.execute(ADMIT, uuid.UUID(waiting["order_id"]))
    assert refused.value.constraint_name == "programme_within_budget"
    assert (await programme(client, opened["id"]))["budget_committed"] == 5000


# Another application like the order $1: the recipient $3 appended to its own, ticket $4.
SAME_AS = """
INSERT INTO orders.orders (id, hub, sku, quantity, buyer, priority_class, programme_id,
    programme_recipient, programme_unit_price, programme_status, programme_ticket)
SELECT $2, hub, sku, 1, buyer, priority_class, programme_id,
       CASE $3::text WHEN 'recipient' THEN programme_recipient ELSE programme_recipient || $3 END,
       programme_unit_price, 'waiting', $4
FROM orders.orders WHERE id = $1
"""


def other_ticket(application: dict) -> str:
    return "T-ZZZZZZ" if application["ticket"] != "T-ZZZZZZ" else "T-YYYYYY"


async def test_no_recipient_past_its_units_nor_twice_live(client: HubClient, hub: str, database):
    opened = await open_programme(client, hub, budget=100_000, units_per_recipient=2)
    applied = (await apply(client, opened["id"], citizen(1), quantity=2))[1]
    order_id = uuid.UUID(applied["order_id"])

    with pytest.raises(asyncpg.CheckViolationError) as more:
        async with database.transaction():
            await database.execute("UPDATE orders.orders SET quantity = 3 WHERE id = $1", order_id)
    assert more.value.constraint_name == "programme_per_recipient"
    with pytest.raises(asyncpg.UniqueViolationError) as twice:
        async with database.transaction():
            await database.execute(
                SAME_AS, order_id, uuid.uuid4(), "recipient", other_ticket(applied)
            )
    assert twice.value.constraint_name == "orders_programme_recipient"


async def test_no_ticket_twice_in_a_programme_and_none_without_one(
    client: HubClient, hub: str, database
):
    opened = await open_programme(client, hub, budget=100_000, units_per_recipient=2)
    applied = (await apply(client, opened["id"], citizen(1)))[1]
    order_id = uuid.UUID(applied["order_id"])

    with pytest.raises(asyncpg.UniqueViolationError) as twice:
        async with database.transaction():
            await database.execute(SAME_AS, order_id, uuid.uuid4(), "another", applied["ticket"])
    assert twice.value.constraint_name == "orders_programme_ticket"
    for ticket in (None, applied["code"], "T-0000OO"):  # none, an order code, not of the form
        with pytest.raises(asyncpg.CheckViolationError):
            async with database.transaction():
                await database.execute(SAME_AS, order_id, uuid.uuid4(), "another", ticket)
