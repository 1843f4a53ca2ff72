"""Attack: reading an operator's session off a plain-HTTP hop.

The console's cookies were sent over plain HTTP unless the operator remembered to set
SECURE_COOKIES. They are now Secure unless turned off (SECURE_COOKIES=false, as the local
stack and these tests' shared console run on plain HTTP).
"""

import pytest

from services.console.accounts import Role
from tests.support.console import ConsoleSession
from tests.support.replicas import own_replica


@pytest.fixture(scope="module")
async def console(stack, tmp_path_factory):
    env = {"SECURE_COOKIES": ""}  # unset: the default
    async with own_replica(stack, "console", tmp_path_factory.mktemp("cookies"), env) as running:
        yield running.url


async def test_every_cookie_is_secure_by_default(console, operators):
    session = ConsoleSession(console, secure=True)
    try:
        async with session.http.get("/masuk") as form:
            assert form.cookies["plut_signin"]["secure"]
            session.csrf = (await form.text()).split('name="csrf" value="')[1].split('"')[0]
        signed_in = await session.submit(
            "/masuk",
            {
                "username": operators[Role.viewer].username,
                "password": operators[Role.viewer].password,
            },
        )
        assert signed_in.cookies["plut_session"]["secure"]
        assert signed_in.cookies["plut_session"]["httponly"]
        async with session.http.get("/bahasa?ke=en&next=/", allow_redirects=False) as switched:
            assert switched.cookies["plut_lang"]["secure"]
        await session.page("/")
        hub = await session.submit("/hub", {"hub": "kalteng", "next": "/"})
        assert hub.cookies["plut_hub"]["secure"]
    finally:
        await session.close()


async def test_turned_off_only_when_the_operator_says_so(stack):
    session = ConsoleSession(stack["console"].url)
    try:
        async with session.http.get("/masuk") as form:
            assert not form.cookies["plut_signin"]["secure"]
    finally:
        await session.close()
