"""Attack: console path values and cookies pasted into backend URLs.

A viewer's `GET /pesanan/..%2Fpartners` made the console call `GET /v1/partners`; a staff
member's `POST /antrean/..%2F..%2Fv1%2Fpartners%2F{id}%2Fkeys%3F/batal` reached admin-only key
rotation. Ids are now checked as what they are at the console's routes (no page: 404), values
become one escaped segment of a backend URL, and the console calls with the operator's role
token anyway, so nothing reaches what the role may not do.
"""

import aiohttp
import pytest
from yarl import URL

from services.console.accounts import Role
from tools.client import HubClient

PARTNER_ID = "{partner_id}"
GETS = [
    "/pesanan/..%2Fpartners",
    "/pesanan/..%2F..%2Fv1%2Fpartners",
    "/pesanan/%2E%2E%2Fpartners",
    "/pesanan/..%5Cpartners",
    "/produsen/..%2F..%2F..%2Forders%2Fv1%2Fpartners",
    "/loket/setoran/..%2F..%2Fpartners",
    "/antrean?sku=..%2F..%2F..%2F..%2Fv1%2Fpartners",
    "/laporan/antrean?produk=..%2F..%2F..%2Fpartners",
    "/program/..%2F..%2Fv1%2Fpartners",
    "/program/00000000-0000-4000-8000-000000000000/undian/..%2F..%2F..%2Fpartners",
    "/program/00000000-0000-4000-8000-000000000000/permohonan/..%2F..%2Fpartners",
]
POSTS = [
    f"/antrean/..%2F..%2Fv1%2Fpartners%2F{PARTNER_ID}%2Fkeys%3F/batal",
    f"/antrean/..%2F..%2Fv1%2Fpartners%2F{PARTNER_ID}%2Fkeys%23/diambil",
    f"/produsen/..%2F..%2Fv1%2Fpartners%2F{PARTNER_ID}%2Fkeys%3F/kekurangan",
    f"/kekurangan/..%2F..%2Fpartners%2F{PARTNER_ID}%2Fkeys%3F/selesai",
    f"/program/..%2F..%2Fv1%2Fpartners%2F{PARTNER_ID}%2Fkeys%3F/undi",
    f"/program/..%2F..%2Fv1%2Fpartners%2F{PARTNER_ID}%2Fkeys%3F/permohonan",
]


async def raw(session, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
    """The path sent exactly as written (a client would otherwise decode and normalise it),
    with the session's cookies."""
    url = URL(session.base_url + path, encoded=True)
    async with aiohttp.ClientSession(cookie_jar=session.http.cookie_jar) as http:
        async with http.request(
            method, url, data=data, headers={"Accept": "text/html"}, allow_redirects=False
        ) as answer:
            return answer.status, await answer.text()


async def keys_of(client: HubClient, partner_id: str) -> list[dict]:
    answer = await client.call(
        "orders", "GET", f"/v1/partners/{partner_id}", headers=client.as_operator()
    )
    return answer["keys"]


@pytest.mark.parametrize("path", GETS)
async def test_a_viewers_crafted_path_reaches_no_other_route(console_as, partner, path):
    session = await console_as(Role.viewer)
    status, page = await raw(session, "GET", path)
    assert status in (404, 422), page[:1000]  # no such page, or a form's field named
    assert partner["partner"]["name"] not in page


@pytest.mark.parametrize("path", POSTS)
async def test_a_staff_members_crafted_post_rotates_no_key(console_as, client, partner, path):
    session = await console_as(Role.staff)
    await session.page("/antrean")
    partner_id = partner["partner"]["id"]
    before = await keys_of(client, partner_id)
    status, page = await raw(
        session,
        "POST",
        path.replace(PARTNER_ID, partner_id),
        {"csrf": session.csrf, "previous_key_valid_seconds": "0"},
    )
    assert status == 404, page[:1000]
    assert await keys_of(client, partner_id) == before


async def test_a_hub_cookie_is_no_path(console_as, partner):
    session = await console_as(Role.viewer)
    session.http.cookie_jar.update_cookies({"plut_hub": "../../v1/partners"})
    async with session.http.get("/antrean") as answer:
        page = await answer.text()
    assert answer.status != 500
    assert partner["partner"]["name"] not in page


async def test_a_staff_member_still_may_not_reach_partners_through_the_console(
    console_as, client, partner
):
    session = await console_as(Role.staff)
    await session.page("/antrean")
    partner_id = partner["partner"]["id"]
    before = await keys_of(client, partner_id)
    rotated = await session.submit(f"/mitra/{partner_id}/kunci", {"grace_hours": "0"})
    assert rotated.status == 403
    assert await keys_of(client, partner_id) == before
