"""What the attack tests of tests/security share: a refusal caught as the client sees it, and a
plain TCP listener that records whoever connects to it (an internal service an attacker aims at).
"""

import asyncio
from dataclasses import dataclass, field
from typing import Literal

import pytest

from tests.support.stack import free_port
from tools.client import ApiError


async def refusal(call) -> ApiError:
    """The ApiError that `call` (an awaitable of HubClient) must raise."""
    with pytest.raises(ApiError) as refused:
        await call
    return refused.value


def fields_of(error: ApiError) -> dict[str, str]:
    """The problem's field errors: field -> code."""
    return {item["field"]: item["code"] for item in error.body.get("errors", [])}


@dataclass
class Listener:
    """A TCP port on a loopback address that counts connections, and answers each as told:
    `http` (a 204), `reset` (closes at once) or `hang` (reads and never answers)."""

    host: str = "127.0.0.1"
    behaviour: Literal["http", "reset", "hang"] = "http"
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _hanging: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    async def start(self) -> "Listener":
        self.port = free_port(self.host)
        self._server = await asyncio.start_server(self._connected, self.host, self.port)
        return self

    async def stop(self) -> None:
        for writer in self._hanging:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.connections += 1
        if self.behaviour == "reset":
            writer.transport.abort()
            return
        await reader.readuntil(b"\r\n\r\n")
        if self.behaviour == "hang":
            self._hanging.append(writer)
            return
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
