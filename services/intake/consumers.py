"""Intake keeps each lot's sold count, and its sales per day, from the allocator's events, for
the producers' view and their payouts."""

from collections.abc import Sequence

import asyncpg

from services.intake import store
from services.intake.domain import units_by_lot
from shared.consumer import Event, EventHandlers

# What each event does to its lots' sold units. Held units nobody collected went back to their
# lots (expired): they are no longer sold, from the day they went back; the day they sold keeps
# its sale.
SIGNS = {"order.allocated": +1, "order.released": -1, "order.expired": -1}


async def handle_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """The whole batch in one statement: each event only adds to (or takes from) its lots'
    counts, on its own day, and additions commute, so neither their order nor a batch's other
    events change what one event adds."""
    await store.add_sold(
        conn,
        (
            (delivery_id, units, event.envelope.occurred_at)
            for event in events
            for delivery_id, units in units_by_lot(
                event.payload.lots, SIGNS[event.envelope.type]
            ).items()
        ),
    )


handlers = EventHandlers(frozenset(SIGNS), handle_batch)
