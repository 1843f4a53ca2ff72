"""An order's history (history.py): appended in the transaction of each change."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import orjson

from services.orders.history import HistoryEvent, Kind, as_stored

if TYPE_CHECKING:
    from services.orders.store.unit_of_work import UnitOfWork

HISTORY_OF_ORDER = """
SELECT at, kind, units, detail FROM order_history WHERE order_id = $1 ORDER BY at, id
"""
# Many entries at once, in the order given (the unit of work's flush).
HISTORY_INSERT = """
INSERT INTO order_history (order_id, at, kind, units, detail)
SELECT h.order_id, h.at, h.kind, h.units, h.detail::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::int[], $5::text[])
     WITH ORDINALITY AS h(order_id, at, kind, units, detail, i)
ORDER BY h.i
"""


async def of_order(conn: asyncpg.Connection, order_id: uuid.UUID) -> list[HistoryEvent]:
    rows = await conn.fetch(HISTORY_OF_ORDER, order_id)
    return [HistoryEvent.model_validate(dict(row)) for row in rows]


class HistoryRows:
    """The unit of work's history entries, held until flushed, then written in order."""

    def __init__(self, unit: "UnitOfWork") -> None:
        self._unit = unit
        self._entries: list[tuple[uuid.UUID, datetime, str, int | None, str]] = []

    def add(
        self, order_id: uuid.UUID, at: datetime, kind: Kind, units: int | None = None, **detail: Any
    ) -> None:
        self._entries.append(
            (order_id, at, kind, units, orjson.dumps(as_stored(**detail)).decode())
        )

    def take(self) -> list[list] | None:
        """What is held, as HISTORY_INSERT's columns (None: nothing), and hold nothing."""
        entries, self._entries = self._entries, []
        return [[entry[n] for entry in entries] for n in range(5)] if entries else None
