"""An order's history: each change this service made or learned, appended in the transaction
that made it, for the operators (`GET /v1/orders/{order_id}/history`).

Orders placed before the history began have only what their own row kept: when they were
placed, cancelled and handed over (migration 0005).
"""

import uuid
from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from shared.events import LotShare

Kind = Literal[
    "placed",
    "allocated",
    "released",
    "expired",
    "cancelled",
    "fulfilled",
    "callback_sent",
    "callback_failed",
]

HISTORY_ADD = """
INSERT INTO order_history (order_id, at, kind, units, detail) VALUES ($1, $2, $3, $4, $5)
"""
HISTORY_OF_ORDER = """
SELECT at, kind, units, detail FROM order_history WHERE order_id = $1 ORDER BY at, id
"""


class HistoryEvent(BaseModel):
    """One change. `units`: ordered (placed), given (allocated), given back (released),
    forfeited (expired) or handed over now (fulfilled); null for the others. `detail` by kind:
    placed {priority_class, accept_partial, partner_id}; allocated {rule, lots, hold_until,
    allocated_total, policy_version}; released {lots}; expired {lots, hold_until}; cancelled
    {by, partner_id}; fulfilled {fulfilled_total}; callback_sent and callback_failed
    {callback_id, partner_id, previous_status, status, attempts, http_status, error}. `lots`
    are [{delivery_id, producer_id, quantity}]. A row kept from before the history began says
    `from_order_row: true`."""

    at: datetime
    kind: Kind
    units: int | None
    detail: dict[str, Any]


class OrderHistory(BaseModel):
    order_id: uuid.UUID
    events: list[HistoryEvent]


async def add(
    conn: asyncpg.Connection,
    order_id: uuid.UUID,
    at: datetime,
    kind: Kind,
    units: int | None = None,
    **detail: Any,
) -> None:
    """Append to the history of an order of this service's, in the caller's transaction."""
    await conn.execute(HISTORY_ADD, order_id, at, kind, units, as_stored(**detail))


def as_stored(**detail: Any) -> Any:
    """An entry's `detail` as stored."""
    return to_jsonable_python(detail)


def lots(shares: tuple[LotShare, ...]) -> list[dict]:
    return [share.model_dump(mode="json") for share in shares]


async def of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[HistoryEvent]:
    rows = await conn.fetch(HISTORY_OF_ORDER, order_id)
    return [HistoryEvent.model_validate(dict(row)) for row in rows]
