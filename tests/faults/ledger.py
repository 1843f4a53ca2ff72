"""What a fault cost: the books of one hub's stream, kept from every service's database, the
broker's queues and the providers' stand-ins.

`settle` waits (with a deadline) until the backlog has drained: nothing in an outbox or a queue,
every order the orders service took at the allocator, every allocation back at orders and
intake, every message owed recorded and taken by a provider. `check` then asserts what must hold
after any fault: every order answered 201 exists and ends in a valid state; no lot gives more
than it accepted and no unit goes twice (the allocator's invariants, and the sold and allocated
counts of intake and orders agreeing with them); no free-mask programme over its budget nor a
recipient past its limits (tests/support/programme_invariants.py); every message owed was sent,
once.

Messages owed, worked out from what the services did (not from the notifier's own records):
- each delivery intake recorded: `delivery_recorded` to its producer;
- each order the allocator queued, unless it served it in full at once: `order_received` to
  its buyer;
- each fill of an order (one order.allocated per order, rule and fill): `order_allocated` or
  `order_partly_allocated` to its buyer;
- each unit allocated from a producer's lots: told once in a `units_sold` message to the
  producer. The notifier adds up a batch's sales of one producer in one message, so how many
  messages depends on the batches: for these the books count units, not messages (the quantity
  of every such message recorded, and of those a provider took, against the units allocated).
Any other message (a day's summary, should the hub's day end during a test) is owed as recorded.
"""

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import aio_pika
import asyncpg

from shared.topology import QUEUES
from tests.faults.stream import Stream
from tests.support import allocator_invariants as invariants
from tests.support.mailbox import Mailbox
from tests.support.programme_invariants import programmes_hold
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub

SCHEMAS = ("intake", "orders", "allocator", "notifier")
UNITS_SOLD = "units_sold"
PURPOSES = {
    "order_allocated": "allocated",
    "order_partly_allocated": "allocated",
}
OWED = """
SELECT 'buyer:' || order_id AS recipient, 'order_received' AS purpose, 1 AS owed
FROM allocator.queue q WHERE hub = $1
  -- served in full in the transaction that queued it: order.allocated alone tells the buyer
  AND q.quantity > (SELECT coalesce(sum(quantity), 0) FROM allocator.allocations a
                    WHERE a.order_id = q.order_id AND a.allocated_at = q.queued_at)
UNION ALL
SELECT 'buyer:' || order_id, 'allocated', count(DISTINCT (allocated_at, rule))
FROM allocator.allocations WHERE hub = $1 GROUP BY order_id
UNION ALL
SELECT 'producer:' || l.producer_id, 'units_sold', sum(a.quantity)
FROM allocator.allocations a JOIN allocator.lots l USING (delivery_id)
WHERE a.hub = $1 GROUP BY l.producer_id
UNION ALL
SELECT 'producer:' || producer_id, 'delivery_recorded', count(*)
FROM intake.deliveries WHERE hub = $1 GROUP BY producer_id
"""
OUTBOXES = " + ".join(f"(SELECT count(*) FROM {schema}.outbox)" for schema in SCHEMAS)
IDLE_STOCK = """
WITH stock AS (
    SELECT coalesce(sum(accepted - allocated), 0) AS available FROM allocator.lots WHERE hub = $1
)
SELECT count(*) FROM allocator.queue, stock
WHERE hub = $1 AND state = 'waiting' AND stock.available > 0
  AND (accept_partial OR quantity - allocated - forfeited <= stock.available)
"""


@dataclass
class Providers:
    """The stand-ins every message goes out through."""

    whatsapp: WhatsAppCloudStub
    sms: SmsGatewayStub
    mailbox: Mailbox

    def counts(self, message_ids: list[str]) -> dict[str, int]:
        """How many times each message was taken, by any provider."""
        taken = Counter(d.message_id for d in self.whatsapp.deliveries)
        taken.update(d.message_id for d in self.sms.deliveries)
        return {m: taken[m] + len(self.mailbox.with_message_id(m)) for m in message_ids}


@dataclass
class Ledger:
    """One fault's books, as they stood at the last look."""

    fault: str
    orders_sent: int = 0
    orders_201: int = 0
    deliveries_201: int = 0
    applications_201: int = 0  # to the hub's free-mask programme
    owed: int = 0  # messages, units_sold as recorded
    sent: int = 0
    lost: int = 0  # messages owed and not sent, units_sold apart
    units_owed: int = 0  # units allocated from producers' lots, to be told in units_sold
    units_told: int = 0  # units in units_sold messages a provider took
    units_lost: int = 0  # units owed and in no units_sold message a provider took
    duplicated: int = 0
    drain_seconds: float | None = None  # None: not drained by the deadline
    waiting_for: list[str] = field(default_factory=list)  # why it is not settled yet
    dead_lettered: dict[str, int] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)  # message ids taken more than once
    surplus: int = 0  # messages recorded beyond those owed (units_sold: units beyond)
    note: str = ""

    @property
    def settled(self) -> bool:
        return not self.waiting_for

    def line(self) -> str:
        drain = "not drained" if self.drain_seconds is None else f"{self.drain_seconds:.1f}s"
        return (
            f"{self.fault:<42} orders {self.orders_201:>3}/{self.orders_sent:<3} "
            f"deliveries {self.deliveries_201:>2} applications {self.applications_201:>2}  "
            f"messages owed {self.owed:>4} "
            f"sent {self.sent:>4} lost {self.lost:>2} duplicated {self.duplicated:>2}  "
            f"units sold {self.units_owed:>4} told {self.units_told:>4}  "
            f"drained in {drain}" + (f"  ({self.note})" if self.note else "")
        )


async def queue_depths(amqp_url: str) -> dict[str, int]:
    """Messages ready in each service's queue and dead-letter queue."""
    connection = await aio_pika.connect(amqp_url, timeout=5)
    try:
        channel = await connection.channel()
        depths = {}
        for service in SCHEMAS:
            for name in (*QUEUES[service].queue_names, f"{service}.dead-letter"):
                queue = await channel.declare_queue(name, passive=True)
                depths[name] = queue.declaration_result.message_count
        return depths
    finally:
        await connection.close()


async def parked(amqp_url: str) -> dict[str, int]:
    """Messages waiting in each dead-letter queue."""
    return {n: c for n, c in (await queue_depths(amqp_url)).items() if n.endswith("dead-letter")}


async def account(
    database_url: str,
    amqp_url: str,
    stream: Stream,
    providers: Providers,
    fault: str,
    parked_before: dict[str, int],
) -> Ledger:
    ledger = Ledger(
        fault,
        orders_sent=stream.attempted,
        orders_201=len(stream.placed),
        deliveries_201=len(stream.delivered),
        applications_201=len(stream.applied),
    )
    waiting = ledger.waiting_for
    try:
        conn = await asyncpg.connect(database_url, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        waiting.append(f"the database: {error!r}")
        return ledger
    try:
        hub = stream.hub
        if backlog := await conn.fetchval(f"SELECT {OUTBOXES}"):
            waiting.append(f"{backlog} events in outboxes")
        at_orders = {r["id"]: r for r in await conn.fetch(ORDERS_OF_HUB, hub)}
        queued = {r["order_id"]: r for r in await conn.fetch(QUEUE_OF_HUB, hub)}
        if missing := [o["id"] for o in stream.placed if _uuid(o["id"]) not in at_orders]:
            waiting.append(f"orders answered 201 missing at orders: {missing[:5]}")
        if unqueued := set(at_orders) - set(queued):
            waiting.append(f"{len(unqueued)} orders not yet at the allocator")
        if behind := [i for i in at_orders if i in queued and _behind(at_orders[i], queued[i])]:
            waiting.append(f"{len(behind)} orders' allocations not yet at orders")
        deliveries = {r["id"]: r for r in await conn.fetch(DELIVERIES_OF_HUB, hub)}
        lots = {r["delivery_id"]: r for r in await conn.fetch(LOTS_OF_HUB, hub)}
        if unlotted := set(deliveries) - set(lots):
            waiting.append(f"{len(unlotted)} deliveries not yet lots")
        unsold = [
            d for d in deliveries if d in lots and deliveries[d]["sold"] != lots[d]["allocated"]
        ]
        if unsold:
            waiting.append(f"{len(unsold)} lots' sales not yet at intake")
        if idle := await conn.fetchval(IDLE_STOCK, hub):
            waiting.append(f"stock idles while {idle} orders wait")

        owed = {(r["recipient"], r["purpose"]): r["owed"] for r in await conn.fetch(OWED, hub)}
        messages = await conn.fetch(MESSAGES_OF_HUB, hub)
    finally:
        await conn.close()

    taken = providers.counts([str(m["id"]) for m in messages])
    # What is recorded and what reached a provider, per recipient and purpose: messages, or for
    # units_sold the units they tell of.
    rows: dict[tuple, int] = defaultdict(int)
    reached: dict[tuple, int] = defaultdict(int)
    units_sold_messages = pending = 0
    for message in messages:
        key = (message["recipient_key"], PURPOSES.get(message["template"], message["template"]))
        told = message["units"] if key[1] == UNITS_SOLD else 1
        units_sold_messages += key[1] == UNITS_SOLD
        rows[key] += told
        times = taken[str(message["id"])]
        reached[key] += told if times >= 1 else 0
        pending += message["status"] == "pending"
        if times > 1:
            ledger.duplicates.append(str(message["id"]))
        if message["status"] == "sent" and times == 0:
            waiting.append(f"message {message['id']} recorded sent, taken by no provider")
    for key, count in rows.items():
        # A purpose the books cannot work out is owed as recorded; units sold that no lot gave
        # are owed nothing.
        owed.setdefault(key, 0 if key[1] == UNITS_SOLD else count)
    lost = {key: max(count - reached[key], 0) for key, count in owed.items()}
    in_units = [key for key in owed if key[1] == UNITS_SOLD]
    ledger.units_owed = sum(owed[key] for key in in_units)
    ledger.units_told = sum(reached[key] for key in in_units)
    ledger.units_lost = sum(lost.pop(key) for key in in_units)
    ledger.owed = sum(owed.values()) - ledger.units_owed + units_sold_messages
    ledger.sent = sum(1 for times in taken.values() if times >= 1)
    ledger.lost = sum(lost.values())
    ledger.surplus = sum(max(count - owed[key], 0) for key, count in rows.items())
    ledger.duplicated = sum(max(times - 1, 0) for times in taken.values()) + ledger.surplus
    if pending:
        waiting.append(f"{pending} messages pending")
    if ledger.lost:
        waiting.append(f"{ledger.lost} messages owed and not sent")
    if ledger.units_lost:
        waiting.append(f"{ledger.units_lost} units sold not yet told to their producers")

    try:
        depths = await queue_depths(amqp_url)
    except Exception as error:  # the broker away: not drained, whatever it says
        waiting.append(f"the broker: {error!r}")
        return ledger
    # Only what this fault parked: what an earlier one left was that one's failure, reported.
    ledger.dead_lettered = {
        n: c - parked_before.get(n, 0)
        for n, c in depths.items()
        if n.endswith("dead-letter") and c > parked_before.get(n, 0)
    }
    if ready := {n: c for n, c in depths.items() if not n.endswith("dead-letter") and c}:
        waiting.append(f"events waiting in {ready}")
    return ledger


async def settle(
    database_url: str,
    amqp_url: str,
    stream: Stream,
    providers: Providers,
    fault: str,
    *,
    since: float,
    timeout: float,
    parked_before: dict[str, int],
) -> Ledger:
    """Look until everything has drained or `timeout` seconds after `since` (time.monotonic(),
    when the fault was undone and the stream had ended); answer the books as they stand.
    `parked_before`: the dead-letter queues' depths before the fault (`parked`)."""
    while True:
        ledger = await account(database_url, amqp_url, stream, providers, fault, parked_before)
        now = time.monotonic()
        if ledger.settled:
            ledger.drain_seconds = max(now - since, 0.0)
            return ledger
        if now - since > timeout:
            return ledger
        await asyncio.sleep(0.25)


async def check(database_url: str, stream: Stream, ledger: Ledger) -> None:
    """What must hold after any fault, once the backlog drained (see the module's doc)."""
    assert ledger.settled, f"{ledger.fault}: not drained in time: {ledger.waiting_for}"
    assert ledger.lost == 0, f"{ledger.fault}: {ledger.lost} messages lost"
    assert ledger.units_lost == 0, f"{ledger.fault}: {ledger.units_lost} units sold never told"
    assert ledger.units_told == ledger.units_owed, (ledger.units_told, ledger.units_owed)
    assert ledger.surplus == 0, f"{ledger.fault}: {ledger.surplus} messages beyond those owed"
    assert not ledger.dead_lettered, f"{ledger.fault}: dead-lettered {ledger.dead_lettered}"
    conn = await asyncpg.connect(database_url)
    try:
        at_orders = {r["id"]: r for r in await conn.fetch(ORDERS_OF_HUB, stream.hub)}
        queued = {r["order_id"]: r for r in await conn.fetch(QUEUE_OF_HUB, stream.hub)}
        for answered in stream.placed:
            order = at_orders.get(_uuid(answered["id"]))
            assert order is not None, f"order {answered['id']} was answered 201 and is gone"
            assert order["quantity"] == answered["quantity"]
            in_queue = queued[order["id"]]
            assert order["allocated"] == in_queue["allocated"], (dict(order), dict(in_queue))
            assert 0 <= order["allocated"] <= order["quantity"], dict(order)
            expected_status = (
                "allocated"
                if order["allocated"] == order["quantity"]
                else "partially_allocated"
                if order["allocated"]
                else "queued"
            )
            assert order["status"] == expected_status, dict(order)
            assert (in_queue["state"] == "filled") == (
                in_queue["allocated"] == in_queue["quantity"]
            ), dict(in_queue)
        # Intake's sold counts are the allocator's, lot by lot: no allocation counted twice.
        for delivery in await conn.fetch(DELIVERIES_OF_HUB, stream.hub):
            lot = await conn.fetchrow(
                "SELECT accepted, allocated FROM allocator.lots WHERE delivery_id = $1",
                delivery["id"],
            )
            assert lot is not None and lot["accepted"] == delivery["accepted"], dict(delivery)
            assert delivery["sold"] == lot["allocated"] <= lot["accepted"], dict(delivery)
        # Free-mask programmes: never over budget, no recipient past its limits.
        await programmes_hold(conn)
        # What buyers see they were given is what the lots gave, and no more than was received.
        lots = await conn.fetch(LOTS_OF_HUB, stream.hub)
        given = sum(order["allocated"] for order in at_orders.values())
        given_by_lots = sum(lot["allocated"] for lot in lots)
        assert given == given_by_lots <= sum(lot["accepted"] for lot in lots), (given, lots)

        await conn.execute("SET search_path = allocator")
        delivered = await conn.fetch("SELECT id, accepted FROM intake.deliveries")
        expected_lots = {row["id"]: row["accepted"] for row in delivered}
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        await invariants.lots_give_what_they_have(conn, expected_lots)
        await invariants.orders_get_what_they_asked(conn)
        await invariants.queue_totals_are_counts(conn)
        await invariants.no_stock_idles_for_an_eligible_order(conn, today)
        await invariants.fifo_serves_in_queue_order(conn, today)
        await invariants.caps_hold_per_fill(conn, "Asia/Jakarta")
        await invariants.buyer_days_are_what_buyers_got(conn, "Asia/Jakarta")
    finally:
        await conn.close()


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def _behind(order: asyncpg.Record, queued: asyncpg.Record) -> bool:
    return order["allocated"] != queued["allocated"]


# A programme's application waiting for budget is not at the allocator yet (nor owed to be).
ORDERS_OF_HUB = """
SELECT id, quantity, allocated, status FROM orders.orders
WHERE hub = $1 AND programme_status IS DISTINCT FROM 'waiting'
"""
QUEUE_OF_HUB = """
SELECT order_id, quantity, allocated, forfeited, state, accept_partial
FROM allocator.queue WHERE hub = $1
"""
DELIVERIES_OF_HUB = "SELECT id, producer_id, accepted, sold FROM intake.deliveries WHERE hub = $1"
LOTS_OF_HUB = "SELECT delivery_id, accepted, allocated FROM allocator.lots WHERE hub = $1"
MESSAGES_OF_HUB = """
SELECT id, recipient_key, template, status, channel, (params->>'quantity')::int AS units
FROM notifier.messages WHERE hub = $1
"""


UNRECORDED_CLAIMS = """
SELECT m.id::text FROM notifier.messages m
WHERE m.id = ANY($1::uuid[]) AND m.channel = ANY($2::text[])
  AND m.attempts > (SELECT count(*) FROM notifier.delivery_attempts a WHERE a.message_id = m.id)
"""
# Providers that take a message again when asked again: WhatsApp has no idempotency key, and an
# SMTP server keeps both copies (a mail client may show one: they share a Message-ID). Infobip
# refuses a message id it has (counted once).
RESENDING_CHANNELS = ["whatsapp", "email"]


async def sends_of_unknown_fate(database_url: str, message_ids: list[str]) -> set[str]:
    """Of these messages, those a sender claimed, sent, and never wrote the outcome of (it died,
    or lost the database, between the provider's answer and the commit), on a channel whose
    provider takes a message again: the lease brought them back, and they went twice. The
    notifier's at-least-once, as the README says; nothing else may go twice."""
    if not message_ids:
        return set()
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(UNRECORDED_CLAIMS, message_ids, RESENDING_CHANNELS)
    finally:
        await conn.close()
    return {row["id"] for row in rows}
