"""WhatsApp's statuses at the running notifier: a send whose answer was lost and that WhatsApp
then reports delivered is not sent again; one WhatsApp reports failed goes by SMS at once; late
and out-of-order statuses move nothing backwards; a flood of notifications is taken whole."""

import asyncio
import random
import uuid
from collections import Counter

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support import whatsapp_webhooks as meta
from tests.support.bus import publish_event
from tests.support.events import allocation_of, order_id, placed
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tools.client import HubClient, new_hub_code, wait_until

# The stand-ins' webhooks point at the stack's notifier once it is planned.
pytestmark = pytest.mark.usefixtures("stack")


def new_phone() -> str:
    return "+62815" + "".join(random.choices("0123456789", k=8))


def outcomes(message: dict) -> list[tuple[str, str]]:
    return [(a["channel"], a["outcome"]) for a in message["attempts"]]


async def allocated_message(client: HubClient, order, done) -> dict:
    """The order's `order_allocated` message once `done(message)` holds."""

    async def found():
        messages = await client.messages(order_id=order_id(order))
        wanted = [m for m in messages if m["template"] == "order_allocated"]
        return wanted[0] if wanted and done(wanted[0]) else None

    return await wait_until(found, what=f"the allocation's message of {order_id(order)}")


async def received_then_allocated(
    client: HubClient, amqp: AbstractRobustConnection, phone: str, before_allocation=None
):
    """An order whose buyer was told it is queued, then its allocation."""
    order = placed(new_hub_code(), 2, phone=phone)
    await publish_event(amqp, order)

    async def told():
        messages = await client.messages(order_id=order_id(order))
        return [m for m in messages if m["status"] == "sent"]

    await wait_until(told, what="the buyer told the order is queued")
    if before_allocation:
        before_allocation()
    await publish_event(amqp, allocation_of(order, 2, uuid.uuid4()))
    return order


async def all_applied(database: asyncpg.Connection, wamids: list[str], count: int) -> None:
    """Until `count` statuses of these sends are recorded, and all applied."""

    async def applied():
        row = await database.fetchrow(
            "SELECT count(*) AS recorded, count(applied_at) AS applied"
            " FROM notifier.whatsapp_statuses WHERE provider_id = ANY($1)",
            wamids,
        )
        return row["recorded"] == row["applied"] == count

    await wait_until(applied, what=f"statuses of {wamids} applied")


async def claims_all_recorded(database: asyncpg.Connection, message_id: str) -> None:
    """Every claim of the message has its attempt row (what the faults suite's ledger counts on
    to tell a send that died before its outcome was written)."""
    row = await database.fetchrow(
        "SELECT m.attempts, (SELECT count(*) FROM notifier.delivery_attempts a"
        " WHERE a.message_id = m.id) AS rows FROM notifier.messages m WHERE m.id = $1",
        uuid.UUID(message_id),
    )
    assert row["attempts"] == row["rows"]


async def test_a_send_whose_answer_was_lost_then_reported_delivered_is_never_sent_again(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    database: asyncpg.Connection,
):
    phone = new_phone()
    order = await received_then_allocated(
        client, amqp, phone, lambda: whatsapp.lose_answer_next(1, to=phone)
    )

    def settled(message: dict) -> bool:
        reported = {s["status"] for s in message["statuses"]}
        return message["status"] == "sent" and message["attempts"] and "delivered" in reported

    message = await allocated_message(client, order, settled)
    assert outcomes(message) == [("whatsapp", "unknown")], "the lost answer, and no retry"
    assert "may have been sent" in message["attempts"][0]["answer"]
    [sent] = [d for d in whatsapp.deliveries if d.message_id == message["id"]]
    assert message["provider_id"] == sent.provider_id, "the wamid learnt from the statuses"
    assert [s["status"] for s in message["statuses"]] == ["sent", "delivered"]
    assert whatsapp.count(message["id"]) == 1
    await claims_all_recorded(database, message["id"])


async def test_a_number_whatsapp_reports_failed_hears_by_sms_at_once(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
    database: asyncpg.Connection,
):
    phone = new_phone()
    whatsapp.fail_later.add(phone[1:])  # accepted, and then "failed" with 131026
    order = await received_then_allocated(client, amqp, phone)

    # Three attempts: WhatsApp's result may be written after its failure is reported.
    message = await allocated_message(
        client,
        order,
        lambda m: m["status"] == "sent" and m["channel"] == "sms" and len(m["attempts"]) == 3,
    )
    assert Counter(outcomes(message)) == Counter(
        [("whatsapp", "accepted"), ("whatsapp", "permanent"), ("sms", "accepted")]
    )
    assert outcomes(message)[-1] == ("sms", "accepted")
    failure = next(a for a in message["attempts"] if a["outcome"] == "permanent")
    assert "131026" in failure["answer"] and "Message undeliverable" in failure["answer"]
    [status] = message["statuses"]
    assert (status["status"], status["error_code"]) == ("failed", 131026)
    assert whatsapp.count(message["id"]) == 1 and sms.count(message["id"]) == 1
    assert phone not in str(message)
    await claims_all_recorded(database, message["id"])


async def test_late_and_out_of_order_statuses_move_nothing_backwards(
    client: HubClient,
    amqp: AbstractRobustConnection,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
    database: asyncpg.Connection,
):
    read_first, failed_first = new_phone(), new_phone()
    whatsapp.silent |= {read_first[1:], failed_first[1:]}
    orders = [await received_then_allocated(client, amqp, p) for p in (read_first, failed_first)]
    sent = [await allocated_message(client, o, lambda m: m["status"] == "sent") for o in orders]
    wamids = [m["provider_id"] for m in sent]

    def status(i: int, state: str) -> dict:
        digits = (read_first, failed_first)[i][1:]
        return meta.status(wamids[i], digits, state, sent[i]["id"], error_code=131026)

    # Delivered before sent, read, then a failure that comes too late to mean anything.
    await whatsapp.send_statuses(status(0, "delivered"))
    await whatsapp.send_statuses(status(0, "read"), status(0, "sent"))
    await whatsapp.send_statuses(status(0, "failed"))
    # Failed first: off to SMS; a delivered after it cannot call it back.
    await whatsapp.send_statuses(status(1, "failed"))
    fell_back = await allocated_message(
        client, orders[1], lambda m: m["status"] == "sent" and m["channel"] == "sms"
    )
    await whatsapp.send_statuses(status(1, "delivered"), status(1, "read"))
    await all_applied(database, wamids, 7)

    stayed = await allocated_message(client, orders[0], lambda m: len(m["statuses"]) == 4)
    assert (stayed["status"], stayed["channel"]) == ("sent", "whatsapp")
    assert outcomes(stayed) == [("whatsapp", "accepted")]
    assert not sms.count(stayed["id"])
    after = await allocated_message(client, orders[1], lambda m: len(m["statuses"]) == 3)
    assert (after["status"], after["channel"]) == ("sent", "sms")
    assert outcomes(after) == outcomes(fell_back)
    assert sms.count(after["id"]) == 1 and whatsapp.count(after["id"]) == 1


async def test_a_status_for_a_message_nobody_knows_is_kept_and_changes_nothing(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    wamids = [meta.new_wamid(), meta.new_wamid()]
    await whatsapp.send_statuses(
        meta.status(wamids[0], "6281500000001", "delivered", str(uuid.uuid4())),
        meta.status(wamids[1], "6281500000001", "failed", "not-a-uuid", error_code=131049),
    )
    await all_applied(database, wamids, 2)
    rows = await database.fetch(
        "SELECT message_id FROM notifier.whatsapp_statuses WHERE provider_id = ANY($1)", wamids
    )
    assert [row["message_id"] for row in rows] == [None, None]


async def test_a_flood_of_notifications_is_taken_whole_and_once(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    prefix = "62816" + "".join(random.choices("0123456789", k=3))
    documents = []
    for n in range(300):
        digits = f"{prefix}{n:05d}"
        value = meta.inbound(digits, "Sari", meta.new_wamid(), "text", text={"body": f"hai {n}"})
        value["statuses"] = [meta.status(meta.new_wamid(), digits, "read")]
        documents.append(meta.notification(whatsapp.phone_number_id, **value))
    answers = await asyncio.gather(*(whatsapp.post_webhook(d) for d in documents + documents[:100]))
    assert {status for status, _ in answers} == {200}
    assert sum(a["messages"] for _, a in answers) == 300
    assert sum(a["statuses"] for _, a in answers) == 300

    async def all_handled():
        return await database.fetchval(
            "SELECT count(*) FROM notifier.inbound_messages"
            " WHERE phone LIKE $1 AND handled_at IS NOT NULL",
            f"+{prefix}%",
        )

    await wait_until(lambda: _equals(all_handled, 300), what="300 inbound messages handled")


async def _equals(probe, expected) -> bool:
    return await probe() == expected
