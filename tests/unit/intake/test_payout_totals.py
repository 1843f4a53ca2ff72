"""A producer's payout totals: all their sales, and the part programmes paid for."""

import uuid
from datetime import date

from services.intake.api.reports import PayoutRow, totals_by_producer

SARI, BUDI, PROGRAMME = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def row(producer: uuid.UUID, units: int, price: int, programme: uuid.UUID | None = None):
    return PayoutRow(
        producer_id=producer,
        name="Ibu Sari" if producer == SARI else "Pak Budi",
        phone="+6281234567890",
        regency="Kapuas",
        day=date(2026, 11, 28),
        sku="masker-kain",
        kind="sale" if programme is None else "programme",
        programme_id=programme,
        units_sold=units,
        unit_price=price,
        earnings=units * price,
    )


def test_programme_sales_count_in_the_totals_and_apart_from_them():
    totals = totals_by_producer(
        [
            row(SARI, 10, 5000),
            row(SARI, 4, 4500, PROGRAMME),
            row(SARI, -1, 4500, PROGRAMME),  # returned
            row(BUDI, 2, 5000),
        ]
    )
    assert [
        (t.name, t.units_sold, t.earnings, t.programme_units_sold, t.programme_earnings)
        for t in totals
    ] == [("Ibu Sari", 13, 63_500, 3, 13_500), ("Pak Budi", 2, 10_000, 0, 0)]
