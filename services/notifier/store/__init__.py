"""Every SQL statement of the notifier, and its units of work (migrations apart).

- `unit_of_work.UnitOfWork`: what a consumed batch of events writes (places, recipients,
  messages, producers' days), a statement per kind at its end;
- `routes.RoutingWork`: the router's batch of messages waiting for a channel;
- `sends`: the senders' claims and their results, a statement per kind of result;
- `message_log`, `opt_outs`, `phone_codes`: what the HTTP API reads and writes;
- `inbound`, `whatsapp_statuses`: what the providers' webhooks record, and its workers' claims;
- `conversations.ChatRecords`: a conversation's records, in its inbound message's transaction.

The use cases (`services.notifier.handlers`) are typed against the protocols below, which the
real units of work and the tests' fakes both implement."""

import uuid
from datetime import date
from typing import Protocol

from services.notifier.store.attempts import Attempt
from services.notifier.store.messages import Message
from services.notifier.store.places import Place
from services.notifier.store.producer_days import DayCounts, ProducerDay
from services.notifier.store.recipients import Recipient
from shared.events import Envelope


class PlacesRepository(Protocol):
    def add_hub(self, code: str, name: str, timezone: str) -> None: ...
    def add_product(self, hub: str, sku: str, name: str, unit_price: int | None) -> None: ...
    async def get(self, hub: str, sku: str) -> Place: ...


class RecipientsRepository(Protocol):
    def add(self, recipient: Recipient) -> None: ...


class MessagesRepository(Protocol):
    def add(self, message: Message) -> None: ...
    def add_up(self, message: Message, sums: tuple[str, ...], over: tuple = ()) -> None: ...


class ProducerDaysRepository(Protocol):
    def add(
        self, hub: str, sku: str, day: date, producer_id: uuid.UUID, counts: DayCounts
    ) -> None: ...
    async def of(self, hub: str, sku: str, day: date) -> list[ProducerDay]: ...


class AbstractUnitOfWork(Protocol):
    """What the event handlers read and write."""

    places: PlacesRepository
    recipients: RecipientsRepository
    messages: MessagesRepository
    producer_days: ProducerDaysRepository


class AbstractRoutingWork(Protocol):
    """What routing one message reads and writes."""

    def route(self, message_id: uuid.UUID, channel: str, address: str, language: str) -> None: ...
    def end(self, message_id: uuid.UUID, status: str, why: str) -> None: ...
    def add_attempt(self, attempt: Attempt) -> None: ...
    def publish(self, event: Envelope) -> None: ...
