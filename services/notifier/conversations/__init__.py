"""Conversations by chat (issue 20): the answer to each message a person writes to the hub on
WhatsApp or by SMS. The inbound worker (`services.notifier.inbound`) calls `answer` once per
message, in the transaction that marks the message handled.

- `keywords`: what a message asks for (pure);
- `state`: where a number's conversation stands, the flood and help limits (pure);
- `replies`, `texts`: what the hub answers, in both languages (pure);
- `handling`: the use case, over the ports `ChatStore` and `OrdersApi`;
- `store`: the notifier's records (`ChatStore`); `orders_api`: the orders service (`OrdersApi`).

`running` sets up the orders client once, in the app's cleanup context; `answer` uses it.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg

from services.notifier.conversations.handling import Inbound, OrdersApi, Rules, handle
from services.notifier.conversations.orders_api import NoOrders, OrdersHttp
from services.notifier.conversations.store import ChatRecords


class _Wired:
    orders: OrdersApi = NoOrders()
    rules: Rules = Rules()


async def answer(uow_or_conn: Any, inbound: Inbound) -> None:
    """Answers one inbound message on the handling's connection (or a unit of work holding it
    as `conn`), inside its transaction; the replies go after commit."""
    conn: asyncpg.Connection = getattr(uow_or_conn, "conn", uow_or_conn)
    await handle(ChatRecords(conn), _Wired.orders, inbound, _Wired.rules, datetime.now(UTC))


async def running(
    *,
    orders_url: str,
    allocator_url: str,
    orders_key: str | None,
    site: str,
    most_per_minute: int,
    timeout_seconds: float,
    hubs: frozenset[str] = frozenset(),
) -> AsyncIterator[None]:
    """The orders client `answer` uses, for the app's lifetime (none without a key)."""
    _Wired.rules = Rules(site=site, most_per_minute=most_per_minute, hubs=hubs)
    if not orders_key:
        _Wired.orders = NoOrders()
        yield
        return
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        _Wired.orders = OrdersHttp(session, orders_url, orders_key, allocator_url)
        try:
            yield
        finally:
            _Wired.orders = NoOrders()
