"""The other services, as the console calls them: over HTTP with the token of the signed-in
operator's role, in the operator's language, passing the request's correlation id on.

The console reads no other service's tables: everything it shows comes through these calls.
What a page was given (a path's id, a form's product, the hub cookie) only ever becomes one
segment of a backend URL: a path is a tuple of segments, each escaped whole (`/`, `?`, `%` and
all), and `.`/`..` or an empty segment are refused, so nothing typed can reach another route
(`/pesanan/..%2Fpartners` asking for `/v1/partners`). The pages validate ids as what they are
first (`UUID` and `CODE` in their routes); this is the net under them.
"""

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from yarl import URL

from services.console.sessions import OPERATOR
from shared.operators import Role
from shared.problems import Problem, Text
from shared.web import CORRELATION_HEADER, current_correlation_id

SERVICES = ("intake", "orders", "allocator", "notifier")
# In a route: `/pesanan/{id:` + UUID + `}`; anything else is no page (404).
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Hubs and products: shared/fields.py's CODE_PATTERN, as the services take them.
CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_LENGTH = range(2, 41)
# A partner key's prefix (services/orders/partners/keys.py: 12 hex digits).
KEY_PREFIX = r"[0-9a-f]{6,32}"


def is_code(value: str) -> bool:
    return len(value) in CODE_LENGTH and CODE.fullmatch(value) is not None


class BackendError(Exception):
    """A service refused or failed; `problem` is its problem document (already in the
    operator's language), so a page can show its title and the fields it names."""

    def __init__(self, service: str, status: int, problem: dict[str, Any]):
        super().__init__(f"{service} answered {status}: {problem.get('title')}")
        self.service = service
        self.status = status
        self.problem = problem

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        return self.problem.get("errors", [])


UNREACHABLE = Text("Layanan {service} tidak terjangkau", "The {service} service is unreachable")
NO_SUCH_PAGE = Problem(404, "not-found", Text("Tidak ditemukan", "Not found"))


def url_path(segments: Sequence[object]) -> str:
    """("v1", "orders", order_id) -> "/v1/orders/<order_id, escaped>"."""
    parts = [str(segment) for segment in segments]
    if any(part in ("", ".", "..") for part in parts):
        raise NO_SUCH_PAGE
    return "".join("/" + quote(part, safe="") for part in parts)


def _no_token(role: Role) -> Problem:
    variable = "OPERATOR_TOKEN" if role is Role.admin else f"OPERATOR_{role.name.upper()}_TOKEN"
    return Problem(
        503,
        "role-has-no-token",
        Text(
            f"Konsol belum diberi token untuk peran {role.name}",
            f"The console has no token for the {role.name} role",
        ),
        Text(
            f"Atur {variable} pada konsol dan layanan",
            f"Set {variable} on the console and services",
        ),
    )


class Backends:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        urls: dict[str, str],
        tokens: dict[str, SecretStr],
    ):
        self._session = session
        self._urls = urls
        self._tokens = {Role[role]: token.get_secret_value() for role, token in tokens.items()}

    async def call(
        self,
        role: Role,
        service: str,
        method: str,
        path: Sequence[object],
        *,
        language: str = "id",
        params: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer; a BackendError for any status of 400 or more."""
        if role not in self._tokens:
            raise _no_token(role)
        sent = {
            "Authorization": f"Bearer {self._tokens[role]}",
            CORRELATION_HEADER: current_correlation_id(),
            "Accept-Language": language,
            **(headers or {}),
        }
        # Escaped here, once: yarl must not unescape or normalise it again.
        url = URL(self._urls[service] + url_path(path), encoded=True)
        try:
            async with self._session.request(
                method, url, params=params, json=json, headers=sent
            ) as response:
                body = (
                    await response.json(content_type=None) if response.content_length != 0 else None
                )
                if response.status >= 400:
                    raise BackendError(service, response.status, body or {})
                return body
        except (aiohttp.ClientConnectionError, TimeoutError) as error:
            message = UNREACHABLE.in_language(language).format(service=service)
            raise BackendError(service, 503, {"title": message, "detail": repr(error)}) from None


class OperatorBackends:
    """The services as one signed-in operator may call them: with their role's token."""

    def __init__(self, backends: Backends, role: Role):
        self._backends = backends
        self._role = role

    async def call(self, service: str, method: str, path: Sequence[object], **options: Any) -> Any:
        return await self._backends.call(self._role, service, method, path, **options)

    async def get(self, service: str, path: Sequence[object], **options: Any) -> Any:
        return await self.call(service, "GET", path, **options)

    async def post(self, service: str, path: Sequence[object], **options: Any) -> Any:
        return await self.call(service, "POST", path, **options)


BACKENDS = web.AppKey("backends", Backends)


def backends_of(request: web.Request) -> OperatorBackends:
    """The services, as the request's operator may call them (pages are for signed-in
    operators only: sessions.py has sent anyone else to sign in)."""
    return OperatorBackends(request.app[BACKENDS], request[OPERATOR].role)
