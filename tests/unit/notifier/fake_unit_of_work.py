"""The notifier's units of work in dicts and lists: the use cases driven with no database."""

import uuid
from datetime import date

from services.notifier.consumers import USE_CASES
from services.notifier.dates import DEFAULT_TIMEZONE
from services.notifier.store.attempts import Attempt
from services.notifier.store.messages import HeldMessages, Message
from services.notifier.store.places import Hub, Place, Product
from services.notifier.store.producer_days import DayCounts, ProducerDay
from services.notifier.store.recipients import Recipient
from shared.events import Envelope


class FakePlaces:
    def __init__(self) -> None:
        self.hubs: dict[str, Hub] = {}
        self.products: dict[tuple[str, str], Product] = {}

    def add_hub(self, code: str, name: str, timezone: str) -> None:
        self.hubs[code] = Hub(name, timezone)

    def add_product(self, hub: str, sku: str, name: str, unit_price: int | None) -> None:
        self.products[hub, sku] = Product(name, unit_price)

    async def get(self, hub: str, sku: str) -> Place:
        return Place(
            self.products.get((hub, sku), Product(sku, None)),
            self.hubs.get(hub, Hub(hub, DEFAULT_TIMEZONE)),
        )


class FakeRecipients(dict[str, Recipient]):
    def add(self, recipient: Recipient) -> None:
        self[recipient.key] = recipient


class FakeMessages(HeldMessages):
    """What the real unit of work holds and writes (`HeldMessages`: the first of each key, a
    batch's units of a producer added up), kept here."""

    def to(self, recipient_key: str) -> list[Message]:
        return [m for m in self if m.recipient_key == recipient_key]


class FakeProducerDays(dict[tuple, DayCounts]):
    def add(self, hub: str, sku: str, day: date, producer_id: uuid.UUID, counts: DayCounts) -> None:
        self.setdefault((hub, sku, day, producer_id), DayCounts()).add(counts)

    async def of(self, hub: str, sku: str, day: date) -> list[ProducerDay]:
        return [
            ProducerDay(key[3], counts)
            for key, counts in sorted(self.items(), key=lambda item: str(item[0][3]))
            if key[:3] == (hub, sku, day)
        ]


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.places = FakePlaces()
        self.recipients = FakeRecipients()
        self.messages = FakeMessages()
        self.producer_days = FakeProducerDays()
        self.flushed = False

    async def flush(self) -> None:
        self.flushed = True

    async def handle(self, *events: Envelope) -> None:
        """The events as one batch, each by its use case, as the consumer hands them over."""
        for event in events:
            await USE_CASES[event.type](self, event, event.read())
        await self.flush()


class FakeRoutingWork:
    def __init__(self) -> None:
        self.routed: dict[uuid.UUID, tuple[str, str, str]] = {}
        self.ended: dict[uuid.UUID, tuple[str, str]] = {}
        self.attempts: list[Attempt] = []
        self.published: list[Envelope] = []

    def route(self, message_id: uuid.UUID, channel: str, address: str, language: str) -> None:
        self.routed[message_id] = (channel, address, language)

    def end(self, message_id: uuid.UUID, status: str, why: str) -> None:
        self.ended[message_id] = (status, why)

    def add_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def publish(self, event: Envelope) -> None:
        self.published.append(event)
