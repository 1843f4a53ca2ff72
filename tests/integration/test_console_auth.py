"""Signing in to the console: passwords, sessions, CSRF, sign-out, lock-out."""

import aiohttp

from services.console.accounts import Role
from tests.support.console import ConsoleSession, make_operator
from tests.support.stack_env import OPERATOR_VIEWER_TOKEN


async def test_a_signed_out_browser_is_sent_to_sign_in_and_a_script_gets_401(stack):
    async with aiohttp.ClientSession() as http:
        url = stack["console"].url
        async with http.get(
            f"{url}/antrean?sku=x", headers={"Accept": "text/html"}, allow_redirects=False
        ) as page:
            assert page.status == 303
            assert page.headers["Location"] == "/masuk?next=/antrean?sku%3Dx"
        async with http.get(f"{url}/antrean", headers={"Accept": "application/json"}) as script:
            assert script.status == 401
            assert (await script.json())["type"] == "/problems/not-signed-in"


async def test_sign_in_with_the_right_password_only(stack, operators):
    account = operators[Role.staff]
    session = ConsoleSession(stack["console"].url)
    try:
        await session.page("/masuk")
        wrong = await session.submit(
            "/masuk", {"username": account.username, "password": "bukan-ini-sandinya"}
        )
        assert wrong.status == 401
        assert "plut_session" not in {c.key for c in session.http.cookie_jar}

        await session.sign_in(account)
        cookie = next(c for c in session.http.cookie_jar if c.key == "plut_session")
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
    finally:
        await session.close()


async def test_a_form_without_its_csrf_token_changes_nothing(stack, operators):
    session = ConsoleSession(stack["console"].url)
    try:
        await session.sign_in(operators[Role.admin])
        session.csrf = "forged"
        refused = await session.submit("/keluar", {})
        assert refused.status == 403
        # Still signed in: the forged sign-out did nothing.
        async with session.http.get("/antrean", allow_redirects=False) as page:
            assert page.status != 303
    finally:
        await session.close()


async def test_sign_out_ends_the_session_on_the_server(stack, operators):
    session = ConsoleSession(stack["console"].url)
    try:
        await session.sign_in(operators[Role.viewer])
        token = next(c.value for c in session.http.cookie_jar if c.key == "plut_session")
        # Any page of a signed-in operator carries the session's CSRF token (here: not found).
        await session.page("/hilang", status=404)
        signed_out = await session.submit("/keluar", {})
        assert signed_out.status == 303
        # The old cookie, replayed, is worth nothing now.
        async with aiohttp.ClientSession(cookies={"plut_session": token}) as replay:
            async with replay.get(
                f"{stack['console'].url}/antrean", headers={"Accept": "application/json"}
            ) as answer:
                assert answer.status == 401
    finally:
        await session.close()


async def test_after_five_wrong_passwords_the_source_waits_before_the_next(stack, box):
    account = await make_operator(box.database_url, Role.staff)
    session = ConsoleSession(stack["console"].url)
    try:
        for _ in range(5):
            await session.page("/masuk")
            wrong = await session.submit("/masuk", {"username": account.username, "password": "x"})
            assert wrong.status == 401
        await session.page("/masuk")
        right_but_locked = await session.submit(
            "/masuk", {"username": account.username, "password": account.password}
        )
        # Refused before its password is checked, saying how long to wait.
        assert right_but_locked.status == 429
        assert int(right_but_locked.headers["Retry-After"]) > 0
    finally:
        await session.close()


async def test_the_next_page_after_sign_in_stays_on_this_console(stack, operators):
    account = operators[Role.staff]
    session = ConsoleSession(stack["console"].url)
    try:
        await session.page("/masuk")
        response = await session.submit(
            "/masuk",
            {"username": account.username, "password": account.password, "next": "//evil.test/"},
        )
        assert response.headers["Location"] == "/"
    finally:
        await session.close()


async def test_pages_forbid_framing_outside_scripts_and_referrers(stack):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack['console'].url}/masuk") as page:
            policy = page.headers["Content-Security-Policy"]
            assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
            assert page.headers["Referrer-Policy"] == "no-referrer"
            assert page.headers["Cache-Control"] == "no-store"
        async with http.get(
            f"{stack['console'].url}/", headers={"Accept": "text/html"}, allow_redirects=False
        ) as redirect:
            assert redirect.status == 303
            assert redirect.headers["X-Content-Type-Options"] == "nosniff"


async def test_only_the_reports_exports_take_an_operator_token_and_only_a_right_one(stack, hub):
    """What `plut export` relies on, and no more: the exports read what the token reads at the
    services anyway; every page and every change still needs a session."""
    url = stack["console"].url
    viewer = {"Authorization": f"Bearer {OPERATOR_VIEWER_TOKEN}"}
    queue = f"{url}/laporan/antrean?produk=masker-kain"
    async with aiohttp.ClientSession(cookies={"plut_hub": hub}) as http:
        async with http.get(f"{queue}&format=csv", headers=viewer) as export:
            assert export.status == 200, await export.text()
            assert export.headers["Content-Type"].startswith("text/csv")
        wrong = {"Authorization": "Bearer bukan-token-operator"}
        async with http.get(queue, headers=wrong) as refused:
            assert refused.status == 401
            assert (await refused.json())["type"] == "/problems/unauthorised"
        async with http.get(f"{url}/antrean", headers=viewer) as page:
            assert page.status == 401
            assert (await page.json())["type"] == "/problems/not-signed-in"
        async with http.post(f"{url}/keluar", headers=viewer) as change:
            assert change.status == 401
