"""An order's history: each change this service made or learned, appended in the transaction
that made it, for the operators (`GET /v1/orders/{order_id}/history`).

Orders placed before the history began have only what their own row kept: when they were
placed, cancelled and handed over (migration 0005).
"""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from shared.events import LotShare

Kind = Literal[
    "placed",
    "admitted",
    "allocated",
    "released",
    "expired",
    "cancelled",
    "fulfilled",
    "callback_sent",
    "callback_failed",
]


class HistoryEvent(BaseModel):
    """One change. `units`: ordered (placed), given (allocated), given back (released),
    forfeited (expired) or handed over now (fulfilled); null for the others. `detail` by kind:
    placed {priority_class, accept_partial, partner_id, and programme_id for a programme's
    application}; admitted {programme_id, and draw_id when a draw admitted it}; allocated
    {rule, lots, hold_until, allocated_total, policy_version}; released {lots}; expired {lots,
    hold_until}; cancelled {by, partner_id, and for_verified_phone: true when the key cancelled
    it for the buyer whose phone its door checked}; fulfilled {fulfilled_total}; callback_sent
    and callback_failed {callback_id, partner_id, previous_status, status, attempts,
    http_status, error}. `lots` are [{delivery_id, producer_id, quantity}]. A row kept from
    before the history began says `from_order_row: true`."""

    at: datetime
    kind: Kind
    units: int | None
    detail: dict[str, Any]


class OrderHistory(BaseModel):
    order_id: uuid.UUID
    events: list[HistoryEvent]


def as_stored(**detail: Any) -> Any:
    """An entry's `detail` as stored."""
    return to_jsonable_python(detail)


def lots(shares: tuple[LotShare, ...]) -> list[dict]:
    return [share.model_dump(mode="json") for share in shares]
