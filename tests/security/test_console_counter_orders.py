"""Attack: hostile input to the counter's new order form (`/loket/pesanan-baru`).

Names with control characters or that look like links are refused naming the field, what was
typed shown back escaped; an oversized form is refused whole; a missing or wrong CSRF token
changes nothing; and a nonce copied from another operator's form, or made up, places nothing,
though every staff member calls the orders API with one token (whose idempotency keys are one
owner's). Nothing refused reaches the orders service.
"""

from urllib.parse import urlencode

import pytest

from services.console.accounts import Role
from tests.integration.test_console_counter_orders import FORM, answers, nonce_in
from tests.support.console import ConsoleSession, make_operator
from tools.client import HubClient


async def orders_at(client: HubClient, hub: str) -> list[dict]:
    query = urlencode({"hub": hub, "q": "081234", "limit": 50})
    answer = await client.call("orders", "GET", f"/v1/orders?{query}", headers=client.to_orders())
    return answer["orders"]


async def post(session, fields: dict) -> tuple[int, str]:
    async with session.http.post(FORM, data=fields, allow_redirects=False) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ibu\x00Sari"),
        ("name", "Ibu Sari\u202ecod.exe"),
        ("name", "https://menang-hadiah.example/klaim"),
        ("name", "<a href=https://jahat.example>Klik</a>"),
        ("region", "www.jahat.example"),
        ("region", "Sampit\x1b[2J"),
    ],
)
async def test_hostile_names_are_refused_naming_the_field(console_as, client, hub, field, value):
    session = await console_as(Role.staff)
    nonce = nonce_in(await session.page(FORM))
    status, page = await post(
        session, {"csrf": session.csrf, "nonce": nonce, **answers(**{field: value})}
    )
    assert status == 400
    assert f'href="#{field}"' in page and f'id="{field}-error"' in page
    assert "<a href=https://jahat.example>" not in page
    assert await orders_at(client, hub) == []


async def test_an_oversized_form_is_refused_whole(console_as, client, hub):
    session = await console_as(Role.staff)
    nonce = nonce_in(await session.page(FORM))
    fields = {"csrf": session.csrf, "nonce": nonce, **answers()}
    status, _ = await post(session, {**fields, "name": "A" * 200_000})
    assert status == 413

    # Long enough to be no name, short enough to be read: the name is named, cut short.
    status, page = await post(session, {**fields, "name": "Ibu " + "A" * 5_000})
    assert status == 400 and 'href="#name"' in page
    assert "A" * 300 not in page
    assert await orders_at(client, hub) == []


async def test_a_missing_or_wrong_csrf_token_changes_nothing(console_as, client, hub):
    session = await console_as(Role.staff)
    nonce = nonce_in(await session.page(FORM))
    missing, _ = await post(session, {"nonce": nonce, **answers()})
    wrong, _ = await post(session, {"csrf": "x" * 43, "nonce": nonce, **answers()})
    assert missing == wrong == 403
    assert await orders_at(client, hub) == []


async def test_a_nonce_from_another_operator_or_made_up_places_nothing(
    console_as, stack, box, client, hub
):
    first = await console_as(Role.staff)
    nonce = nonce_in(await first.page(FORM))
    placed = await first.submit(FORM, {"nonce": nonce, **answers()})
    assert placed.status == 303
    order_id = placed.headers["Location"].rsplit("/", 1)[1]

    other = ConsoleSession(stack["console"].url)
    try:
        await other.use_hub(hub)
        await other.sign_in(await make_operator(box.database_url, Role.staff))
        own = nonce_in(await other.page(FORM))
        random, _, mac = own.partition(".")
        for forged in (nonce, random, f"{random}.{'0' * len(mac)}", "", "a.b"):
            refused = await other.submit(FORM, {"nonce": forged, **answers(name="Orang Lain")})
            assert refused.status == 403, forged
    finally:
        await other.close()

    # The first operator's own nonce again is the same order, not another.
    again = await first.submit(FORM, {"nonce": nonce, **answers()})
    assert again.headers["Location"] == placed.headers["Location"]
    assert [order["id"] for order in await orders_at(client, hub)] == [order_id]
