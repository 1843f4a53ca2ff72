"""Attack: guessing operators' passwords, and locking operators out.

41 concurrent sign-ins used to have 14 passwords checked in one lock window, and five wrong
passwords from anyone locked the operator out. Attempts are now reserved in Postgres before the
password is checked, per username and source address: a burst checks five, the source then
waits longer after each further one, and the operator signs in from elsewhere as usual.

These run against a console of their own that trusts X-Forwarded-For from loopback, so that
each test plays as many sources as it needs.
"""

import asyncio
import re
import uuid

import aiohttp
import asyncpg
import pytest

from services.console.accounts import Role
from tests.support.console import make_operator
from tests.support.replicas import own_replica

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSED = "UPDATE sign_in_attempts SET not_before = now() WHERE username = $1 AND source = $2"


@pytest.fixture(scope="module")
async def console(stack, tmp_path_factory):
    env = {"TRUSTED_PROXIES": "127.0.0.1", "SECURE_COOKIES": ""}  # Secure cookies: the default
    async with own_replica(stack, "console", tmp_path_factory.mktemp("sign-in"), env) as running:
        yield running.url


def a_source() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


class SignIn:
    """Sign-in forms posted as a browser would, from `source`, many at once if need be."""

    def __init__(self, console: str, source: str):
        self.console, self.source = console, source

    async def attempts(self, username: str, passwords: list[str]) -> list[aiohttp.ClientResponse]:
        forwarded = {"X-Forwarded-For": self.source, "Accept": "text/html"}
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            async with http.get(f"{self.console}/masuk", headers=forwarded) as form:
                token = _CSRF.search(await form.text()).group(1)
                cookie = form.cookies["plut_signin"].value

            async def post(password: str) -> aiohttp.ClientResponse:
                async with http.post(
                    f"{self.console}/masuk",
                    data={"csrf": token, "username": username, "password": password},
                    headers={**forwarded, "Cookie": f"plut_signin={cookie}"},
                    allow_redirects=False,
                ) as answer:
                    await answer.read()
                    return answer

            return await asyncio.gather(*(post(password) for password in passwords))


def statuses(answers: list[aiohttp.ClientResponse]) -> list[int]:
    return sorted(answer.status for answer in answers)


async def test_a_burst_of_41_checks_five_passwords(console, box):
    account = await make_operator(box.database_url, Role.admin)
    attacker = SignIn(console, a_source())
    # The right password sent 13th in the burst, as the attacker did.
    burst = [f"tebakan-{n}" for n in range(41)]
    burst[12] = account.password
    answers = await attacker.attempts(account.username, burst)
    checked = [answer for answer in answers if answer.status != 429]
    assert len(checked) == 5
    assert len(answers) - len(checked) == 36
    assert all(int(answer.headers["Retry-After"]) > 0 for answer in answers if answer.status == 429)
    # The right password got in only if its turn came among the five checked; if not, the
    # attacker waits for it like for any other.
    assert {answer.status for answer in checked} <= {401, 303}
    if all(answer.status == 401 for answer in checked):
        (again,) = await attacker.attempts(account.username, [account.password])
        assert again.status == 429


async def test_a_strangers_wrong_passwords_do_not_lock_the_operator_out(console, box):
    account = await make_operator(box.database_url, Role.staff)
    stranger = SignIn(console, a_source())
    assert (
        statuses(await stranger.attempts(account.username, ["salah"] * 8)) == [401] * 5 + [429] * 3
    )
    # The operator at their own desk signs in as usual, with Secure cookies.
    (signed_in,) = await SignIn(console, "203.0.113.20").attempts(
        account.username, [account.password]
    )
    assert signed_in.status == 303
    assert signed_in.cookies["plut_session"]["secure"]
    assert signed_in.cookies["plut_session"]["httponly"]


async def test_a_forged_forwarded_for_does_not_make_a_new_source(console, box):
    account = await make_operator(box.database_url, Role.viewer)
    source = a_source()
    assert statuses(await SignIn(console, source).attempts(account.username, ["salah"] * 6)) == [
        401
    ] * 5 + [429]
    # Only the address our trusted proxy (loopback here) added counts; what the client wrote
    # before it is its own to make up.
    (forged,) = await SignIn(console, f"192.0.2.77, {source}").attempts(
        account.username, [account.password]
    )
    assert forged.status == 429


async def test_unknown_usernames_are_counted_alike(console):
    """So neither the answer nor the count tells which usernames exist."""
    attacker = SignIn(console, a_source())
    answers = await attacker.attempts(f"tidak-ada-{uuid.uuid4().hex[:6]}", ["salah"] * 9)
    assert statuses(answers) == [401] * 5 + [429] * 4


async def test_the_wait_grows_after_each_further_attempt(console, box):
    account = await make_operator(box.database_url, Role.staff)
    source = a_source()
    attacker = SignIn(console, source)
    assert statuses(await attacker.attempts(account.username, ["salah"] * 5)) == [401] * 5
    waits = []
    conn = await asyncpg.connect(box.database_url, server_settings={"search_path": "console"})
    try:
        for _ in range(3):
            (refused,) = await attacker.attempts(account.username, [account.password])
            assert refused.status == 429
            waits.append(int(refused.headers["Retry-After"]))
            # The wait passes (as time would): the next attempt is checked, and sets a longer one.
            await conn.execute(PASSED, account.username, source)
            (checked,) = await attacker.attempts(account.username, ["salah lagi"])
            assert checked.status == 401
    finally:
        await conn.close()
    assert 25 <= waits[0] <= 30 and 55 <= waits[1] <= 60 and 115 <= waits[2] <= 120
