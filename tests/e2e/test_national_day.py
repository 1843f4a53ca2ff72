"""The national day (bench/national_day.py) at a tiny scale, through the same code as the
benchmark, on the tests' stack: so that the benchmark's day and its checks cannot rot."""

import uuid

import asyncpg

from bench.national_day import check, national_day, play, register, settle
from tests.support.stack import Stack
from tools.client import HubClient
from tools.sandbox import Sandbox


async def test_a_small_national_day_settles_fair_at_every_hub(
    client: HubClient, stack: Stack, box: Sandbox
) -> None:
    plan = national_day(orders=300, hubs=3)
    zones = {province.timezone for province in plan.provinces}
    assert zones == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}, "WIB, WITA and WIT"
    hubs = await register(client, plan, suffix=uuid.uuid4().hex[:6])
    for code, province in zip(hubs.codes, plan.provinces, strict=True):
        assert (await client.call("intake", "GET", f"/v1/hubs/{code}"))["timezone"] == (
            province.timezone
        )
    # Paced far faster than the stack answers: a few requests open at a time, as it keeps up.
    played = await play(client, plan, hubs, rate=10_000, in_flight=8)
    assert (played.orders, played.lots) == (len(plan.orders), len(plan.lots))

    conn = await asyncpg.connect(box.database_url)
    try:
        units = sum(plan.expected().values())
        await settle(conn, box.amqp_url, hubs.codes, played, units)
        checked = await check(conn, plan, hubs.codes)
    finally:
        await conn.close()
    demand = sum(order.quantity for order in plan.orders)
    assert 0 < checked["units_given"] < demand, "more was ordered than delivered"
    assert checked["orders_left_short"] > 0, "some buyers wait"
    assert sorted(checked["hubs"]) == sorted(hubs.codes)
