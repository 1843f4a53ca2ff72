"""What producers sold and earned, per hub-local day: one producer's days, and a hub's payouts
over a date range. Counted from the allocator's events as they come (handlers.sales);
earnings are units at the product's price, in whole rupiah, or for a programme's sales (free
masks a programme pays for: `kind` "programme") at the programme's price, on rows of their own
and in totals of their own."""

import uuid
from datetime import date
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from services.intake.domain import MAX_REPORT_DAYS, days_in, last_days
from services.intake.handlers.problems import PRODUCER, unknown_hub
from services.intake.models import IsoDate, Query
from services.intake.store import hubs, sales
from shared.fields import HubCode
from shared.openapi import documented
from shared.problems import FieldError, Text, invalid, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()


class DaysQuery(Query):
    """Both ends included; left out, the 30 days up to today at the hub."""

    start: IsoDate | None = Field(default=None, alias="from")
    end: IsoDate | None = Field(default=None, alias="to")


class PayoutsQuery(Query):
    hub: HubCode
    start: IsoDate = Field(alias="from")
    end: IsoDate = Field(alias="to")


class Answer(BaseModel):
    """Fields named by Python keywords (`from`) go out under their aliases."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)


# "sale": bought by its buyer, paid at the product's price; "programme": given through a
# free-mask programme, paid by it at its price per unit. Named: one schema in the documents.
SaleKind = TypeAliasType("SaleKind", Literal["sale", "programme"])


class ProducerDay(BaseModel):
    day: date
    sku: str
    kind: SaleKind
    programme_id: uuid.UUID | None  # the programme that pays, for a programme's sales
    units_sold: int  # net of units returned that day: may be negative
    unit_price: int
    earnings: int


class ProducerDays(Answer):
    producer_id: uuid.UUID
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    days: list[ProducerDay]


class PayoutRow(ProducerDay):
    producer_id: uuid.UUID
    name: str
    phone: str
    regency: str


class PayoutTotal(BaseModel):
    """All of a producer's sales (`units_sold`, `earnings`), and the part of them that
    programmes paid for."""

    producer_id: uuid.UUID
    name: str
    units_sold: int
    earnings: int
    programme_units_sold: int
    programme_earnings: int


class Payouts(Answer):
    hub: str
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    rows: list[PayoutRow]
    totals: list[PayoutTotal]


@routes.get("/v1/producers/{id}/days")
@documented(
    operation_id="getProducerDays",
    summary=Text(
        "Unit terjual dan pendapatan produsen per hari", "A producer's units sold and earnings"
    ),
    query=DaysQuery,
    answers={200: ProducerDays},
    auth="operator",
    path={"id": uuid.UUID},
)
async def get_producer_days(request: web.Request, query: DaysQuery) -> web.Response:
    producer_id = uuid_in_path(request, "id", PRODUCER)
    async with request.app[DATABASE].acquire() as conn:
        today = await sales.producer_today(conn, producer_id)
        if today is None:
            raise not_found(PRODUCER, producer_id)
        end = query.end or today
        start = query.start or last_days(end)[0]
        check_range(start, end)
        rows = await sales.producer_days(conn, producer_id, start, end)
    days = [ProducerDay(**_with_earnings(row)) for row in rows]
    return json_response(ProducerDays(producer_id=producer_id, start=start, end=end, days=days))


@routes.get("/v1/payouts")
@documented(
    operation_id="getPayouts",
    summary=Text(
        "Pembayaran produsen hub per hari dalam rentang tanggal",
        "A hub's producers' payouts per day over a date range",
    ),
    query=PayoutsQuery,
    answers={200: Payouts},
    auth="operator",
)
async def get_payouts(request: web.Request, query: PayoutsQuery) -> web.Response:
    """Every producer of the hub who sold in the range, by name, then day and product; with
    each producer's totals."""
    check_range(query.start, query.end)
    async with request.app[DATABASE].acquire() as conn:
        if await hubs.one(conn, query.hub) is None:
            raise unknown_hub(query.hub)
        rows = await sales.hub_payouts(conn, query.hub, query.start, query.end)
    payouts = [PayoutRow(**_with_earnings(row)) for row in rows]
    return json_response(
        Payouts(
            hub=query.hub,
            start=query.start,
            end=query.end,
            rows=payouts,
            totals=totals_by_producer(payouts),
        )
    )


def check_range(start: date, end: date) -> None:
    """422 unless `from` is on or before `to`, and the range is at most a year."""
    if start > end:
        raise invalid(
            FieldError(
                "from", "range_reversed", Text("harus sebelum atau sama dengan to", "is after to")
            )
        )
    if days_in(start, end) > MAX_REPORT_DAYS:
        raise invalid(
            FieldError(
                "to",
                "range_too_long",
                Text(
                    f"paling banyak {MAX_REPORT_DAYS} hari sejak from",
                    f"at most {MAX_REPORT_DAYS} days from from",
                ),
            )
        )


def totals_by_producer(rows: list[PayoutRow]) -> list[PayoutTotal]:
    """Each producer's units and earnings over their rows, in the rows' order."""
    totals: dict[uuid.UUID, PayoutTotal] = {}
    for row in rows:
        total = totals.setdefault(
            row.producer_id,
            PayoutTotal(
                producer_id=row.producer_id,
                name=row.name,
                units_sold=0,
                earnings=0,
                programme_units_sold=0,
                programme_earnings=0,
            ),
        )
        total.units_sold += row.units_sold
        total.earnings += row.earnings
        if row.kind == "programme":
            total.programme_units_sold += row.units_sold
            total.programme_earnings += row.earnings
    return list(totals.values())


def _with_earnings(row) -> dict:
    return {
        **dict(row),
        "kind": "sale" if row["programme_id"] is None else "programme",
        "earnings": row["units_sold"] * row["unit_price"],
    }
