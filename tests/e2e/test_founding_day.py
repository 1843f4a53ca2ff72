"""The founding day, end to end over HTTP, with the four services as separate processes."""

import asyncio
import uuid
from dataclasses import dataclass, replace

import asyncpg

from services.allocator.rules.allocation import reserve
from services.allocator.rules.domain import Lot, Policy
from shared.events import CLASS_OF_BUYER_TYPE
from shared.fields import normalise_phone
from tests.support.allocator_invariants import (
    every_unit_traced,
    lots_of_hubs,
    served_in_class_order,
    units_given_once,
)
from tests.support.chat import Chat, ChatHub, chat_on, code_in, order_by_chat
from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tools.client import ApiError, HubClient, new_hub_code, wait_until
from tools.founding_day import (
    SKU,
    BuyerPlan,
    Outcome,
    ProducerPlan,
    Scenario,
    founding_day,
    in_queue_order,
    play,
)
from tools.sandbox import Sandbox


def class_of(order: dict) -> str:
    return CLASS_OF_BUYER_TYPE[order["buyer"]["type"]]


# Every third citizen, from the first, orders by WhatsApp chat: a share of the day's citizens
# in every stretch of the queue (the first, served in full, among them), so chat orders queue
# among the API's. All order within the daily cap per buyer, which the chat holds them to.
CHAT_EVERY = 3


class ChatBuyers:
    """The founding day's buyers who order by chat, each from their own number under their own
    name, at a hub the notifier takes chat orders in (`tools.founding_day.ByChat`)."""

    def __init__(self, stack: Stack, box: Sandbox, whatsapp: WhatsAppCloudStub, scenario: Scenario):
        self.stack, self.box, self.whatsapp = stack, box, whatsapp
        citizens = [i for i, b in enumerate(scenario.buyers) if b.type == "individual"]
        self.indices = frozenset(citizens[::CHAT_EVERY])
        self.shop: ChatHub | None = None
        self.replies: dict[int, str] = {}  # what the chat answered the confirm with, by buyer

    def chats(self, index: int) -> bool:
        return index in self.indices

    async def open(self, hub: str) -> None:
        self.shop = await chat_on(self.stack, self.box.database_url, hub)

    async def order(self, index: int, buyer: BuyerPlan) -> str:
        assert self.shop is not None, "the hub is opened to chat first"
        cap = Policy().per_buyer_daily_cap  # a new hub's: the default policy's
        assert cap is not None and buyer.quantity <= cap, "the chat takes no more than the cap"
        chat = Chat(self.whatsapp, normalise_phone(buyer.phone), buyer.name)
        self.replies[index] = await order_by_chat(chat, self.shop, buyer.quantity, cap)
        return code_in(self.replies[index])

    def as_chatted(self, plan: BuyerPlan) -> BuyerPlan:
        """What a chat order says of its buyer: told on WhatsApp, where they wrote, in Bahasa
        Indonesia (the chat's language for a number it has not heard from), with no email."""
        return replace(plan, language="id", channel="whatsapp", email=None)


async def test_founding_day(
    client: HubClient,
    stack: Stack,
    box: Sandbox,
    mailbox: Mailbox,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
) -> None:
    scenario = founding_day()
    whatsapp.not_on_whatsapp.add(normalise_phone(scenario.producers[7].phone).lstrip("+"))
    whatsapp.not_on_whatsapp.add(
        normalise_phone(scenario.buyers[NOT_ON_WHATSAPP_BUYER].phone).lstrip("+")
    )
    by_chat = ChatBuyers(stack, box, whatsapp, scenario)
    assert NOT_ON_WHATSAPP_BUYER not in by_chat.indices, "a chat buyer is on WhatsApp"
    assert len(by_chat.indices) == 5
    outcome = await play(client, new_hub_code("kalteng"), scenario, by_chat=by_chat)

    assert await client.stock(outcome.hub, SKU) == {
        "hub": outcome.hub,
        "sku": SKU,
        "received": scenario.accepted_total,
        "allocated": scenario.accepted_total,
        "available": 0,
    }
    orders = sorted(outcome.orders, key=lambda order: order["placed_at"])
    assert orders == outcome.orders, "buyers were queued in the order they placed their orders"
    expected = in_queue_order(scenario)  # the allocator's pure rules under the default policy
    assert [o["allocated"] for o in orders] == expected
    assert_the_default_policy_shared_the_day(scenario, orders)

    await assert_chat_orders_are_the_chats(client, by_chat, outcome, scenario)
    await assert_lots_never_overgiven(client, box, outcome, scenario)
    await assert_everyone_told(
        client, Providers(whatsapp, sms, mailbox), outcome, scenario, by_chat
    )
    await assert_producers_told_every_unit_sold_once(client, box, outcome)


async def assert_chat_orders_are_the_chats(
    client: HubClient, by_chat: ChatBuyers, outcome: Outcome, scenario: Scenario
) -> None:
    """The chat buyers' orders were placed by the chat, as they asked in it: with the
    notifier's own key (which reads them, and none of the orders placed over the API), from
    their number under their name, and the chat's answer named each one's code and tracking
    link."""
    assert by_chat.shop is not None
    as_chat = client.as_partner(by_chat.shop.partner_key)
    for index, (order, plan) in enumerate(zip(outcome.orders, scenario.buyers, strict=True)):
        if by_chat.chats(index):
            reply = by_chat.replies[index]
            assert f"Kode: {order['code']}" in reply
            assert f"{by_chat.stack['storefront'].url}/lacak/{order['code']}" in reply
            assert (await as_chat.order(order["id"]))["code"] == order["code"]
            buyer = order["buyer"]
            assert (buyer["phone"], buyer["name"], buyer["type"], buyer["channel"]) == (
                normalise_phone(plan.phone),
                plan.name,
                "individual",
                "whatsapp",
            )
            assert order["quantity"] == plan.quantity
        else:
            try:
                await as_chat.order(order["id"])
            except ApiError as error:
                assert error.status == 404
            else:
                raise AssertionError(f"the chat's key reads {order['code']}, placed over the API")


def assert_the_default_policy_shared_the_day(scenario: Scenario, orders: list[dict]) -> None:
    """What the default policy promises, seen in the day's outcome: the public got its reserve
    of every delivery, the citizens who ordered first got their masks that day, nobody got more
    than the daily cap, and each class was served in the order its buyers ordered."""
    policy = Policy()
    cap = policy.per_buyer_daily_cap
    lots = [
        Lot(uuid.UUID(int=0), uuid.UUID(int=0), p.delivered - p.rejected)
        for p in scenario.producers
    ]
    public = [o for o in orders if class_of(o) == "public"]
    assert sum(o["allocated"] for o in public) >= reserve(lots, policy.reserve_of("public"))
    assert sum(o["quantity"] for o in public) > sum(o["allocated"] for o in public)
    citizens = [o for o in orders if o["buyer"]["type"] == "individual"]
    assert citizens[0]["allocated"] == citizens[0]["quantity"], "the first citizen is served"
    assert 1 < sum(1 for o in citizens if o["allocated"]) < len(citizens)
    assert max(o["allocated"] for o in orders) == cap, "big orders are capped, not refused"
    for name in {class_of(o) for o in orders}:
        in_class = [o for o in orders if class_of(o) == name]
        owed = [min(o["quantity"], cap) for o in in_class]
        got = [o["allocated"] for o in in_class]
        served = sum(1 for given in got if given)
        assert got[: served - 1] == owed[: served - 1], f"{name}: earlier orders get all they may"
        assert not any(got[served:]), f"{name}: the rest wait, with nothing yet"
    for order in orders:
        status = (
            "queued"
            if not order["allocated"]
            else "allocated"
            if order["allocated"] == order["quantity"]
            else "partially_allocated"
        )
        assert order["status"] == status, order


async def assert_lots_never_overgiven(
    client: HubClient, box: Sandbox, outcome: Outcome, scenario: Scenario
) -> None:
    """Per lot, the units given never exceed what it accepted, and every unit names its lot and
    the producer who delivered it; within each class no order was served while an earlier one
    was left short, in any fill (the checks the national day makes at every hub)."""
    conn = await asyncpg.connect(box.database_url)
    try:
        rows = await lots_of_hubs(conn, [outcome.hub])
        await every_unit_traced(conn, [outcome.hub])
        await served_in_class_order(conn, [outcome.hub])
    finally:
        await conn.close()
    assert len(rows) == len(scenario.producers)
    assert sum(row["given"] for row in rows) == scenario.accepted_total
    # Intake's view of each lot (kept from the allocator's events) agrees with the allocator.
    given_by_lot = {str(row["delivery_id"]): row["given"] for row in rows}

    async def intake_agrees() -> bool:
        deliveries = [await client.delivery(d["id"]) for d in outcome.deliveries]
        return all(d["sold"] == given_by_lot[d["id"]] for d in deliveries)

    await wait_until(intake_agrees, what="intake's sold counts")


# The chat's answer to a confirmed order, logged with the order's messages.
CHAT_REPLY = "chat_reply"
# Whose numbers are not on WhatsApp: their messages fall back to SMS.
NOT_ON_WHATSAPP_PRODUCER, NOT_ON_WHATSAPP_BUYER = 7, 4
# Words only one language's messages use, to tell which language an SMS was written in.
MARKERS = {"id": ("Pesanan", "Setoran", "Anda"), "en": ("Order", "Your", "You ")}


@dataclass
class Providers:
    whatsapp: WhatsAppCloudStub
    sms: SmsGatewayStub
    mailbox: Mailbox

    def assert_taken_once(self, message: dict, plan: ProducerPlan | BuyerPlan) -> None:
        """The message's provider took it once, for the person's address, in their language;
        no other provider took it at all."""
        language = plan.language
        if message["channel"] == "email":
            (email,) = self.mailbox.with_message_id(message["id"])
            assert email["To"].addresses[0].addr_spec == plan.email
            assert email["Content-Language"] == language
        else:
            stub = self.whatsapp if message["channel"] == "whatsapp" else self.sms
            (taken,) = [d for d in stub.deliveries if d.message_id == message["id"]]
            assert "+" + taken.to == normalise_phone(plan.phone)
            if message["template"] == CHAT_REPLY:  # inside the window the chat opened
                assert (message["channel"], taken.template) == ("whatsapp", None)
                assert taken.reply is not None
            elif message["channel"] == "whatsapp":
                assert taken.language == language
                assert taken.template == f"plut_{message['template']}"
            else:
                other = "en" if language == "id" else "id"
                assert any(word in taken.text for word in MARKERS[language]), taken.text
                assert not any(word in taken.text for word in MARKERS[other]), taken.text
        others = {"whatsapp": self.whatsapp, "sms": self.sms}
        others.pop(message["channel"], None)
        assert not any(stub.count(message["id"]) for stub in others.values())


async def assert_producers_told_every_unit_sold_once(
    client: HubClient, box: Sandbox, outcome: Outcome
) -> None:
    """The units_sold messages a producer was sent (a batch's sales of their units are one
    message) add up to what their delivery sold: no unit untold, none told twice."""
    conn = await asyncpg.connect(box.database_url)
    try:
        rows = await conn.fetch(
            """
            SELECT producer_id, sum((params->>'quantity')::int) AS told
            FROM notifier.messages
            WHERE hub = $1 AND template = 'units_sold' AND status = 'sent'
            GROUP BY producer_id
            """,
            outcome.hub,
        )
    finally:
        await conn.close()
    told = {str(row["producer_id"]): row["told"] for row in rows}
    sold = {
        producer["id"]: (await client.delivery(delivery["id"]))["sold"]
        for producer, delivery in zip(outcome.producers, outcome.deliveries, strict=True)
    }
    assert told == {producer: units for producer, units in sold.items() if units}


def expected_channel(plan: ProducerPlan | BuyerPlan, on_whatsapp: bool) -> str:
    if plan.channel is not None:
        return plan.channel
    return "whatsapp" if on_whatsapp else "sms"


async def assert_everyone_told(
    client: HubClient,
    providers: Providers,
    outcome: Outcome,
    scenario: Scenario,
    by_chat: ChatBuyers,
) -> None:
    """Buyers hear that their order is queued and what they got; producers, that their delivery
    was recorded and that their units sold: each message by the channel the person uses, in
    their language, taken by that channel's provider exactly once. A chat buyer's order also
    shows the chat's answer that told it placed."""
    sold = {d["id"]: (await client.delivery(d["id"]))["sold"] for d in outcome.deliveries}

    def buyer_templates(order: dict, chatted: bool) -> set[str]:
        told = {CHAT_REPLY} if chatted else set()
        if order["allocated"] == order["quantity"]:
            return told | {"order_received", "order_allocated"}
        partly = {"order_partly_allocated"} if order["allocated"] else set()
        return told | {"order_received"} | partly

    def buyer(index: int, order: dict, plan: BuyerPlan) -> tuple[BuyerPlan, bool, set[str]]:
        chatted = by_chat.chats(index)
        plan = by_chat.as_chatted(plan) if chatted else plan
        return plan, index != NOT_ON_WHATSAPP_BUYER, buyer_templates(order, chatted)

    expected = {
        ("order", order["id"]): buyer(index, order, plan)
        for index, (order, plan) in enumerate(zip(outcome.orders, scenario.buyers, strict=True))
    } | {
        ("producer", producer["id"]): (
            plan,
            index != NOT_ON_WHATSAPP_PRODUCER,
            {"delivery_recorded"} | ({"units_sold"} if sold[delivery["id"]] else set()),
        )
        for index, (producer, delivery, plan) in enumerate(
            zip(outcome.producers, outcome.deliveries, scenario.producers, strict=True)
        )
    }

    async def all_settled() -> dict | None:
        found = await asyncio.gather(
            *(client.messages(**{f"{kind}_id": identifier}) for kind, identifier in expected)
        )
        by_recipient = dict(zip(expected, found, strict=True))
        for key, messages in by_recipient.items():
            # A full order may have been filled in parts: partial fills, then the last one.
            templates = {m["template"] for m in messages}
            if expected[key][2] >= {"order_allocated"}:
                templates.discard("order_partly_allocated")
            if templates != expected[key][2]:
                return None
            if any(m["status"] == "pending" for m in messages):
                return None
        return by_recipient

    by_recipient = await wait_until(all_settled, what="every message sent", timeout=120)
    channels_used = set()
    for key, messages in by_recipient.items():
        plan, on_whatsapp, _ = expected[key]
        channel = expected_channel(plan, on_whatsapp)
        channels_used.add(channel)
        for message in messages:
            assert (message["status"], message["channel"], message["language"]) == (
                "sent",
                channel,
                plan.language,
            ), (key, message)
            providers.assert_taken_once(message, plan)
    assert channels_used == {"whatsapp", "sms", "email"}
    for producer in outcome.producers:
        templates = [m["template"] for m in by_recipient[("producer", producer["id"])]]
        assert templates.count("delivery_recorded") == 1


async def test_two_allocators_share_the_day_without_giving_a_unit_twice(
    client: HubClient, stack: Stack, box: Sandbox, tmp_path
):
    """A second allocator process subscribes to the day's partitions beside the first (moved
    here from the fault tests): the day ends as with one, and no unit goes twice."""
    scenario = founding_day(seed=7)
    second = stack.replica("allocator", tmp_path / "second.log")
    second.start()
    try:
        await second.wait_ready()
        pair = await play(client, new_hub_code("pair"), scenario)
    finally:
        assert await asyncio.to_thread(second.stop) == 0, second.log_tail()

    alone = await play(client, new_hub_code("alone"), scenario)
    assert [o["allocated"] for o in pair.orders] == [o["allocated"] for o in alone.orders]
    assert [o["allocated"] for o in alone.orders] == in_queue_order(scenario)
    assert await units_given_once(box.database_url, pair.hub) == scenario.accepted_total
    # The day's one product is one partition, served by one replica at a time (whichever
    # rendezvous hashing gives it): the second waited in its line, counted as a member.
    log_lines = second.log_path.read_text().splitlines()
    assert any("partitions subscribed" in line for line in log_lines), "the second one waited"
