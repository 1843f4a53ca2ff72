"""Conversations by chat (issue 20): what the hub answers to each message a person writes to it
on WhatsApp or by SMS (keywords, STATUS, BATAL, PESAN).

- `keywords`: what a message asks for (pure);
- `state`: where a number's conversation stands, the flood and help limits (pure);
- `replies`, `texts`: what the hub answers, in both languages (pure);
- `handling`: the use case, over the ports `ChatStore` and `OrdersApi`;
- `store`: the notifier's records (`ChatStore`); `orders_api`: the orders service (`OrdersApi`).

The contract with the inbound worker (`services/notifier/inbound/worker.py`):

- `Conversations.answer(conn, inbound)` is called once per message a person sent (WhatsApp or
  SMS), after the webhook that brought it was recorded and answered: never inside the
  provider's request.
- `conn` is an asyncpg connection in a transaction the worker opened; the same transaction
  marks the message handled. Everything `answer` writes with `conn` commits with that mark, or
  not at all. Whatever it does outside `conn` (an HTTP call) is not undone by a rollback: the
  orders service's writes carry an Idempotency-Key drawn from the message's id.
- A number's messages come one at a time, oldest first (by when they were recorded), whichever
  replica takes them; different numbers' may be answered at the same time.
- The same message comes again only if its transaction did not commit: `answer` raised (the
  worker logs it and tries again later, giving up after a few failures), or the process or the
  database went away before the commit. A webhook Meta or Infobip sends twice is recorded once.
- `inbound.phone` is E.164 with +: log it only masked (`channels.addresses.mask_address`).

`running` opens the conversations with their orders client for the app's lifetime.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
import asyncpg

from services.notifier.conversations.handling import OrdersApi, Rules, handle
from services.notifier.conversations.orders_api import NoOrders, OrdersHttp
from services.notifier.inbound.notifications import InboundMessage
from services.notifier.store.conversations import ChatRecords


class Conversations:
    """What answers the messages people write, for the app's lifetime: the orders client and
    the rules. `answer` is what the inbound worker calls, per message."""

    def __init__(self, orders: OrdersApi, rules: Rules) -> None:
        self.orders = orders
        self.rules = rules

    async def answer(self, conn: asyncpg.Connection, inbound: InboundMessage) -> None:
        """Answers one message a person sent, on the worker's connection and in its
        transaction; the replies are recorded as messages, sent after commit."""
        await handle(ChatRecords(conn), self.orders, inbound, self.rules, datetime.now(UTC))


@asynccontextmanager
async def running(
    *,
    orders_url: str,
    allocator_url: str,
    orders_key: str | None,
    site: str,
    most_per_minute: int,
    timeout_seconds: float,
    hubs: frozenset[str] = frozenset(),
) -> AsyncIterator[Conversations]:
    """The conversations with their orders client (none without a key), open while in use."""
    rules = Rules(site=site, most_per_minute=most_per_minute, hubs=hubs)
    if not orders_key:
        yield Conversations(NoOrders(), rules)
        return
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield Conversations(OrdersHttp(session, orders_url, orders_key, allocator_url), rules)
