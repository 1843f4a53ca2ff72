"""Fakes of the conversation's ports (`conversations.handling.ChatStore`, `OrdersApi`) for the
use case's unit tests: what the notifier knows, and an orders service in memory."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.notifier.conversations.handling import Hub, KnownOrder, OrdersError
from services.notifier.conversations.replies import Reply
from services.notifier.conversations.state import Conversation
from services.notifier.inbound.notifications import InboundMessage

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def written(
    provider_id: str,
    phone: str,
    text: str | None = None,
    reply_id: str | None = None,
    *,
    channel: str = "whatsapp",
    name: str | None = "Siti Aminah",
) -> InboundMessage:
    """A message a person wrote, as the inbound worker hands it over."""
    return InboundMessage(provider_id, channel, phone, name, text, reply_id, NOW)


@dataclass
class FakeChatStore:
    hubs_known: list[Hub] = field(
        default_factory=lambda: [Hub("kalteng", "PLUT Kalimantan Tengah", "Asia/Jakarta")]
    )
    products_known: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"kalteng": {"masker-kain": "Masker kain 3 lapis"}}
    )
    buyers: dict[str, list[KnownOrder]] = field(default_factory=dict)  # by phone
    languages: dict[str, str] = field(default_factory=dict)
    opted_out: set[tuple[str, str]] = field(default_factory=set)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    replies: list[tuple[str, str, Reply, str]] = field(default_factory=list)
    forgotten: set[str] = field(default_factory=set)  # provider ids whose text went

    async def conversation(self, phone: str) -> Conversation:
        return self.conversations.get(phone) or Conversation(phone)

    async def save(self, conversation: Conversation) -> None:
        self.conversations[conversation.phone] = conversation

    async def language_of(self, phone: str) -> str | None:
        return self.languages.get(phone)

    async def opt_out(self, channel: str, phone: str) -> None:
        self.opted_out.add((channel, phone))

    async def opt_in(self, channel: str, phone: str) -> None:
        self.opted_out.discard((channel, phone))

    async def orders_of(self, phone: str) -> list[KnownOrder]:
        return self.buyers.get(phone, [])

    async def hubs(self) -> list[Hub]:
        return self.hubs_known

    async def products(self, hub: str) -> dict[str, str]:
        return self.products_known.get(hub, {})

    async def reply(self, to, reply: Reply, language: str, hub: str | None, order_id=None) -> None:
        self.replies.append((to.phone, to.channel, reply, language))

    async def forget_text(self, inbound) -> None:
        self.forgotten.add(inbound.provider_id)

    def said_to(self, phone: str) -> list[Reply]:
        return [reply for to, _, reply, _ in self.replies if to == phone]


@dataclass
class FakeOrders:
    orders: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    placed_by_key: dict[str, uuid.UUID] = field(default_factory=dict)
    cancel_keys: list[str] = field(default_factory=list)
    cancel_phones: list[str] = field(default_factory=list)
    cap: int | None = 50
    away: bool = False
    open: bool = True
    programmes_known: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id
    applications: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # by key
    refuse_next: OrdersError | None = None

    def add(self, phone: str, *, status: str = "queued", code: str = "7K3QD-M9X2A", **more):
        order_id = uuid.uuid4()
        self.orders[order_id] = {
            "id": str(order_id),
            "code": code,
            "hub": "kalteng",
            "sku": "masker-kain",
            "quantity": 10,
            "allocated": 0,
            "fulfilled": 0,
            "waiting": 10,
            "status": status,
            "hold_until": None,
            "position": 3,
            "estimated_date": "2026-12-07",
            "buyer": {"phone": phone},
            **more,
        }
        return order_id, KnownOrder(order_id, code)

    async def order(self, code: str) -> dict[str, Any]:
        if self.away:
            raise OrdersError(503, {"title": "away"})
        for order in self.orders.values():
            if order["code"] == code:
                return order
        raise OrdersError(404, {"title": "Not found"})

    async def cancel(
        self, order_id: uuid.UUID, key: str, language: str, phone: str
    ) -> dict[str, Any]:
        if self.away:
            raise OrdersError(503, {"title": "away"})
        self.cancel_keys.append(key)
        self.cancel_phones.append(phone)
        order = self.orders[order_id]
        # The key's own orders, and those whose buyer's phone a door of PLUT's checked.
        if not order.get("placed") and order.get("verified_phone") != phone:
            raise OrdersError(404, {"title": "Not found"})
        if order["status"] not in ("queued", "partially_allocated", "allocated"):
            raise OrdersError(409, {"title": "Not cancellable", "detail": "already collected"})
        order["status"] = "cancelled"
        return order

    async def place(self, order: dict[str, Any], key: str, language: str) -> dict[str, Any]:
        if self.away:
            raise OrdersError(503, {"title": "away"})
        if key in self.placed_by_key:
            return self.orders[self.placed_by_key[key]]
        order_id, _ = self.add(
            order["buyer"]["phone"],
            code=f"AAAAA-{len(self.orders):05d}",
            quantity=order["quantity"],
            waiting=order["quantity"],
            placed=order,
        )
        self.placed_by_key[key] = order_id
        return {k: v for k, v in self.orders[order_id].items() if k != "position"}

    async def daily_cap(self, hub: str, sku: str) -> int | None:
        return self.cap

    def add_programme(self, **more) -> dict[str, Any]:
        programme = {
            "id": str(uuid.uuid4()),
            "hub": "kalteng",
            "name": "Masker Gratis Palangka Raya",
            "funder": "Dinas Kesehatan",
            "status": "open",
            "products": [{"sku": "masker-kain", "unit_price": 5000}],
            "units_per_recipient": 2,
            "regencies": ["Kota Palangka Raya", "Kapuas"],
            "buyer_types": ["individual"],
            "selection": "lottery",
            **more,
        }
        self.programmes_known[programme["id"]] = programme
        return programme

    async def programmes(self, hub: str) -> list[dict[str, Any]]:
        if self.away:
            raise OrdersError(503, {"title": "away"})
        return [p for p in self.programmes_known.values() if p["hub"] == hub]

    async def programme(self, programme_id: uuid.UUID) -> dict[str, Any]:
        if self.away:
            raise OrdersError(503, {"title": "away"})
        if str(programme_id) not in self.programmes_known:
            raise OrdersError(404, {"title": "Not found"})
        return self.programmes_known[str(programme_id)]

    async def apply(
        self, programme_id: str, application: dict[str, Any], key: str, language: str
    ) -> dict[str, Any]:
        if self.away:
            raise OrdersError(503, {"title": "away"})
        if self.refuse_next is not None:
            refused, self.refuse_next = self.refuse_next, None
            raise refused
        self.applications.setdefault(key, (programme_id, application))
        return {
            "order_id": str(uuid.UUID(int=len(self.applications))),
            "code": f"PPPPP-{len(self.applications):05d}",
            "programme_id": programme_id,
            "status": "waiting",
            "quantity": application["quantity"],
        }
