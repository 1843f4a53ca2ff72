"""The other services, as the console calls them: over HTTP with the operator token, in the
operator's language, passing the request's correlation id on.

The console reads no other service's tables: everything it shows comes through these calls.
"""

from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from shared.problems import Text
from shared.web import CORRELATION_HEADER, current_correlation_id

SERVICES = ("intake", "orders", "allocator", "notifier")


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


class Backends:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        urls: dict[str, str],
        operator_token: SecretStr | None,
    ):
        self._session = session
        self._urls = urls
        token = operator_token.get_secret_value() if operator_token else ""
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        language: str = "id",
        params: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer; a BackendError for any status of 400 or more."""
        sent = {
            **self._auth,
            CORRELATION_HEADER: current_correlation_id(),
            "Accept-Language": language,
            **(headers or {}),
        }
        url = self._urls[service] + path
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

    async def get(self, service: str, path: str, **options: Any) -> Any:
        return await self.call(service, "GET", path, **options)

    async def post(self, service: str, path: str, **options: Any) -> Any:
        return await self.call(service, "POST", path, **options)


BACKENDS = web.AppKey("backends", Backends)
