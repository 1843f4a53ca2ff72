"""Attack: hostile input to the counter's hand-over box and its hand-over form.

What a scanner or a person types is read for an order code and nothing else: a huge input,
control characters, a `javascript:` or another site's link, a path-traversal-like link are
refused with a clear message, never followed, never shown back as markup or a link; the hand-
over form refuses an oversized body, a missing, forged or another operator's nonce, and an order
path that is no id. Nothing is handed over by any of it.
"""

import uuid
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from services.console.accounts import Role
from tests.integration.test_console_handover import PAGE, find, held_order, main_of, nonce_in
from tests.support.console import ConsoleSession, make_operator
from tools.client import HubClient

NOT_A_CODE = "Bukan kode pesanan"


async def untouched(client: HubClient, order: dict) -> None:
    after = await client.order(order["id"])
    assert after["status"] == "allocated" and after["fulfilled"] == 0


async def looked_up(session: ConsoleSession, typed: str) -> tuple[int, str]:
    async with session.http.get(find(typed)) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    "hostile",
    [
        "javascript:alert(document.cookie)//lacak/{code}",
        "javascript://lacak/{code}",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "<script>alert(1)</script>{code}",
        "<img src=x onerror=alert(1)>",
        "//jahat.example/lacak/{code}",
        "https://jahat.example/lacak/{code}/../../v1/partners",
        "https://jahat.example/lacak/..%2F..%2Fv1%2Fpartners",
        "../../v1/orders/{code}",
        "..%2F..%2Fv1%2Fpartners",
        "{code}\x00",
        "{code}\x1b[2J",
        "\u202e{code}",
        "{code}\r\nSet-Cookie: plut_session=x",
    ],
)
async def test_hostile_input_is_refused_cleanly(console_as, client, hub, hostile):
    order = await held_order(client, hub, "Ibu Waspada", 1)
    session = await console_as(Role.staff)
    typed = hostile.format(code=order["code"])
    status, html = await looked_up(session, typed)
    assert status == 400, typed
    assert NOT_A_CODE in html
    assert "Ibu Waspada" not in html and 'name="nonce"' not in html
    for markup in ("<script>alert", "<img src=x", 'href="javascript:', 'href="//jahat', "jahat"):
        assert markup not in main_of(html), markup
    await untouched(client, order)


async def test_a_huge_input_is_refused_without_reading_it(console_as, client, hub):
    order = await held_order(client, hub, "Ibu Panjang", 1)
    session = await console_as(Role.staff)
    status, html = await looked_up(session, order["code"] + " " * 500)
    assert status == 400 and "Terlalu panjang untuk kode pesanan" in html
    assert "Ibu Panjang" not in html

    # Longer than any request line: the server refuses it before the console sees it.
    async with session.http.get(f"{PAGE}?kode={'A' * 100_000}") as response:
        assert 400 <= response.status < 500
    await untouched(client, order)


async def test_the_hand_over_form_refuses_what_no_page_of_ours_sent(
    console_as, stack, box, client, hub
):
    order = await held_order(client, hub, "Pak Formulir", 2)
    staff = await console_as(Role.staff)
    nonce = nonce_in(await staff.page(find(order["code"])))
    action = f"{PAGE}/{order['id']}"

    async with staff.http.post(
        action, data={"csrf": staff.csrf, "nonce": nonce, "pad": "x" * 20_000}
    ) as response:
        assert response.status == 413
    async with staff.http.post(action, data={"nonce": nonce}, allow_redirects=False) as missing:
        assert missing.status == 403
    random, _, mac = nonce.partition(".")
    for forged in ("", random, f"{random}.{'0' * len(mac)}", "a.b", "x" * 1_000):
        refused = await staff.submit(action, {"nonce": forged})
        assert refused.status == 403, forged[:20]

    other = ConsoleSession(stack["console"].url)
    try:
        await other.use_hub(hub)
        await other.sign_in(await make_operator(box.database_url, Role.staff))
        await other.page(PAGE)
        copied = await other.submit(action, {"nonce": nonce})
        assert copied.status == 403
    finally:
        await other.close()
    await untouched(client, order)


@pytest.mark.parametrize(
    "path",
    [
        f"{PAGE}/..%2F..%2Fv1%2Fpartners",
        f"{PAGE}/{quote('../../antrean', safe='')}",
        f"{PAGE}/{quote(str(uuid.UUID(int=0)) + '/../../antrean', safe='')}",
        f"{PAGE}/slip/..%2F..%2Fpesanan",
    ],
)
async def test_an_order_path_that_is_no_id_is_no_page(console_as, client, hub, path):
    order = await held_order(client, hub, "Ibu Jalur", 1)
    staff = await console_as(Role.staff)
    nonce = nonce_in(await staff.page(find(order["code"])))
    url = URL(staff.base_url + path, encoded=True)
    async with aiohttp.ClientSession(cookie_jar=staff.http.cookie_jar) as http:
        for method in ("GET", "POST"):
            async with http.request(
                method,
                url,
                data={"csrf": staff.csrf, "nonce": nonce},
                headers={"Accept": "text/html"},
                allow_redirects=False,
            ) as response:
                assert response.status in (404, 405), (method, path, response.status)
    await untouched(client, order)
