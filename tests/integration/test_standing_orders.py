"""Standing orders against the running stack (README "Standing orders"): the API with its
owners, a month of simulated days placing each occurrence once, even with an orders process
killed as one falls due, and an occurrence reaching the partner's callbacks.

The simulated days run in orders processes of the test's own whose standing-orders clock reads
a file the test writes (STANDING_ORDERS_CLOCK_FILE, a setting for tests only). Their series
start weeks ahead of the real date, so the stack's own orders process (on the real clock, a
second replica meanwhile) finds none of them due, and the test decides every day's turn.
"""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from services.console.accounts import Role
from services.orders.series import worker
from shared.db import create_pool
from tests.support.replicas import own_replica
from tests.support.stack import Stack
from tools.client import ApiError, HubClient, wait_until

SKU = "masker-kain"
AGENCY = {"name": "Dinas Kesehatan", "type": "bank", "region": "Palangka Raya"}
JAKARTA = ZoneInfo("Asia/Jakarta")


def ahead(days: int) -> date:
    return datetime.now(JAKARTA).date() + timedelta(days=days)


def series_body(hub: str, **rest) -> dict:
    return {
        "hub": hub,
        "sku": SKU,
        "quantity": 2,
        "buyer": AGENCY,
        "every": "day",
        "starts_on": ahead(30).isoformat(),
        "at": "08:00",
        "occurrences": 5,
        **rest,
    }


async def place_series(client: HubClient, body: dict) -> dict:
    return await client.call(
        "orders",
        "POST",
        "/v1/standing-orders",
        json=body,
        headers=client.to_orders(str(uuid.uuid4())),
    )


async def change(client: HubClient, series_id: str, act: str) -> dict:
    return await client.call(
        "orders",
        "POST",
        f"/v1/standing-orders/{series_id}/{act}",
        headers=client.to_orders(str(uuid.uuid4())),
    )


async def refused(call) -> ApiError:
    with pytest.raises(ApiError) as error:
        await call
    return error.value


async def occurrences(database: asyncpg.Connection, series_id: str) -> list[int]:
    rows = await database.fetch(
        "SELECT occurrence FROM orders.orders WHERE standing_order_id = $1 ORDER BY occurrence",
        uuid.UUID(series_id),
    )
    return [row["occurrence"] for row in rows]


def set_clock(file: Path, day: date, at: time = time(12)) -> None:
    moment = datetime.combine(day, at, tzinfo=JAKARTA).astimezone(UTC)
    file.write_text(moment.isoformat())


# --- the API ---------------------------------------------------------------------------------


async def test_the_owner_and_operators_pause_resume_and_cancel_others_see_404(
    client: HubClient, hub: str, partner: dict
):
    owner = client.as_partner(partner["api_key"])
    other = client.as_partner(
        (await client.create_partner(f"Lain {hub}", [hub], buyer_types=["bank"]))["api_key"]
    )
    placed = await place_series(owner, series_body(hub))
    assert placed["status"] == "active" and placed["next_occurrence"] == 1
    assert placed["timezone"] == "Asia/Jakarta"
    assert placed["next_due"] == f"{ahead(30).isoformat()}T01:00:00Z"
    series_id = placed["id"]

    for act in ("pause", "resume", "cancel"):
        error = await refused(change(other, series_id, act))
        assert error.status == 404, act
    unknown = await refused(change(owner, str(uuid.uuid4()), "pause"))
    assert (unknown.status, unknown.body["type"]) == (404, "/problems/not-found")
    hidden = await refused(
        other.call("orders", "GET", f"/v1/standing-orders/{series_id}", headers=other.to_orders())
    )
    assert (hidden.status, hidden.body["type"], hidden.body["title"]) == (
        404,
        unknown.body["type"],
        unknown.body["title"],
    )
    assert (await other.call("orders", "GET", "/v1/standing-orders", headers=other.to_orders()))[
        "standing_orders"
    ] == []

    assert (await change(owner, series_id, "pause"))["status"] == "paused"
    assert (await change(owner, series_id, "pause"))["status"] == "paused"  # again: no change
    assert (await change(client, series_id, "resume"))["status"] == "active"  # the operator
    read = await owner.call(
        "orders", "GET", f"/v1/standing-orders/{series_id}", headers=owner.to_orders()
    )
    assert read["status"] == "active" and read["placed"] == []
    listed = await owner.call("orders", "GET", "/v1/standing-orders", headers=owner.to_orders())
    assert [s["id"] for s in listed["standing_orders"]] == [series_id]

    assert (await change(owner, series_id, "cancel"))["status"] == "cancelled"
    ended = await refused(change(owner, series_id, "resume"))
    assert (ended.status, ended.body["type"]) == (409, "/problems/standing-order-ended")
    assert (await change(owner, series_id, "cancel"))["status"] == "cancelled"


async def test_bad_series_are_refused_naming_the_field(client: HubClient, hub: str, partner: dict):
    owner = client.as_partner(partner["api_key"])
    for body, field in (
        ({"occurrences": None}, "ends_on"),  # neither an end date nor a count
        ({"ends_on": ahead(1).isoformat()}, "ends_on"),  # ends before it starts
        ({"ends_on": "2101-01-01"}, "ends_on"),
        ({"starts_on": ahead(-2).isoformat()}, "starts_on"),
        ({"every": "fortnight"}, "every"),
        ({"at": "25:00"}, "at"),
        ({"occurrences": 0}, "occurrences"),
        ({"sku": "tidak-ada"}, "sku"),
    ):
        error = await refused(place_series(owner, series_body(hub, **body)))
        assert error.status == 422, body
        assert any(e["field"].startswith(field) for e in error.body["errors"]), error.body
    elsewhere = await refused(place_series(owner, series_body("hub-elsewhere")))
    assert elsewhere.status == 403
    unsigned = await refused(
        owner.call(
            "orders",
            "POST",
            "/v1/standing-orders",
            json=series_body(hub),
            headers=owner.to_orders(),
        )
    )
    assert unsigned.status == 400 or unsigned.status == 428


# --- a month of simulated days ---------------------------------------------------------------


async def test_a_month_of_days_places_each_occurrence_once_even_when_killed_as_one_falls_due(
    stack: Stack,
    client: HubClient,
    hub: str,
    partner: dict,
    database: asyncpg.Connection,
    tmp_path: Path,
):
    owner = client.as_partner(partner["api_key"])
    start = ahead(40)
    placed = await place_series(
        owner, series_body(hub, starts_on=start.isoformat(), occurrences=30)
    )
    clock = tmp_path / "now"
    set_clock(clock, start - timedelta(days=1))
    env = {"STANDING_ORDERS_CLOCK_FILE": str(clock)}
    (tmp_path / "second").mkdir()
    # Killed (SIGKILL, both replicas) as the day's occurrence falls due: at once, or a little
    # into the replicas' ticks (every 0.2 s in the stack's settings), mid-transaction or not.
    kills = {9: 0.0, 10: 0.05, 11: 0.1, 20: 0.15, 21: 0.2}
    async with (
        own_replica(stack, "orders", tmp_path, env) as first,
        own_replica(stack, "orders", tmp_path / "second", env) as second,
    ):
        for day in range(30):
            set_clock(clock, start + timedelta(days=day))
            if day in kills:
                await asyncio.sleep(kills[day])
                first.kill()
                second.kill()
                first.start()
                second.start()
                await asyncio.gather(first.wait_ready(), second.wait_ready())
            made = await wait_until(
                lambda day=day: _made_at_least(database, placed["id"], day + 1),
                what=f"occurrence {day + 1}",
            )
            assert made == list(range(1, day + 2)), "each once, none ahead of its day"

    read = await owner.call(
        "orders", "GET", f"/v1/standing-orders/{placed['id']}", headers=owner.to_orders()
    )
    assert read["status"] == "finished" and read["next_due"] is None
    assert [o["number"] for o in read["placed"]] == list(range(1, 31))
    orders = [await owner.order(o["order_id"]) for o in read["placed"][:3]]
    assert {o["standing_order_id"] for o in orders} == {placed["id"]}
    assert [o["quantity"] for o in orders] == [2, 2, 2]
    # Each one's history says placed once, and its order.placed reached the allocator's queue.
    ids = [uuid.UUID(o["order_id"]) for o in read["placed"]]
    placed_entries = await database.fetchval(
        "SELECT count(*) FROM orders.order_history WHERE kind = 'placed' AND order_id = ANY($1)",
        ids,
    )
    assert placed_entries == 30
    await wait_until(
        lambda: _queued(database, ids, 30), what="every occurrence in the allocator's queue"
    )


async def _queued(database: asyncpg.Connection, ids: list[uuid.UUID], count: int) -> bool:
    queued = "SELECT count(*) FROM allocator.queue WHERE order_id = ANY($1)"
    return await database.fetchval(queued, ids) == count


async def _made_at_least(database, series_id: str, count: int) -> list[int] | None:
    made = await occurrences(database, series_id)
    return made if len(made) >= count else None


async def test_a_paused_week_is_skipped_not_made_up(
    stack: Stack,
    client: HubClient,
    hub: str,
    partner: dict,
    database: asyncpg.Connection,
    tmp_path: Path,
):
    owner = client.as_partner(partner["api_key"])
    start = ahead(50)
    placed = await place_series(
        owner, series_body(hub, starts_on=start.isoformat(), occurrences=14)
    )
    clock = tmp_path / "now"
    set_clock(clock, start)
    async with own_replica(
        stack, "orders", tmp_path, {"STANDING_ORDERS_CLOCK_FILE": str(clock)}
    ) as own:
        await wait_until(lambda: _made_at_least(database, placed["id"], 1), what="the first")
        # Resumed on the replica whose clock the test writes.
        as_of_own = replace(owner, urls={**owner.urls, "orders": own.url})
        await change(as_of_own, placed["id"], "pause")
        set_clock(clock, start + timedelta(days=7))
        resumed = await change(as_of_own, placed["id"], "resume")
        assert resumed["next_occurrence"] == 9  # day 8 at 08:00, after the resume at 12:00
        set_clock(clock, start + timedelta(days=8))
        made = await wait_until(
            lambda: _made_at_least(database, placed["id"], 2), what="the one after the pause"
        )
        assert made == [1, 9]


# --- the worker in this process: replicas racing, a crash before the commit ---------------------


async def test_racing_runs_and_a_failed_one_leave_each_occurrence_once(
    box, client: HubClient, hub: str, partner: dict, database: asyncpg.Connection, monkeypatch
):
    owner = client.as_partner(partner["api_key"])
    start = ahead(60)
    placed = await place_series(owner, series_body(hub, starts_on=start.isoformat()))
    pool = await create_pool(box.database_url, "orders")
    try:
        day_three = datetime.combine(start + timedelta(days=2), time(12), tzinfo=JAKARTA)

        async def fail(*_):
            raise asyncpg.PostgresError("the process died before the commit")

        # The orders are inserted, then the run fails before its commit: nothing stays.
        with monkeypatch.context() as patched:
            patched.setattr(worker.series_store, "mark_occurrences", fail)
            assert await worker.run_due(pool, day_three) == 0
        assert await occurrences(database, placed["id"]) == []

        made = await asyncio.gather(*(worker.run_due(pool, day_three) for _ in range(6)))
        assert await occurrences(database, placed["id"]) == [1, 2, 3]
        assert sum(made) >= 3  # other tests' series may be due too; ours were made once
    finally:
        await pool.close()


# --- the partner's callbacks -----------------------------------------------------------------


async def test_an_occurrence_reaches_the_partners_callbacks(
    stack: Stack, client: HubClient, hub: str, partners_called_back, tmp_path: Path
):
    agency = await partners_called_back()
    start = ahead(70)
    placed = await place_series(
        agency.client, series_body(hub, starts_on=start.isoformat(), occurrences=2)
    )
    clock = tmp_path / "now"
    set_clock(clock, start)
    env = {"STANDING_ORDERS_CLOCK_FILE": str(clock)}
    async with own_replica(stack, "orders", tmp_path, env):
        read = await wait_until(
            lambda: _with_placed(agency.client, placed["id"]), what="the first occurrence"
        )
    [first] = read["placed"]
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, 2)

    [allocated] = await agency.endpoint.wait_for(1, first["order_id"])
    assert allocated["previous_status"] == "queued"
    assert allocated["order"]["status"] == "allocated"
    assert allocated["order"]["standing_order_id"] == placed["id"]
    assert allocated["order"]["occurrence"] == 1


async def _with_placed(partner: HubClient, series_id: str) -> dict | None:
    path = f"/v1/standing-orders/{series_id}"
    read = await partner.call("orders", "GET", path, headers=partner.to_orders())
    return read if read["placed"] else None


# --- the console -----------------------------------------------------------------------------


async def test_the_console_lists_a_series_shows_its_page_and_staff_pause_it(
    console_as, client: HubClient, hub: str, partner: dict
):
    owner = client.as_partner(partner["api_key"])
    placed = await place_series(owner, series_body(hub, every="week", occurrences=4))
    viewer = await console_as(Role.viewer)
    listed = await viewer.page("/pesanan-berulang")
    assert f'href="/pesanan-berulang/{placed["id"]}"' in listed and "setiap minggu" in listed
    page = await viewer.page(f"/pesanan-berulang/{placed['id']}")
    assert "Dinas Kesehatan" in page and "Belum ada." in page
    assert f'action="/pesanan-berulang/{placed["id"]}/pause"' not in page  # a viewer reads

    staff = await console_as(Role.staff)
    page = await staff.page(f"/pesanan-berulang/{placed['id']}")
    paused = await staff.submit(f"/pesanan-berulang/{placed['id']}/pause", {})
    assert paused.status == 303
    page = await staff.page(paused.headers["Location"])
    assert 'data-figure="status">dijeda<' in page
    read = await owner.call(
        "orders", "GET", f"/v1/standing-orders/{placed['id']}", headers=owner.to_orders()
    )
    assert read["status"] == "paused"


async def test_a_series_runs_on_its_hubs_time_zone_from_hub_registered(client: HubClient):
    hub = f"wita-{uuid.uuid4().hex[:8]}"
    await client.open_hub(hub, timezone="Asia/Makassar")  # UTC+8
    start = ahead(30)
    placed = await place_series(client, series_body(hub, starts_on=start.isoformat()))
    assert placed["timezone"] == "Asia/Makassar"
    assert placed["next_due"] == f"{start.isoformat()}T00:00:00Z"  # 08:00 WITA


async def test_the_menu_marks_standing_orders_not_orders(console_as, hub: str):
    page = await (await console_as(Role.viewer)).page("/pesanan-berulang")
    assert '<a href="/pesanan-berulang" aria-current="page">' in page
    assert '<a href="/pesanan" aria-current="page">' not in page
