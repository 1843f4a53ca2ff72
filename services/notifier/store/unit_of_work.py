"""The unit of work of the notifier's consumer: what one batch of events writes, held until its
last event and then written a kind at a time, hubs and products, recipients, messages, and
producers' days each in one statement. A statement per message was most of the notifier's work
per order.

A read of what is held writes that kind first: a product learned in the batch names the messages
after it, and a daily summary counts what its own batch added."""

import asyncpg

from services.notifier.store.messages import Messages
from services.notifier.store.places import Places
from services.notifier.store.producer_days import ProducerDays
from services.notifier.store.recipients import Recipients


class UnitOfWork:
    """Opened on the batch's connection, inside its transaction (the consumer's)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.places = Places(conn)
        self.recipients = Recipients(conn)
        self.messages = Messages(conn)
        self.producer_days = ProducerDays(conn)

    async def flush(self) -> None:
        """Write what is held, a statement per kind, and hold nothing. Recipients before
        messages: one statement wakes the router, and the other's rows are there by commit."""
        await self.places.flush()
        await self.recipients.flush()
        await self.messages.flush()
        await self.producer_days.flush()
