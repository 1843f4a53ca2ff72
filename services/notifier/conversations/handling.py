"""Answering one message a person wrote: the use case of a conversation by chat, over two
ports (`ChatStore`: the notifier's own records, in the handling transaction; `OrdersApi`: the
orders service over HTTP) that the real adapters and the tests' fakes both implement.

A keyword or a chosen button/list row decides what happens: STOP / MULAI, STATUS, BATAL <code>
(after a confirm button), PESAN (hub, product, quantity, confirm), PROGRAM (a programme, then
the applicant's answers: `programme_door`), else the help message once an hour. A number that
writes too much in a minute is answered once, and not read.

Every HTTP call is safe to make again: the writes carry an Idempotency-Key drawn from the
inbound message's provider id, so handling the same message twice (a transaction that failed
after the call) never places or cancels twice.
"""

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

import structlog
from pydantic import TypeAdapter, ValidationError

from services.notifier.conversations import programme_door, texts
from services.notifier.conversations.errors import OrdersError
from services.notifier.conversations.keywords import Intent, read
from services.notifier.conversations.replies import Reply
from services.notifier.conversations.state import (
    Admission,
    Conversation,
    Step,
    admit,
    may_help,
    quantity_from,
)
from shared.fields import MAX_ORDER_QUANTITY, Name
from shared.order_codes import order_code_from, shown

log = structlog.get_logger(__name__)

BUYER_TYPE = "individual"  # as the buyers' site places a person's order
NO_NAME = "Pembeli WhatsApp"  # when the WhatsApp profile has no name a buyer's may be
BUYER_NAME = TypeAdapter(Name)


class Inbound(Protocol):
    """What a message written to us says (`services.notifier.inbound.notifications`)."""

    provider_id: str
    channel: str  # "whatsapp" or "sms"
    phone: str  # E.164
    name: str | None
    text: str | None
    reply_id: str | None
    at: datetime


@dataclass(frozen=True)
class KnownOrder:
    """An order the notifier knows the buyer's phone of (its 'buyer:<order id>' recipient)."""

    order_id: uuid.UUID
    code: str | None  # shown, `XXXXX-XXXXX`


@dataclass(frozen=True)
class Hub:
    code: str
    name: str
    timezone: str | None


class ChatStore(Protocol):
    async def conversation(self, phone: str) -> Conversation: ...  # held until commit
    async def save(self, conversation: Conversation) -> None: ...
    async def language_of(self, phone: str) -> str | None: ...  # its orders' language
    async def opt_out(self, channel: str, phone: str) -> None: ...
    async def opt_in(self, channel: str, phone: str) -> None: ...
    async def orders_of(self, phone: str) -> list[KnownOrder]: ...
    async def hubs(self) -> list[Hub]: ...
    async def products(self, hub: str) -> dict[str, str]: ...  # sku -> name
    async def reply(
        self,
        to: Inbound,
        reply: Reply,
        language: str,
        hub: str | None,
        order_id: uuid.UUID | None = None,
    ) -> None: ...
    async def forget_text(self, inbound: Inbound) -> None: ...  # it held a NIK


class OrdersApi(Protocol):
    open: bool  # False: this notifier has no orders key, and a chat has no orders

    async def order(self, code: str) -> dict[str, Any]: ...  # any order, by its code
    async def cancel(
        self, order_id: uuid.UUID, key: str, language: str, phone: str
    ) -> dict[str, Any]: ...  # the key's own order, or one whose verified phone is `phone`
    async def place(self, order: dict[str, Any], key: str, language: str) -> dict[str, Any]: ...
    async def daily_cap(self, hub: str, sku: str) -> int | None: ...
    async def programmes(self, hub: str) -> list[dict[str, Any]]: ...  # the hub's, any status
    async def programme(self, programme_id: uuid.UUID) -> dict[str, Any]: ...
    async def apply(
        self, programme_id: str, application: dict[str, Any], key: str, language: str
    ) -> dict[str, Any]: ...  # POST /v1/programmes/{id}/applications


@dataclass(frozen=True)
class Rules:
    site: str = ""  # the buyers' site, for tracking links
    most_per_minute: int = 10  # messages handled per number a minute
    hubs: frozenset[str] = frozenset()  # the hubs a chat may order in; empty: every hub known


async def handle(
    store: ChatStore, orders: OrdersApi, inbound: Inbound, rules: Rules, now: datetime
) -> None:
    conversation = (await store.conversation(inbound.phone)).current(now)
    conversation, admission = admit(conversation, now, rules.most_per_minute)
    spoken = read(inbound.text).language if not inbound.reply_id else None
    if spoken is not None:
        conversation = replace(conversation, language=spoken)
    # The language the number last wrote a keyword in, else its orders' (as they are told),
    # else Bahasa Indonesia.
    language = conversation.language or await store.language_of(inbound.phone) or "id"
    if admission is Admission.HANDLE:
        chat = Chat(store, orders, inbound, rules, now, language)
        conversation = await chat.answer(conversation)
    elif admission is Admission.SLOW_DOWN:
        await store.reply(inbound, texts.reply(texts.SLOW_DOWN, language), language, None)
    log.info(
        "chat message handled",
        provider_id=inbound.provider_id,
        channel=inbound.channel,
        admission=admission.value,
        step=conversation.step,
    )
    await store.save(conversation)


class Chat:
    """One message's answer."""

    def __init__(
        self,
        store: ChatStore,
        orders: OrdersApi,
        inbound: Inbound,
        rules: Rules,
        now: datetime,
        language: str,
    ) -> None:
        self.store = store
        self.orders = orders
        self.inbound = inbound
        self.rules = rules
        self.now = now
        self.language = language

    async def say(
        self, reply: Reply, hub: str | None = None, order_id: uuid.UUID | None = None
    ) -> None:
        """Records the reply; one about an order shows in that order's message log."""
        await self.store.reply(self.inbound, reply, self.language, hub, order_id)

    async def tell(
        self,
        text: texts.Text,
        hub: str | None = None,
        order_id: uuid.UUID | None = None,
        **facts: object,
    ) -> None:
        await self.say(texts.reply(text, self.language, **facts), hub, order_id)

    async def answer(self, conversation: Conversation) -> Conversation:
        inbound = self.inbound
        if inbound.reply_id and inbound.channel == "whatsapp":
            return await self.chosen(conversation, inbound.reply_id)
        if conversation.step is Step.QUANTITY:
            most = int(conversation.choices.get("most", MAX_ORDER_QUANTITY))
            quantity = quantity_from(inbound.text, most)
            if quantity is not None:
                return await self.confirm_order(conversation, quantity)
        said = read(inbound.text)
        if conversation.step in programme_door.TYPED_STEPS and said.intent is Intent.OTHER:
            return await programme_door.ProgrammeDoor(self).typed(conversation)
        if said.intent is Intent.STOP:
            await self.store.opt_out(inbound.channel, inbound.phone)
            await self.tell(texts.STOPPED, channel=texts.channel_name(inbound.channel))
            return conversation.at(None, self.now)
        if said.intent is Intent.START:
            await self.store.opt_in(inbound.channel, inbound.phone)
            await self.tell(texts.STARTED, channel=texts.channel_name(inbound.channel))
            return conversation
        if said.intent is Intent.STATUS:
            await self.status()
            return conversation
        if inbound.channel == "whatsapp":  # lists and buttons: WhatsApp's only
            if said.intent is Intent.CANCEL:
                return await self.ask_cancel(conversation, said.code)
            if said.intent is Intent.ORDER:
                return await self.begin_order(conversation)
            if said.intent is Intent.PROGRAMME:
                return await programme_door.ProgrammeDoor(self).begin(conversation)
            if conversation.step is Step.QUANTITY:
                most = int(conversation.choices.get("most", MAX_ORDER_QUANTITY))
                await self.tell(texts.BAD_QUANTITY, most=most)
                return conversation.at(Step.QUANTITY, self.now)
        if may_help(conversation, self.now):
            await self.say(texts.help_reply(inbound.channel, self.language))
            return _helped(conversation, self.now)
        return conversation

    async def chosen(self, conversation: Conversation, reply_id: str) -> Conversation:
        """A button or a list row: its id says what it was (`texts` gives them)."""
        kind, _, value = reply_id.partition(":")
        step = conversation.step
        if kind == "keep" or (kind == "order" and value == "no"):
            await self.tell(texts.NOTHING_CHANGED)
            return conversation.at(None, self.now)
        if kind == "cancel" and step is Step.CONFIRM_CANCEL:
            if conversation.choices.get("order_id") == value:
                return await self.cancel(conversation, value)
        if kind == "hub" and step is Step.HUB:
            return await self.choose_product(conversation, value)
        if kind == "sku" and step is Step.PRODUCT:
            return await self.ask_quantity(conversation, value)
        if kind == "order" and value == "yes" and step is Step.CONFIRM_ORDER:
            return await self.place(conversation)
        if kind == "prog" and step is Step.PROGRAMME:
            return await programme_door.ProgrammeDoor(self).chosen(conversation, value)
        await self.tell(texts.EXPIRED)
        return conversation.at(None, self.now)

    # STATUS

    async def status(self) -> None:
        if not self.orders.open:
            await self.tell(texts.ORDERS_CLOSED)
            return
        known = await self.store.orders_of(self.inbound.phone)
        try:
            read = await asyncio.gather(*(self._facts(o.code) for o in known if o.code))
        except OrdersError as error:
            log.warning("chat status unread", status=error.status, why=error.why)
            await self.tell(texts.ORDERS_AWAY)
            return
        open_orders = [facts for facts in read if facts is not None and facts.status in texts.OPEN]
        await self.say(texts.status_reply(open_orders, self.rules.site, self.language))

    async def _facts(self, code: str) -> texts.OrderFacts | None:
        try:
            order = await self.orders.order(code)
        except OrdersError as error:
            if error.status == 404:
                return None
            raise
        return await self._facts_of(order)

    async def _facts_of(self, order: dict[str, Any]) -> texts.OrderFacts:
        products = await self.store.products(order["hub"])
        hubs = {hub.code: hub for hub in await self.store.hubs()}
        hub = hubs.get(order["hub"])
        return facts_of(order, products.get(order["sku"], order["sku"]), hub)

    # BATAL <code>

    async def ask_cancel(self, conversation: Conversation, code: str | None) -> Conversation:
        if not self.orders.open:
            await self.tell(texts.ORDERS_CLOSED)
            return conversation
        if code is None:
            await self.tell(texts.CODE_WANTED)
            return conversation
        mine = [
            o
            for o in await self.store.orders_of(self.inbound.phone)
            if o.code is not None and order_code_from(o.code) == code
        ]
        # Someone else's code reads as no code at all: nothing tells a stranger it exists.
        if not mine:
            await self.tell(texts.NOT_FOUND, code=shown(code))
            return conversation
        order_id, shown_code = mine[0].order_id, mine[0].code
        try:
            order = await self.orders.order(shown_code)
        except OrdersError as error:
            if error.status != 404:
                await self.tell(texts.ORDERS_AWAY)
                return conversation
            await self.tell(texts.NOT_FOUND, code=shown(code))
            return conversation
        facts = await self._facts_of(order)
        if facts.status not in texts.OPEN:
            status = texts.STATUS_WORDS.get(facts.status, texts.Text(facts.status, facts.status))
            await self.tell(
                texts.NOT_CANCELLABLE,
                order["hub"],
                order_id,
                code=facts.code,
                status=status.in_language(self.language),
            )
            return conversation.at(None, self.now)
        reply = texts.confirm_cancel(facts, str(order_id), self.language)
        await self.say(reply, order["hub"], order_id)
        return conversation.at(Step.CONFIRM_CANCEL, self.now, order_id=str(order_id))

    async def cancel(self, conversation: Conversation, order_id: str) -> Conversation:
        mine = {str(o.order_id): o for o in await self.store.orders_of(self.inbound.phone)}
        known = mine.get(order_id)
        if known is None:  # chosen from a message of another number's: not theirs to cancel
            await self.tell(texts.EXPIRED)
            return conversation.at(None, self.now)
        code = known.code or order_id
        key = f"notifier-chat-cancel:{self.inbound.provider_id}"
        try:
            # The number that wrote, as the channel told it: the buyer's verified phone.
            await self.orders.cancel(uuid.UUID(order_id), key, self.language, self.inbound.phone)
        except OrdersError as error:
            if error.status >= 500 or error.status in (401, 429):
                raise  # the handling is tried again, with the same key
            if error.status == 404:  # neither placed by chat nor for this verified number
                await self.tell(texts.NOT_CANCELLABLE_BY_CHAT, None, known.order_id, code=code)
                return conversation.at(None, self.now)
            await self.tell(texts.NOT_CANCELLED, None, known.order_id, code=code, why=error.why)
            return conversation.at(None, self.now)
        await self.tell(texts.CANCELLED, None, known.order_id, code=code)
        return conversation.at(None, self.now)

    # PESAN

    async def ordering_hubs(self) -> list[Hub]:
        """The hubs a chat may order in: those of the rules, else every hub known."""
        hubs = await self.store.hubs()
        if not self.rules.hubs:
            return hubs
        return [hub for hub in hubs if hub.code in self.rules.hubs]

    async def begin_order(self, conversation: Conversation) -> Conversation:
        if not self.orders.open:
            await self.tell(texts.ORDERS_CLOSED)
            return conversation.at(None, self.now)
        hubs = await self.ordering_hubs()
        await self.say(texts.hub_list([(h.code, h.name) for h in hubs[:10]], self.language))
        return conversation.at(Step.HUB if hubs else None, self.now)

    async def choose_product(self, conversation: Conversation, hub_code: str) -> Conversation:
        hubs = {hub.code: hub for hub in await self.ordering_hubs()}
        hub = hubs.get(hub_code)
        if hub is None:
            await self.tell(texts.EXPIRED)
            return conversation.at(None, self.now)
        products = await self.store.products(hub_code)
        listed = sorted(products.items())[:10]
        await self.say(texts.product_list(hub.name, listed, self.language), hub_code)
        return conversation.at(Step.PRODUCT if products else None, self.now, hub=hub_code)

    async def ask_quantity(self, conversation: Conversation, sku: str) -> Conversation:
        hub = conversation.choices.get("hub")
        products = await self.store.products(hub) if hub else {}
        if sku not in products:
            await self.tell(texts.EXPIRED)
            return conversation.at(None, self.now)
        try:
            cap = await self.orders.daily_cap(hub, sku)
        except OrdersError:
            cap = None  # the allocator still applies it; the answer then says so
        most = min(cap or MAX_ORDER_QUANTITY, MAX_ORDER_QUANTITY)
        await self.say(texts.ask_quantity(products[sku], most, cap, self.language), hub)
        return conversation.at(Step.QUANTITY, self.now, sku=sku, most=most)

    async def confirm_order(self, conversation: Conversation, quantity: int) -> Conversation:
        hub_code, sku = conversation.choices["hub"], conversation.choices["sku"]
        hubs = {hub.code: hub for hub in await self.ordering_hubs()}
        products = await self.store.products(hub_code)
        hub = hubs.get(hub_code)
        if hub is None or sku not in products:
            await self.tell(texts.EXPIRED)
            return conversation.at(None, self.now)
        reply = texts.confirm_order(quantity, products[sku], hub.name, self.name, self.language)
        await self.say(reply, hub_code)
        return conversation.at(Step.CONFIRM_ORDER, self.now, quantity=quantity)

    @property
    def name(self) -> str:
        """The WhatsApp profile name where the orders API would take it as a buyer's name: one
        the person set to look like a link, or with control characters, is not passed on."""
        try:
            return BUYER_NAME.validate_python(self.inbound.name)
        except ValidationError:
            return NO_NAME

    async def place(self, conversation: Conversation) -> Conversation:
        choices = conversation.choices
        hubs = {hub.code: hub for hub in await self.ordering_hubs()}
        hub = hubs.get(choices["hub"])
        if hub is None:
            await self.tell(texts.EXPIRED)
            return conversation.at(None, self.now)
        order = new_order(
            hub, choices["sku"], int(choices["quantity"]), self.inbound, self.name, self.language
        )
        # The confirming message's id: this message handled again places nothing more.
        key = f"notifier-chat-order:{self.inbound.provider_id}"
        try:
            placed = await self.orders.place(order, key, self.language)
        except OrdersError as error:
            if error.status >= 500 or error.status in (401, 429):
                raise  # the handling is tried again, with the same key
            await self.tell(texts.NOT_PLACED, hub.code, why=error.why)
            return conversation.at(None, self.now)
        try:
            placed = await self.orders.order(placed["code"])  # with its standing
        except OrdersError:
            pass  # the answer to the POST tells the code; the tracking page tells the rest
        facts = await self._facts_of(placed)
        reply = texts.placed(facts, self.rules.site, self.language)
        await self.say(reply, hub.code, uuid.UUID(placed["id"]))
        return conversation.at(None, self.now)


def new_order(
    hub: Hub, sku: str, quantity: int, inbound: Inbound, name: str, language: str
) -> dict[str, Any]:
    """The order as `POST /v1/orders` takes it: the number that wrote is the buyer's verified
    phone, told by the channel it wrote on; the hub's name stands for the region."""
    return {
        "hub": hub.code,
        "sku": sku,
        "quantity": quantity,
        "accept_partial": True,
        "buyer": {
            "name": name,
            "type": BUYER_TYPE,
            "region": hub.name,
            "phone": inbound.phone,
            "language": language,
            "channel": inbound.channel,
        },
    }


def facts_of(order: dict[str, Any], product: str, hub: Hub | None) -> texts.OrderFacts:
    """An order as the orders API answers it (`GET /v1/orders/{id}`; the standing's fields are
    missing from a POST's answer)."""
    estimate = order.get("estimated_date")
    hold_until = order.get("hold_until")
    return texts.OrderFacts(
        code=order["code"],
        quantity=order["quantity"],
        product=product,
        status=(
            texts.WAITING_FOR_DRAW
            if order.get("programme_status") == "waiting"
            else order["status"]
        ),
        allocated=order.get("allocated", 0) - order.get("fulfilled", 0),
        waiting=order.get("waiting", 0),
        position=order.get("position"),
        estimate=date.fromisoformat(estimate) if estimate else None,
        hold_until=datetime.fromisoformat(hold_until) if hold_until else None,
        timezone=hub.timezone if hub else None,
    )


def _helped(conversation: Conversation, now: datetime) -> Conversation:
    return replace(conversation, helped_at=now)
