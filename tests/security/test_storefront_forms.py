"""The buyers' site's forms attacked as an outsider would, three ways each: forged posts,
answering another browser's phone check, links that lead elsewhere, markup in the answers, and
bodies too big or too many. Each is refused with a page (never a 500) and changes nothing."""

import uuid

import pytest

from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.storefront import (
    Visitor,
    codes_sent,
    new_phone,
    order_answers,
)


async def checks_of(database, phone: str) -> int:
    return await database.fetchval(
        "SELECT count(*) FROM storefront.phone_checks WHERE phone = $1", phone
    )


@pytest.mark.parametrize("forged", ["none", "wrong", "another browser's"])
async def test_a_post_without_this_browsers_form_token_is_refused(site, visitor, database, forged):
    phone = new_phone()
    await visitor.get(visitor.form_path)
    if forged == "another browser's":
        other = Visitor(site)
        await other.get(other.form_path)
        visitor.token = other.token
        await other.close()
    else:
        visitor.token = {"none": "", "wrong": "x" * 43}[forged]

    status, page, _ = await visitor.post(visitor.form_path + "/kode", order_answers(phone))

    assert status == 403 and "Formulir sudah kedaluwarsa" in page
    assert await checks_of(database, phone) == 0


@pytest.mark.parametrize("intruder", ["another browser", "a made-up check", "a malformed id"])
async def test_nobody_but_the_browser_that_asked_may_answer_its_check(
    site, visitor, whatsapp: WhatsAppCloudStub, database, intruder
):
    phone = new_phone()
    code_page = await visitor.ask_for_code(phone)
    [code] = await codes_sent(whatsapp, phone)
    target = {
        "another browser": code_page,
        "a made-up check": f"/kode/{uuid.uuid4()}",
        "a malformed id": "/kode/1' OR '1'='1",
    }[intruder]
    stranger = Visitor(site)
    try:
        await stranger.get(stranger.form_path)  # a token of its own
        answers = [
            await stranger.post(target, {"kode": code}),
            await stranger.post(target + "/ulang", {}),
        ]
        status, page = await stranger.get(target)
    finally:
        await stranger.close()

    assert {status for status, _, _ in answers} | {status} == {404}
    assert all("Halaman tidak ditemukan" in page for _, page, _ in answers)
    check = await database.fetchrow(
        "SELECT wrong_tries, verified_at FROM storefront.phone_checks WHERE phone = $1", phone
    )
    assert (check["wrong_tries"], check["verified_at"]) == (0, None)
    assert len(await codes_sent(whatsapp, phone)) == 1


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example/", "/\t/evil.example/"],
)
async def test_the_language_switch_sends_nobody_to_another_site(visitor, target):
    async with visitor.http.get(
        "/bahasa", params={"ke": "en", "next": target}, allow_redirects=False
    ) as response:
        assert (response.status, response.headers["Location"]) == (303, "/")


@pytest.mark.parametrize(
    ("field", "markup"),
    [
        ("name", "<script>alert(1)</script>"),
        ("region", '"><img src=x onerror=alert(1)>'),
        ("quantity", "1<svg onload=alert(1)>"),
    ],
)
async def test_markup_typed_into_a_form_comes_back_as_text_under_a_strict_policy(
    visitor, field, markup
):
    await visitor.get(visitor.form_path)
    async with visitor.http.post(
        visitor.form_path,
        data={"csrf": visitor.token, **order_answers(new_phone(), **{field: markup})},
    ) as response:
        page = await response.text()
        policy = response.headers["Content-Security-Policy"]

    assert markup not in page
    assert "&lt;" in page or "&#34;&gt;" in page
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.status in (200, 400)


@pytest.mark.parametrize(
    "body",
    [
        b"name=" + b"x" * 9_000,  # over the size any order form needs
        b"&".join(b"f%d=1" % n for n in range(1_500)),  # many fields, none of them ours
        b"name=%00%00&phone=%C0%AF&quantity=%F0%28%8C%BC",  # NULs and bytes that are no UTF-8
    ],
)
async def test_bodies_too_big_too_many_or_undecodable_get_a_page_and_change_nothing(
    visitor, database, body
):
    await visitor.get(visitor.form_path)
    before = await database.fetchval("SELECT count(*) FROM storefront.phone_checks")

    async with visitor.http.post(
        visitor.form_path + "/kode",
        data=b"csrf=" + visitor.token.encode() + b"&" + body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    ) as response:
        page = await response.text()

    assert 400 <= response.status < 500 and "<!doctype html>" in page
    assert await database.fetchval("SELECT count(*) FROM storefront.phone_checks") == before


async def test_the_form_token_lives_in_a_cookie_no_script_reads_and_no_other_site_sends(site):
    stranger = Visitor(site)
    try:
        async with stranger.http.get(stranger.form_path) as response:
            cookie = response.headers["Set-Cookie"]
    finally:
        await stranger.close()

    assert cookie.startswith("sf_form=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
