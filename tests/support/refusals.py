"""Checking that a bad request is refused as a problem document and leaves no trace."""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg

from tests.support.bus import EventTap

PROBLEM_JSON = "application/problem+json"


@dataclass
class Refusal:
    status: int
    problem: dict[str, Any]

    @property
    def fields(self) -> set[str]:
        return {error["field"] for error in self.problem.get("errors", [])}


@dataclass(frozen=True)
class BadRequest:
    """One bad request and how it must be refused."""

    name: str
    body: Any  # JSON-able, or bytes sent as they are
    status: int
    fields: set[str] = field(default_factory=set)
    content_type: str = "application/json"


async def send(
    session: aiohttp.ClientSession,
    url: str,
    request: BadRequest,
    headers: dict[str, str] | None = None,
) -> Refusal:
    data = request.body if isinstance(request.body, bytes) else json.dumps(request.body).encode()
    headers = {**(headers or {}), "Content-Type": request.content_type}
    async with session.post(url, data=data, headers=headers) as response:
        assert response.content_type == PROBLEM_JSON, await response.text()
        return Refusal(response.status, await response.json(content_type=None))


def assert_refused(refusal: Refusal, request: BadRequest) -> None:
    assert refusal.status == request.status, refusal.problem
    assert refusal.problem["status"] == request.status
    assert refusal.problem["type"].startswith("/problems/")
    assert refusal.problem["title"]
    assert request.fields <= refusal.fields, refusal.problem


async def row_counts(database: asyncpg.Connection, schema: str, hub: str) -> dict[str, int]:
    """A hub's rows in each table of a service's schema, to prove nothing was written.
    (The outbox has no hub column; the sentinel event check covers it.)"""
    tables = await database.fetch(
        """
        SELECT table_name FROM information_schema.columns
        WHERE table_schema = $1 AND column_name = 'hub'
        """,
        schema,
    )
    return {
        row["table_name"]: await database.fetchval(
            f'SELECT count(*) FROM "{schema}"."{row["table_name"]}" WHERE hub = $1', hub
        )
        for row in tables
    }


async def assert_no_event_since(tap: EventTap, seen_before: int, hub: str, sentinel) -> None:
    """Events from one service leave in order, so once `sentinel` (a good request's event) has
    arrived, any event of the bad request would have arrived before it. Only events of the
    sentinel's type count: the setup's own (the hub, its producer) may still be arriving, and
    the other services' answers to the sentinel may come at any time."""
    marker = await sentinel()
    sent = await tap.wait_for(
        lambda e: e.payload.get(marker[0]) == marker[1], what="from the sentinel"
    )
    later = [e for e in tap.events[seen_before:] if e.hub == hub and e.type == sent.type]
    assert [e.payload.get(marker[0]) for e in later] == [marker[1]], [e.type for e in later]


def unknown_id() -> str:
    return str(uuid.uuid4())
