"""Each producer's day per product, kept as events come, for the daily summary."""

import uuid
from dataclasses import dataclass, fields
from datetime import date

import asyncpg

from services.notifier.store.columns import columns

# A batch's additions to producers' days, one row per day (summed before).
PRODUCER_DAYS_ADD = """
INSERT INTO producer_days AS d (hub, sku, day, producer_id, delivered, accepted, rejected, sold,
                                returned, earned)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::uuid[], $5::int[], $6::int[],
                     $7::int[], $8::int[], $9::int[], $10::bigint[])
ON CONFLICT (hub, sku, day, producer_id) DO UPDATE
SET delivered = d.delivered + excluded.delivered, accepted = d.accepted + excluded.accepted,
    rejected = d.rejected + excluded.rejected, sold = d.sold + excluded.sold,
    returned = d.returned + excluded.returned, earned = d.earned + excluded.earned
"""
PRODUCER_DAYS = """
SELECT producer_id, delivered, accepted, rejected, sold, returned, earned FROM producer_days
WHERE hub = $1 AND sku = $2 AND day = $3
ORDER BY producer_id
"""


@dataclass
class DayCounts:
    """What a producer's day of one product adds up to, or what an event adds to it."""

    delivered: int = 0
    accepted: int = 0
    rejected: int = 0
    sold: int = 0
    returned: int = 0
    earned: int = 0  # rupiah

    def add(self, more: "DayCounts") -> None:
        for field in COUNTS:
            setattr(self, field, getattr(self, field) + getattr(more, field))


COUNTS = tuple(field.name for field in fields(DayCounts))


@dataclass(frozen=True)
class ProducerDay:
    producer_id: uuid.UUID
    counts: DayCounts


class ProducerDays:
    """A batch's additions, summed per day; a read writes them first, so it counts them."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._held: dict[tuple[str, str, date, uuid.UUID], DayCounts] = {}

    def add(self, hub: str, sku: str, day: date, producer_id: uuid.UUID, counts: DayCounts) -> None:
        self._held.setdefault((hub, sku, day, producer_id), DayCounts()).add(counts)

    async def of(self, hub: str, sku: str, day: date) -> list[ProducerDay]:
        """Every producer's day of a product, in producer order."""
        await self.flush()
        rows = await self._conn.fetch(PRODUCER_DAYS, hub, sku, day)
        return [
            ProducerDay(row["producer_id"], DayCounts(*(row[c] for c in COUNTS))) for row in rows
        ]

    async def flush(self) -> None:
        held, self._held = self._held, {}
        if held:
            rows = [(*key, *(getattr(counts, c) for c in COUNTS)) for key, counts in held.items()]
            await self._conn.execute(PRODUCER_DAYS_ADD, *columns(rows, 10))
