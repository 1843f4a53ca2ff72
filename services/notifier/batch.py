"""What one batch of events writes, held until its last event and then written a kind at a
time: all its messages in one statement, all its producers' days in one, all its recipients in
one. A statement per message was most of the notifier's work per order.

The product and hub a message names are read once per batch; a product.listed or
hub.registered in the batch forgets what was read, so the events after it see the new names.
A read of what is held (the producers' days for a summary) writes it first."""

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.notifier import store
from shared.events import Envelope

DAY_COUNTS = ("delivered", "accepted", "rejected", "sold", "returned", "earned")


class Batch:
    """The unit of work a batch's handlers share, in the batch's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._places: dict[tuple[str, str], tuple[store.Product, store.Hub]] = {}
        self._messages: list[tuple] = []
        self._days: dict[tuple[str, str, date, uuid.UUID], list[int]] = {}
        self._recipients: dict[str, tuple] = {}

    async def product_at_hub(self, hub: str, sku: str) -> tuple[store.Product, store.Hub]:
        """The product as listed and its hub as registered (see `store.product_at_hub`)."""
        place = self._places.get((hub, sku))
        if place is None:
            place = self._places[hub, sku] = await store.product_at_hub(self.conn, hub, sku)
        return place

    async def product_name(self, hub: str, sku: str) -> str:
        product, _ = await self.product_at_hub(hub, sku)
        return product.name

    def forget_places(self) -> None:
        """A product or hub changed in this transaction: read them afresh."""
        self._places.clear()

    def add_message(
        self,
        cause: Envelope,
        *,
        recipient_key: str,
        template: str,
        params: dict[str, Any],
        order_id: uuid.UUID | None = None,
        producer_id: uuid.UUID | None = None,
    ) -> None:
        """One message per (event, recipient, purpose): a second is left out when written."""
        self._messages.append(
            (
                uuid.uuid4(),
                cause.id,
                cause.correlation_id,
                cause.hub,
                recipient_key,
                template,
                params,
                order_id,
                producer_id,
            )
        )

    def tally(self, hub: str, sku: str, day: date, producer_id: uuid.UUID, **counts: int) -> None:
        """Add to a producer's day, for the daily summary: `counts` of DAY_COUNTS."""
        totals = self._days.setdefault((hub, sku, day, producer_id), [0] * len(DAY_COUNTS))
        for name, value in counts.items():
            totals[DAY_COUNTS.index(name)] += value

    def add_recipient(
        self,
        key: str,
        kind: str,
        name: str,
        *,
        email: str | None,
        phone: str | None,
        language: str,
        channel: str | None,
        order_code: str | None = None,
    ) -> None:
        """A person to tell, or their new details: the batch's last word on a key stands, as
        when each was written in turn. A buyer's `order_code` names their order in messages."""
        self._recipients[key] = (
            key,
            kind,
            name,
            email and email.lower(),
            phone,
            language,
            channel,
            order_code,
        )

    async def producer_days(self, hub: str, sku: str, day: date) -> list[asyncpg.Record]:
        """Every producer's day for a product, with what this batch added to it."""
        await self.flush()
        return await self.conn.fetch(store.PRODUCER_DAYS, hub, sku, day)

    async def flush(self) -> None:
        """Write what is held, a statement per kind, and hold nothing."""
        recipients, self._recipients = list(self._recipients.values()), {}
        messages, self._messages = self._messages, []
        days, self._days = self._days, {}
        if recipients:
            await self.conn.execute(store.RECIPIENTS_UPSERT, *_columns(recipients, 8))
        if messages:
            await self.conn.execute(store.MESSAGES_INSERT, *_columns(messages, 9))
        if days:
            rows = [(*key, *counts) for key, counts in days.items()]
            await self.conn.execute(store.PRODUCER_DAYS_ADD, *_columns(rows, 10))


def _columns(rows: list[tuple], width: int) -> list[list]:
    """Rows as the column arrays `unnest` takes."""
    return [[row[n] for row in rows] for n in range(width)]
