"""Server-side request forgery through a partner's callback_url: the hub must never post into its
own network, however the address is written, whenever the partner's DNS changes, nor tell a
partner enough to scan ports with it.

The test stack allows plain http, and one private address (127.0.0.2, where the tests' partner
endpoints listen: tests/support/stack_env.py); everything else is refused as in production.
"""

import asyncio
import uuid

import asyncpg
import pytest

from services.orders.callbacks.destination import (
    DestinationRefused,
    Destinations,
    PublicResolver,
    callback_session,
    require_allowed,
)
from services.orders.callbacks.post import COULD_NOT_CONNECT, post_callback
from shared.problems import Problem
from tests.support.attacks import Listener, fields_of, refusal
from tests.support.stack_env import PARTNER_HOST, PARTNERS_BUYER_TYPES
from tests.unit.test_callback_post import claimed
from tools.client import HubClient, wait_until

SKU = "masker-kain"
BUYER = {"name": "Koperasi Maju", "type": "business", "region": "Sampit"}
NOT_PUBLIC = "callback_url not allowed: it must point to a public internet address"

INSIDE = [
    "http://127.0.0.1:15672/api/users",  # RabbitMQ's console
    "https://localhost/",
    "http://localhost.:8082/v1/partners",
    "http://[::1]:5432/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # the cloud's metadata
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/admin",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0:8083/",
    "http://0x7f000001/",  # 127.0.0.1 in hex
    "http://2130706433/",  # in decimal
    "http://017700000001/",  # in octal
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, mapped
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[fe80::1]/",
    "http://[fd00::1]/",
]


@pytest.mark.parametrize("url", INSIDE)
async def test_a_callback_url_inside_the_hub_is_refused_when_a_partner_is_created(
    client: HubClient, database: asyncpg.Connection, url: str
):
    # The URL is checked before the hubs: a hub nobody has would be named if it got that far.
    name = f"Penyerang {uuid.uuid4().hex[:8]}"
    error = await refusal(client.create_partner(name, ["hub-penyerang"], callback_url=url))

    assert error.status == 422 and fields_of(error).keys() == {"callback_url"}, error.body
    assert fields_of(error)["callback_url"].startswith("callback_url_")
    assert (
        await database.fetchval("SELECT count(*) FROM orders.partners WHERE name = $1", name) == 0
    )


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://user:secret@93.184.215.14/hook", "callback_url_credentials"),
        ("https://token@93.184.215.14/hook", "callback_url_credentials"),
        ("http://no-such-host.invalid/hook", "callback_url_unresolved"),
        ("ftp://93.184.215.14/hook", "url_scheme"),
        ("file:///etc/passwd", "url_scheme"),
    ],
)
async def test_credentials_unresolvable_hosts_and_other_schemes_are_refused(
    client: HubClient, url: str, code: str
):
    error = await refusal(client.create_partner("Penyerang", ["hub-penyerang"], callback_url=url))

    assert error.status == 422 and fields_of(error) == {"callback_url": code}, error.body


async def test_a_partner_cannot_be_changed_to_call_back_inside(
    client: HubClient, hub: str, partner: dict
):
    path = f"/v1/partners/{partner['partner']['id']}"
    attempts = ["http://127.0.0.1:5672/", "http://0x7f000001/", "https://[::1]/"]
    for url in attempts:
        change = client.call(
            "orders", "PATCH", path, json={"callback_url": url}, headers=client.as_operator()
        )
        error = await refusal(change)
        assert error.status == 422 and fields_of(error).keys() == {"callback_url"}, url

    unchanged = await client.call("orders", "GET", path, headers=client.as_operator())
    assert unchanged["callback_url"] is None


async def test_plain_http_is_refused_unless_the_operator_allows_it():
    production = Destinations()
    for url in ("http://93.184.215.14/hook", "http://[2606:2800:21f:cb07::1]/", "HTTP://8.8.8.8/"):
        with pytest.raises(Problem) as refused:
            await require_allowed(url, production)
        assert [(e.field, e.code) for e in refused.value.errors] == [
            ("callback_url", "callback_url_scheme")
        ]
    await require_allowed("https://93.184.215.14/hook", production)  # a public https address
    await require_allowed("http://93.184.215.14/hook", Destinations(allow_http=True))


async def test_at_send_a_name_that_now_resolves_inside_is_not_connected_to():
    """A name that passed when it was given may resolve to a private address later (the
    partner's DNS changed, or answers differently each time): the resolver the callbacks
    connect through refuses it, so nothing reaches the listener."""
    inside = await Listener("127.0.0.1").start()
    production = Destinations(allow_http=True)
    try:
        async with callback_session(production) as session:
            outcomes = [
                await post_callback(session, claimed(url), production)
                for url in (
                    f"http://localhost:{inside.port}/hook",
                    f"http://[::ffff:7f00:1]:{inside.port}/hook",
                    f"http://127.1:{inside.port}/hook",
                    f"http://127.0.0.1:{inside.port}/hook",
                )
            ]
        with pytest.raises(DestinationRefused):
            await PublicResolver(production).resolve("localhost", inside.port)
    finally:
        await inside.stop()

    assert [outcome.error for outcome in outcomes] == [NOT_PUBLIC] * 4
    assert inside.connections == 0


async def partner_calling(client: HubClient, hub: str, url: str) -> tuple[str, HubClient]:
    issued = await client.create_partner(
        f"Mitra {uuid.uuid4().hex[:6]}", [hub], callback_url=url, buyer_types=PARTNERS_BUYER_TYPES
    )
    return issued["partner"]["id"], client.as_partner(issued["api_key"])


async def last_errors(database: asyncpg.Connection, partner_ids: list[str]) -> list[str | None]:
    sql = """SELECT last_error FROM orders.callbacks WHERE partner_id = $1 AND attempts > 0
             ORDER BY created_at LIMIT 1"""
    return [await database.fetchval(sql, uuid.UUID(partner_id)) for partner_id in partner_ids]


async def allocate_one_order_each(client: HubClient, hub: str, partners: list[HubClient]) -> None:
    for partner in partners:
        await partner.place_order(hub, SKU, 1, BUYER)
    producer = await client.register_producer(
        hub, name="Ibu Siti", phone="081234567890", regency="Kapuas"
    )
    await client.record_delivery(hub, producer["id"], SKU, len(partners))


async def test_a_callback_url_moved_inside_after_creation_is_refused_at_every_send(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    """As a partner whose DNS now points inside, or whose URL was stored before these rules:
    the callbacks fail as not allowed, and the internal listener sees no connection."""
    inside = await Listener("127.0.0.1").start()
    try:
        partners = [await partner_calling(client, hub, None) for _ in range(3)]
        for (partner_id, _), url in zip(
            partners,
            [inside.url, f"http://localhost:{inside.port}/", f"http://127.1:{inside.port}/"],
            strict=True,
        ):
            await database.execute(
                "UPDATE orders.partners SET callback_url = $2 WHERE id = $1",
                uuid.UUID(partner_id),
                url,
            )
        await allocate_one_order_each(client, hub, [partner for _, partner in partners])
        ids = [partner_id for partner_id, _ in partners]
        errors = await wait_until(
            lambda: _all_given(last_errors(database, ids)), what="an attempt at each callback"
        )
    finally:
        await inside.stop()

    assert errors == [NOT_PUBLIC] * 3
    assert inside.connections == 0


async def _all_given(values) -> list | None:
    found = await values
    return found if all(found) else None


async def test_a_partner_cannot_tell_a_closed_port_from_a_reset_or_a_hang(
    client: HubClient, hub: str, database: asyncpg.Connection
):
    """The one thing a failed connection says to the partner is that it failed: told apart,
    "refused", "reset" and "timed out" map which ports are open behind the URL."""
    resetting = await Listener(PARTNER_HOST, "reset").start()
    hanging = await Listener(PARTNER_HOST, "hang").start()
    closed = await Listener(PARTNER_HOST).start()
    await closed.stop()  # nothing listens on its port now
    try:
        partners = [
            await partner_calling(client, hub, url)
            for url in (resetting.url, hanging.url, closed.url)
        ]
        await allocate_one_order_each(client, hub, [partner for _, partner in partners])
        ids = [partner_id for partner_id, _ in partners]
        errors = await wait_until(
            lambda: _all_given(last_errors(database, ids)), what="an attempt at each callback"
        )
    finally:
        await asyncio.gather(resetting.stop(), hanging.stop())

    assert errors == [COULD_NOT_CONNECT] * 3
    assert resetting.connections >= 1 and hanging.connections >= 1
