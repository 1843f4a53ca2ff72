"""Attack: the console's redirects used to send a browser to another site.

`GET /bahasa?ke=en&next=%2F%09%2Fevil.example` answered `Location: //evil.example` (the check
read the raw string; the HTTP library then dropped the TAB). Every way of writing another site
that browsers accept is sent home instead, by the language switch, the sign-in form and the hub
switch alike; a path on the console is kept.
"""

import aiohttp
import pytest

from services.console.accounts import Role
from tests.support.console import ConsoleSession

OFF_SITE = [
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/\n/evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",
    "/\x7f/evil.example",
    "javascript:alert(1)",
    "evil.example",
]


def landed_off_site(location: str) -> bool:
    """Where a browser goes with this Location: anything but a single-slash path is another
    site (after it drops TAB, CR, LF and reads backslashes as slashes, as browsers do)."""
    seen = location.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/")
    return not seen.startswith("/") or seen.startswith("//")


@pytest.mark.parametrize("target", OFF_SITE)
async def test_the_language_switch_never_sends_a_browser_off_site(stack, target):
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{stack['console'].url}/bahasa",
            params={"ke": "en", "next": target},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
async def test_sign_in_never_sends_a_browser_off_site(stack, operators, target):
    account = operators[Role.viewer]
    session = ConsoleSession(stack["console"].url)
    try:
        await session.page("/masuk")
        signed_in = await session.submit(
            "/masuk", {"username": account.username, "password": account.password, "next": target}
        )
        assert signed_in.status == 303
        assert signed_in.headers["Location"] == "/"
        # The form it offers carries no off-site target either.
        page = await session.page("/masuk?next=" + aiohttp.helpers.quote(target, safe=""))
        assert '<input type="hidden" name="next" value="/">' in page
    finally:
        await session.close()


async def test_the_hub_switch_never_sends_a_browser_off_site(console_as):
    session = await console_as(Role.viewer)
    await session.page("/")
    for target in OFF_SITE[:4]:
        switched = await session.submit("/hub", {"hub": "kalteng", "next": target})
        assert switched.status == 303
        assert not landed_off_site(switched.headers["Location"])


async def test_a_path_on_the_console_is_kept(stack):
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{stack['console'].url}/bahasa",
            params={"ke": "id", "next": "/antrean?sku=masker-kain"},
            allow_redirects=False,
        ) as answer:
            assert answer.headers["Location"] == "/antrean?sku=masker-kain"
