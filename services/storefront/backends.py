"""The other services as the site calls them: the orders API with the site's own partner key
(the site holds no more power than a partner), the public reads of the allocator and intake,
and the notifier's phone codes with the operator token. The correlation id goes along.
"""

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from shared.web import CORRELATION_HEADER, current_correlation_id


class BackendError(Exception):
    """A service refused (`status` and its problem document) or could not be reached (503)."""

    def __init__(self, service: str, status: int, problem: dict[str, Any]):
        super().__init__(f"{service} answered {status}: {problem.get('title')}")
        self.service = service
        self.status = status
        self.problem = problem


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    token: str  # "" for the public reads

    def headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        sent = {CORRELATION_HEADER: current_correlation_id(), **(extra or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        return sent


class Backends:
    def __init__(self, session: aiohttp.ClientSession, backends: dict[str, Backend]):
        self._session = session
        self._backends = backends

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer; a BackendError for any status of 400 or more."""
        backend = self._backends[service]
        try:
            async with self._session.request(
                method,
                backend.url + path,
                params=params,
                json=body,
                headers=backend.headers(headers),
            ) as response:
                raw = await response.read()
                answer = json.loads(raw) if raw else None
                if response.status >= 400:
                    raise BackendError(service, response.status, answer or {})
                return answer
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise BackendError(service, 503, {"title": repr(error)}) from None

    async def get(self, service: str, path: str, **options: Any) -> Any:
        return await self.call(service, "GET", path, **options)

    async def post(self, service: str, path: str, **options: Any) -> Any:
        return await self.call(service, "POST", path, **options)


BACKENDS = web.AppKey("backends", Backends)
