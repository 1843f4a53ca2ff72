"""The console as a test drives it without a browser: operators of each role, and an HTTP
session that signs in, keeps its cookies and sends the CSRF token back like a form would."""

import re
import uuid
from dataclasses import dataclass

import aiohttp
import asyncpg

from services.console import accounts
from services.console.accounts import Role

PASSWORD = "kata-sandi-uji-123"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: Role


async def make_operator(database_url: str, role: Role) -> Account:
    """A new operator of `role` in the console's schema (which the running console made)."""
    username = f"{role.name}-{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "console"})
    try:
        await accounts.create(
            conn, username=username, name=f"Uji {role.name}", role=role, password=PASSWORD
        )
    finally:
        await conn.close()
    return Account(username, PASSWORD, role)


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class ConsoleSession:
    """A browser-like session: cookies kept (loopback is an IP, hence `unsafe`), HTML asked
    for, the page's CSRF token kept from the last page read. `secure`: a console with Secure
    cookies, on plain HTTP here, taken for HTTPS as a browser takes localhost; `headers` go
    with every request (an X-Forwarded-For, say)."""

    def __init__(self, base_url: str, *, secure: bool = False, headers: dict | None = None):
        self.base_url = base_url
        self.http = aiohttp.ClientSession(
            base_url,
            cookie_jar=aiohttp.CookieJar(
                unsafe=True, treat_as_secure_origin=base_url if secure else None
            ),
            headers={"Accept": "text/html", **(headers or {})},
        )
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def page(self, path: str, status: int = 200) -> str:
        async with self.http.get(path) as response:
            html = await response.text()
            assert response.status == status, f"GET {path}: {response.status}\n{html[:2000]}"
        if found := _CSRF.search(html):
            self.csrf = found.group(1)
        return html

    async def submit(
        self, path: str, fields: dict, *, follow: bool = False
    ) -> aiohttp.ClientResponse:
        """POST a form with the CSRF token; the response is read and released."""
        async with self.http.post(
            path, data={"csrf": self.csrf, **fields}, allow_redirects=follow
        ) as response:
            await response.read()
            return response

    async def sign_in(self, account: Account) -> None:
        await self.page("/masuk")
        response = await self.submit(
            "/masuk", {"username": account.username, "password": account.password, "next": "/"}
        )
        assert response.status == 303, f"sign-in answered {response.status}"

    async def use_hub(self, hub: str) -> None:
        self.http.cookie_jar.update_cookies({"plut_hub": hub})
