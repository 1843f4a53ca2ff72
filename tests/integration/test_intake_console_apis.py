"""Intake's APIs for the operators' console, against the running stack: finding and correcting
producers (and the notifier hearing of it), their deliveries, sales per day and payouts,
material shortages, and producers imported from a file."""

import io
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection

from shared.events import Envelope, LotShare, OrderAllocated, OrderExpired
from tests.support.bus import EventTap, publish_event
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.refusals import row_counts
from tools.client import ApiError, HubClient, new_hub_code, wait_until

SKU = "masker-kain"
WIB = ZoneInfo("Asia/Jakarta")


def new_phone() -> str:
    """A mobile number of this test's own (E.164)."""
    return "+62812" + "".join(random.choices("0123456789", k=8))


def national(phone: str) -> str:
    """ "+6281234567890" as people write it: "0812 3456 7890"."""
    digits = "0" + phone.removeprefix("+62")
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


async def call(client: HubClient, method: str, path: str, body=None):
    return await client.call("intake", method, path, json=body, headers=client.as_operator())


async def refused(client: HubClient, method: str, path: str, body=None) -> ApiError:
    with pytest.raises(ApiError) as error:
        await call(client, method, path, body)
    return error.value


async def add_producer(client: HubClient, hub: str, name: str, **extra) -> dict:
    fields = {"name": name, "phone": new_phone(), "regency": "Kapuas", **extra}
    return await client.register_producer(hub, **fields)


# Finding producers


async def test_producers_are_found_by_any_part_of_a_name_or_of_a_number(
    client: HubClient, hub: str
):
    sari = await add_producer(client, hub, "Ibu Sari")
    wati = await add_producer(client, hub, "Sari Wati")
    budi = await add_producer(client, hub, "Pak Budi", phone="+6281377788899")

    async def found(query: str) -> list[str]:
        answer = await call(client, "GET", f"/v1/producers?hub={hub}&{query}")
        assert answer["total"] == len(answer["producers"])
        return [p["name"] for p in answer["producers"]]

    assert await found("") == ["Ibu Sari", "Pak Budi", "Sari Wati"]  # by name
    assert await found("q=SARI") == ["Ibu Sari", "Sari Wati"]
    assert await found("q=%20bud%20") == ["Pak Budi"]
    for written in ("0813 777", "+62 813-7778", "6281377", "88899", "813777"):
        assert await found(f"q={written.replace('+', '%2B')}") == ["Pak Budi"], written
    assert await found(f"q={national(sari['phone'])[:9]}") == ["Ibu Sari"]
    assert await found("q=%25") == []  # a LIKE wildcard is only a character
    assert await found("q=Ibu%20Budi") == []

    page = await call(client, "GET", f"/v1/producers?hub={hub}&limit=1&offset=1")
    assert page["total"] == 3
    assert page["producers"] == [budi]
    assert wati in (await call(client, "GET", f"/v1/producers?hub={hub}&q=wati"))["producers"]


async def test_finding_producers_is_for_operators_and_names_a_known_hub(client: HubClient):
    url = f"{client.urls['intake']}/v1/producers?hub=kalteng"
    async with client.session.get(url) as response:
        assert response.status == 401
    error = await refused(client, "GET", f"/v1/producers?hub={new_hub_code()}")
    assert error.status == 422
    assert [e["field"] for e in error.body["errors"]] == ["hub"]
    error = await refused(client, "GET", "/v1/producers?hub=kalteng&limit=0")
    assert error.status == 422


async def test_a_search_among_ten_thousand_producers_finds_by_name_part_or_phone(
    client: HubClient, database: asyncpg.Connection
):
    hub = new_hub_code()
    await client.create_hub(hub, "PLUT Besar")
    # Written straight to the table: ten thousand registrations would only add events.
    await database.execute(
        """
        INSERT INTO intake.producers (id, hub, name, phone, regency)
        SELECT gen_random_uuid(), $1, 'Produsen ' || n, '+62812' || lpad(n::text, 8, '0'),
               'Kapuas'
        FROM generate_series(1, 10000) AS n
        """,
        hub,
    )
    await database.execute("ANALYZE intake.producers")

    # How fast is bench/'s to say, not a stopwatch's in a test on a busy machine.
    for q in ("Produsen 4321", "dusen 99", "0812 0000 4321", "4321", ""):
        answer = await call(client, "GET", f"/v1/producers?hub={hub}&q={q}&limit=100")
        assert answer["producers"], q
    assert (await call(client, "GET", f"/v1/producers?hub={hub}&q=0812%200000%204321"))[
        "total"
    ] == 1


# Correcting a producer


async def test_a_corrected_producer_is_answered_in_full_and_announced(
    client: HubClient, hub: str, tap: EventTap
):
    producer = await add_producer(client, hub, "Ibu Sari")
    phone = new_phone()

    changed = await call(
        client,
        "PATCH",
        f"/v1/producers/{producer['id']}",
        {"name": " Ibu Sari Aminah ", "phone": national(phone), "email": "sari@contoh.id"},
    )

    assert changed == {
        **producer,
        "name": "Ibu Sari Aminah",
        "phone": phone,
        "email": "sari@contoh.id",
        "updated_at": changed["updated_at"],
    }
    assert changed["updated_at"] is not None
    assert await call(client, "GET", f"/v1/producers/{producer['id']}") == changed
    event = await tap.wait_for(
        lambda e: e.type == "producer.updated" and e.payload["producer_id"] == producer["id"],
        what="producer.updated",
    )
    assert (event.version, event.hub) == (1, hub)
    assert event.payload == {
        "producer_id": producer["id"],
        "name": "Ibu Sari Aminah",
        "regency": "Kapuas",
        "phone": phone,
        "email": "sari@contoh.id",
        "language": "id",
        "channel": None,
        "updated_at": event.payload["updated_at"],
    }
    assert datetime.fromisoformat(event.payload["updated_at"]) == datetime.fromisoformat(
        changed["updated_at"]
    )

    # The email now stored lets the producer prefer it; taking it away again does not.
    path = f"/v1/producers/{producer['id']}"
    assert (await call(client, "PATCH", path, {"channel": "email"}))["channel"] == "email"
    error = await refused(client, "PATCH", path, {"email": None})
    assert (error.status, error.body["errors"][0]["code"]) == (422, "channel_needs_email")
    both = await call(client, "PATCH", path, {"email": None, "channel": None})
    assert (both["email"], both["channel"]) == (None, None)


async def test_a_correction_changing_nothing_announces_nothing(
    client: HubClient, hub: str, tap: EventTap
):
    producer = await add_producer(client, hub, "Ibu Sari")
    path = f"/v1/producers/{producer['id']}"

    assert await call(client, "PATCH", path, {}) == producer
    assert await call(client, "PATCH", path, {"phone": national(producer["phone"])}) == producer
    await call(client, "PATCH", path, {"regency": "Katingan"})

    # Intake's events leave in order: once this one is out, any earlier one would be too.
    await tap.wait_for(
        lambda e: e.type == "producer.updated" and e.payload["regency"] == "Katingan"
        and e.payload["producer_id"] == producer["id"],
        what="producer.updated",
    )  # fmt: skip
    announced = [
        e
        for e in tap.events
        if e.type == "producer.updated" and e.payload["producer_id"] == producer["id"]
    ]
    assert [e.payload["regency"] for e in announced] == ["Katingan"]


async def test_corrections_are_refused_whole(client: HubClient, hub: str):
    sari = await add_producer(client, hub, "Ibu Sari")
    budi = await add_producer(client, hub, "Pak Budi")
    path = f"/v1/producers/{sari['id']}"

    taken = await refused(client, "PATCH", path, {"name": "Sari", "phone": budi["phone"]})
    assert taken.status == 409
    assert taken.body["type"] == "/problems/phone-taken"
    assert [(e["field"], e["code"]) for e in taken.body["errors"]] == [("phone", "phone_taken")]
    for body, fields in (
        ({"name": None}, {"name"}),
        ({"phone": "0536 3221234"}, {"phone"}),
        ({"language": "jv", "regency": " "}, {"language", "regency"}),
        ({"channel": "email"}, {"channel"}),  # no email stored
        ({"hub": hub}, {"hub"}),
    ):
        error = await refused(client, "PATCH", path, body)
        assert error.status == 422, body
        assert {e["field"] for e in error.body["errors"]} == fields, body
    assert await call(client, "GET", path) == sari

    missing = await refused(client, "PATCH", f"/v1/producers/{uuid.uuid4()}", {"name": "X"})
    assert missing.status == 404


async def test_the_notifier_tells_a_corrected_producer_at_the_new_number(
    client: HubClient, hub: str, database: asyncpg.Connection, whatsapp: WhatsAppCloudStub
):
    producer = await add_producer(client, hub, "Ibu Sari")
    old, new = producer["phone"], new_phone()

    await call(client, "PATCH", f"/v1/producers/{producer['id']}", {"phone": new})

    async def directory_has_the_new_number() -> bool:
        phone = await database.fetchval(
            "SELECT phone FROM notifier.recipients WHERE key = $1", f"producer:{producer['id']}"
        )
        return phone == new

    await wait_until(directory_has_the_new_number, what="the notifier's directory updated")
    await client.record_delivery(hub, producer["id"], SKU, 20, rejected=1)

    async def told() -> list:
        return [d for d in whatsapp.to(new) if "delivery_recorded" in (d.template or "")]

    await wait_until(told, what="the delivery told to the new number")
    assert not whatsapp.to(old)


# Deliveries, sales per day and payouts


async def test_a_producers_deliveries_come_newest_first_a_page_at_a_time(
    client: HubClient, hub: str
):
    producer = await add_producer(client, hub, "Ibu Sari")
    other = await add_producer(client, hub, "Pak Budi")
    made = [await client.record_delivery(hub, producer["id"], SKU, n, 1) for n in (5, 6, 7)]
    await client.record_delivery(hub, other["id"], SKU, 9)
    path = f"/v1/producers/{producer['id']}/deliveries"

    answer = await call(client, "GET", path)

    fields = ("id", "sku", "quantity", "rejected", "accepted", "sold", "received_at")
    assert answer == {
        "total": 3,
        "deliveries": [{key: d[key] for key in fields} for d in reversed(made)],
    }
    page = await call(client, "GET", f"{path}?limit=1&offset=2")
    assert page["total"] == 3 and [d["id"] for d in page["deliveries"]] == [made[0]["id"]]
    assert (await refused(client, "GET", f"/v1/producers/{uuid.uuid4()}/deliveries")).status == 404


def allocation(hub: str, lot: dict, quantity: int, at: datetime) -> Envelope:
    share = LotShare(delivery_id=lot["id"], producer_id=lot["producer_id"], quantity=quantity)
    event = OrderAllocated(
        order_id=uuid.uuid4(),
        sku=SKU,
        quantity=quantity,
        allocated_total=quantity,
        requested=quantity,
        lots=(share,),
        rule="fifo",
        policy_version=0,
        hold_until=None,
    )
    return Envelope.wrap(event, hub=hub, correlation_id="test-sales").model_copy(
        update={"occurred_at": at}
    )


def expiry(allocated: Envelope, quantity: int, at: datetime) -> Envelope:
    (share,) = allocated.payload["lots"]
    event = OrderExpired(
        order_id=allocated.payload["order_id"],
        sku=SKU,
        quantity=quantity,
        lots=(LotShare(**{**share, "quantity": quantity}),),
        hold_until=at,
    )
    return allocated.follow(event).model_copy(update={"occurred_at": at})


async def sold(
    client: HubClient, amqp: AbstractRobustConnection, lot: dict, events: list[Envelope]
) -> None:
    """Publish the allocator's events about a lot; wait until intake counted them all."""
    for event in events:
        await publish_event(amqp, event)
    total = sum(
        share["quantity"] * (1 if event.type == "order.allocated" else -1)
        for event in events
        for share in event.payload["lots"]
    )

    async def counted() -> bool:
        return (await client.delivery(lot["id"]))["sold"] == total

    await wait_until(counted, what=f"{total} sold from {lot['id']}")


async def test_units_sold_and_earnings_are_counted_on_the_hubs_days(
    client: HubClient, hub: str, amqp: AbstractRobustConnection
):
    sari = await add_producer(client, hub, "Ibu Sari", regency="Kapuas")
    budi = await add_producer(client, hub, "Pak Budi", regency="Katingan")
    sari_lot = await client.record_delivery(hub, sari["id"], SKU, 50)
    budi_lot = await client.record_delivery(hub, budi["id"], SKU, 30)
    # 20.00 UTC on the 20th is 03.00 on the 21st in Palangka Raya (WIB).
    allocated = allocation(hub, sari_lot, 10, datetime(2026, 11, 20, 20, 0, tzinfo=UTC))
    await sold(
        client,
        amqp,
        sari_lot,
        [
            allocated,
            allocation(hub, sari_lot, 5, datetime(2026, 11, 21, 9, 0, tzinfo=WIB)),
            expiry(allocated, 4, datetime(2026, 11, 22, 9, 0, tzinfo=WIB)),
        ],
    )
    await sold(
        client, amqp, budi_lot, [allocation(hub, budi_lot, 7, datetime(2026, 11, 23, tzinfo=WIB))]
    )

    days = await call(
        client, "GET", f"/v1/producers/{sari['id']}/days?from=2026-11-01&to=2026-11-30"
    )

    assert days == {
        "producer_id": sari["id"],
        "from": "2026-11-01",
        "to": "2026-11-30",
        "days": [
            {"day": "2026-11-21", "sku": SKU, "kind": "sale", "programme_id": None,
             "units_sold": 15, "unit_price": 5000, "earnings": 75_000},
            {"day": "2026-11-22", "sku": SKU, "kind": "sale", "programme_id": None,
             "units_sold": -4, "unit_price": 5000, "earnings": -20_000},
        ],
    }  # fmt: skip
    payouts = await call(client, "GET", f"/v1/payouts?hub={hub}&from=2026-11-21&to=2026-11-23")
    assert (payouts["hub"], payouts["from"], payouts["to"]) == (hub, "2026-11-21", "2026-11-23")
    assert [(r["name"], r["day"], r["units_sold"], r["earnings"]) for r in payouts["rows"]] == [
        ("Ibu Sari", "2026-11-21", 15, 75_000),
        ("Ibu Sari", "2026-11-22", -4, -20_000),
        ("Pak Budi", "2026-11-23", 7, 35_000),
    ]
    assert payouts["rows"][2] == {
        "producer_id": budi["id"],
        "name": "Pak Budi",
        "phone": budi["phone"],
        "regency": "Katingan",
        "day": "2026-11-23",
        "sku": SKU,
        "kind": "sale",
        "programme_id": None,
        "units_sold": 7,
        "unit_price": 5000,
        "earnings": 35_000,
    }
    none_by_programmes = {"programme_units_sold": 0, "programme_earnings": 0}
    assert payouts["totals"] == [
        {"producer_id": sari["id"], "name": "Ibu Sari", "units_sold": 11, "earnings": 55_000,
         **none_by_programmes},
        {"producer_id": budi["id"], "name": "Pak Budi", "units_sold": 7, "earnings": 35_000,
         **none_by_programmes},
    ]  # fmt: skip
    one_day = await call(client, "GET", f"/v1/payouts?hub={hub}&from=2026-11-23&to=2026-11-23")
    assert [t["name"] for t in one_day["totals"]] == ["Pak Budi"]


async def test_a_producers_days_are_the_last_thirty_unless_asked(
    client: HubClient, hub: str, amqp: AbstractRobustConnection
):
    producer = await add_producer(client, hub, "Ibu Sari")
    lot = await client.record_delivery(hub, producer["id"], SKU, 10)
    now = datetime.now(UTC)
    await sold(client, amqp, lot, [allocation(hub, lot, 3, now)])

    days = await call(client, "GET", f"/v1/producers/{producer['id']}/days")

    today = now.astimezone(WIB).date()
    assert (days["from"], days["to"]) == (str(today - timedelta(days=29)), str(today))
    assert [(d["day"], d["units_sold"], d["earnings"]) for d in days["days"]] == [
        (str(today), 3, 15_000)
    ]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("from=2026-11-02&to=2026-11-01", "from", "range_reversed"),
        ("from=2025-01-01&to=2026-01-02", "to", "range_too_long"),
        ("from=2026-11-1&to=2026-11-02", "from", "date_type"),
        ("to=2026-11-02", "from", "missing"),
    ],
)
async def test_a_payout_range_must_be_a_year_at_most_and_in_order(
    client: HubClient, hub: str, query: str, field: str, code: str
):
    error = await refused(client, "GET", f"/v1/payouts?hub={hub}&{query}")

    assert error.status == 422
    assert [(e["field"], e["code"]) for e in error.body["errors"]] == [(field, code)]


async def test_a_payout_range_of_a_leap_year_is_allowed(client: HubClient, hub: str):
    answer = await call(client, "GET", f"/v1/payouts?hub={hub}&from=2028-01-01&to=2028-12-31")
    assert answer["rows"] == answer["totals"] == []


# Shortages


async def report(client: HubClient, producer: dict, **body) -> dict:
    return await call(client, "POST", f"/v1/producers/{producer['id']}/shortages", body)


async def test_shortages_add_up_by_material_and_regency_until_resolved(client: HubClient, hub: str):
    sari = await add_producer(client, hub, "Ibu Sari", regency="Kapuas")
    ani = await add_producer(client, hub, "Ibu Ani", regency="Kapuas")
    budi = await add_producer(client, hub, "Pak Budi", regency="Katingan")

    first = await report(
        client, sari, material="  Karet  Elastis ", amount=5, unit="kg", since="2026-11-20"
    )
    await report(client, ani, material="karet elastis", amount=2.25, unit="kg", since="2026-11-18")
    await report(client, budi, material="Kain katun", amount=30, unit="m", since="2026-11-19")
    await report(client, sari, material="kain katun", amount=1, unit="roll", since="2026-11-21")
    budis_elastic = await report(
        client, budi, material="karet elastis", amount=1, unit="kg", since="2026-11-10"
    )

    assert first == {
        "id": first["id"],
        "producer_id": sari["id"],
        "producer_name": "Ibu Sari",
        "hub": hub,
        "regency": "Kapuas",
        "material": "karet elastis",
        "amount": 5.0,
        "unit": "kg",
        "since": "2026-11-20",
        "reported_at": first["reported_at"],
        "resolved_at": None,
    }
    resolved = await call(client, "POST", f"/v1/shortages/{budis_elastic['id']}/resolve")
    assert resolved["resolved_at"] is not None
    again = await call(client, "POST", f"/v1/shortages/{budis_elastic['id']}/resolve")
    assert again == resolved

    summary = await call(client, "GET", f"/v1/shortages/summary?hub={hub}")
    assert summary == {
        "hub": hub,
        "by_material_and_regency": [
            {"material": "kain katun", "unit": "roll", "regency": "Kapuas", "amount": 1.0,
             "producers": 1, "oldest_since": "2026-11-21"},
            {"material": "kain katun", "unit": "m", "regency": "Katingan", "amount": 30.0,
             "producers": 1, "oldest_since": "2026-11-19"},
            {"material": "karet elastis", "unit": "kg", "regency": "Kapuas", "amount": 7.25,
             "producers": 2, "oldest_since": "2026-11-18"},
        ],
    }  # fmt: skip

    open_ones = await call(client, "GET", f"/v1/shortages?hub={hub}&open=true")
    assert open_ones["total"] == 4
    assert [s["since"] for s in open_ones["shortages"]] == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
    ]
    assert open_ones["shortages"][0]["producer_name"] == "Ibu Ani"
    closed = await call(client, "GET", f"/v1/shortages?hub={hub}&open=false")
    assert closed["shortages"] == [resolved]
    everything = await call(client, "GET", f"/v1/shortages?hub={hub}&limit=2&offset=0")
    assert everything["total"] == 5
    oldest_two = [resolved["id"], open_ones["shortages"][0]["id"]]
    assert [s["id"] for s in everything["shortages"]] == oldest_two


async def test_a_shortage_without_a_date_started_today_at_the_hub(client: HubClient, hub: str):
    producer = await add_producer(client, hub, "Ibu Sari")

    shortage = await report(client, producer, material="benang", amount=0.5, unit="roll")

    assert shortage["since"] == str(datetime.now(WIB).date())


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"unit": "liter"}, "unit", "unit_unknown"),
        ({"since": str(date.today() + timedelta(days=2))}, "since", "since_in_future"),
        ({"amount": 0}, "amount", "greater_than"),
        ({"amount": 1.005}, "amount", "multiple_of"),
        ({"amount": "5"}, "amount", "float_type"),
        ({"material": "   "}, "material", "string_too_short"),
        ({"since": "20-11-2026"}, "since", "date_type"),
    ],
)
async def test_a_bad_shortage_is_refused_and_not_kept(
    client: HubClient, hub: str, database: asyncpg.Connection, body: dict, field: str, code: str
):
    producer = await add_producer(client, hub, "Ibu Sari")
    good = {"material": "karet elastis", "amount": 5, "unit": "kg", "since": "2026-11-20"}

    error = await refused(
        client, "POST", f"/v1/producers/{producer['id']}/shortages", {**good, **body}
    )

    assert error.status == 422
    assert [(e["field"], e["code"]) for e in error.body["errors"]] == [(field, code)]
    assert (await row_counts(database, "intake", hub))["shortages"] == 0


async def test_shortages_of_nobody_or_unknown_are_404(client: HubClient):
    body = {"material": "karet", "amount": 5, "unit": "kg"}
    nobody = await refused(client, "POST", f"/v1/producers/{uuid.uuid4()}/shortages", body)
    unknown = await refused(client, "POST", f"/v1/shortages/{uuid.uuid4()}/resolve")
    assert (nobody.status, unknown.status) == (404, 404)


# Importing producers


def rows(count: int, **extra) -> list[dict]:
    """`count` producers with distinct phones (5,000 drawn at random would share one in eight
    files: the birthday problem)."""
    numbers = random.sample(range(10**8), count)
    return [
        {
            "name": f"Produsen {n}",
            "phone": national(f"+62812{number:08d}"),
            "regency": "Kapuas",
            **extra,
        }
        for n, number in enumerate(numbers, start=1)
    ]


async def test_a_file_of_producers_is_registered_whole_each_announced(
    client: HubClient, hub: str, tap: EventTap
):
    file = rows(3)
    file[1] |= {"email": "dua@contoh.id", "channel": "email", "language": "en"}

    imported = await call(client, "POST", "/v1/producers/import", {"hub": hub, "producers": file})

    assert imported["imported"] == 3
    assert [p["row"] for p in imported["producers"]] == [1, 2, 3]
    second = await call(client, "GET", f"/v1/producers/{imported['producers'][1]['id']}")
    assert (second["name"], second["email"], second["channel"], second["language"]) == (
        "Produsen 2",
        "dua@contoh.id",
        "email",
        "en",
    )
    for producer in imported["producers"]:
        event = await tap.wait_for(
            lambda e, p=producer: e.payload.get("producer_id") == p["id"],
            what="producer.registered",
        )
        assert (event.type, event.version, event.hub) == ("producer.registered", 2, hub)

    # Sent again, the file is refused row by row: nobody is registered twice.
    again = await refused(client, "POST", "/v1/producers/import", {"hub": hub, "producers": file})
    assert again.status == 422
    assert [(r["row"], r["field"], r["code"]) for r in again.body["rows"]] == [
        (n, "phone", "phone_taken") for n in (1, 2, 3)
    ]


async def test_a_file_with_bad_rows_names_them_all_and_registers_nobody(
    client: HubClient, hub: str, database: asyncpg.Connection, tap: EventTap
):
    existing = await add_producer(client, hub, "Ibu Lama")
    # Counted from after its own event, which the relay may still be sending.
    await tap.wait_for(lambda e: e.payload.get("producer_id") == existing["id"], what="existing")
    file = rows(6)
    file[1]["phone"] = "0536 3221234"  # a landline
    file[2]["phone"] = file[0]["phone"]  # the same as row 1
    file[3] |= {"channel": "email", "name": " "}
    file[4]["phone"] = existing["phone"]
    before = await row_counts(database, "intake", hub)
    seen = len(tap.events)

    error = await refused(client, "POST", "/v1/producers/import", {"hub": hub, "producers": file})

    assert error.status == 422
    assert error.body["type"] == "/problems/rows-invalid"
    assert error.body["title"] and error.body["detail"]
    assert [(r["row"], r["field"], r["code"]) for r in error.body["rows"]] == [
        (2, "phone", "phone_not_mobile"),
        (3, "phone", "phone_repeated"),
        (4, "name", "string_too_short"),
        (4, "channel", "channel_needs_email"),
        (5, "phone", "phone_taken"),
    ]
    assert all(r["message"] for r in error.body["rows"])
    assert await row_counts(database, "intake", hub) == before
    sentinel = await add_producer(client, hub, "Sentinel")
    await tap.wait_for(lambda e: e.payload.get("producer_id") == sentinel["id"], what="sentinel")
    assert [e.type for e in tap.events[seen:] if e.hub == hub] == ["producer.registered"]


async def test_a_file_of_five_thousand_producers_is_taken_and_no_more(client: HubClient, hub: str):
    file = rows(5000, email="produsen@contoh.id")

    imported = await call(client, "POST", "/v1/producers/import", {"hub": hub, "producers": file})

    assert imported["imported"] == 5000
    found = await call(client, "GET", f"/v1/producers?hub={hub}&limit=1")
    assert found["total"] == 5001 - 1
    too_many = await refused(
        client, "POST", "/v1/producers/import", {"hub": hub, "producers": rows(5001)}
    )
    assert too_many.status == 422
    assert [e["field"] for e in too_many.body["errors"]] == ["producers"]


async def test_a_file_too_large_or_empty_is_refused(client: HubClient, hub: str):
    empty = await refused(client, "POST", "/v1/producers/import", {"hub": hub, "producers": []})
    assert empty.status == 422
    padded = [{"name": "x" * 100, "regency": "y" * 1000, "phone": "0"}] * 5000
    body = io.BytesIO(json.dumps({"hub": hub, "producers": padded}).encode())
    headers = {"Content-Type": "application/json", **client.as_operator()}
    url = f"{client.urls['intake']}/v1/producers/import"
    async with client.session.post(url, data=body, headers=headers) as response:
        problem = await response.json(content_type=None)
    assert response.status == 413
    assert problem["type"] == "/problems/body-too-large"
    assert str(4 * 1024 * 1024) in problem["detail"]
