"""Idempotent POSTs: the same `Idempotency-Key` with the same request gets the first answer
back, byte for byte, for at least a day; with another request, 422; while the first is still
being answered, 409.

A caller's keys are its own (a partner's cannot collide with another's). The answer is stored
in the transaction that made the change, so a change never exists without its answer.
"""

import dataclasses
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import structlog
from aiohttp import web

from services.orders.auth import Caller
from services.orders.store.keys import CLAIM, STORE, STORED_MEANWHILE
from shared.openapi import Header
from shared.problems import FieldError, Kind, Problem, Text, invalid
from shared.web import DATABASE

log = structlog.get_logger(__name__)

HEADER = "Idempotency-Key"
_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, as the IETF draft says
_KEY = re.compile(_PATTERN)
# Required in the documents, so a generated client asks for it: a partner must send one (the
# operator token may leave it out, and may send one too).
IDEMPOTENCY_KEY = Header(
    HEADER,
    Text(
        "Wajib bagi mitra pada POST: ulangan dengan kunci dan isi yang sama mendapat jawaban"
        " pertama, selama paling sedikit 24 jam. Satu kunci baru (mis. UUID) per tindakan.",
        "Required of partners on POSTs: a retry with the same key and body gets the first"
        " answer back, for at least 24 hours. One new key (a UUID, say) per action.",
    ),
    required=True,
    schema={"type": "string", "pattern": _PATTERN},
    example="5f0c6a52-3b8e-4c1e-9a57-0f3a4c2d9b10",
)
# On an operator-only POST: the operator token may leave the key out.
OPERATOR_IDEMPOTENCY_KEY = dataclasses.replace(IDEMPOTENCY_KEY, required=False)

KEY_REQUIRED = Kind(
    400, "idempotency-key-required", Text("Idempotency-Key wajib", "Idempotency-Key required")
)
KEY_IN_FLIGHT = Kind(
    409,
    "idempotency-key-in-flight",
    Text("Permintaan dengan kunci ini sedang diproses", "A request with this key is in flight"),
)
KEY_REUSED = Kind(
    422,
    "idempotency-key-reused",
    Text("Idempotency-Key sudah dipakai", "Idempotency-Key already used"),
)


@dataclass(frozen=True)
class Answer:
    """What to send back: kept whole, so a retried request gets exactly the first answer."""

    status: int
    body: str  # JSON
    replayed: bool = False

    def response(self) -> web.Response:
        response = web.Response(text=self.body, status=self.status, content_type="application/json")
        if self.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response


def key_of(request: web.Request, *, required: bool) -> str | None:
    key = request.headers.get(HEADER)
    if key is None and required:
        raise KEY_REQUIRED.problem(
            Text(
                "Kirim header Idempotency-Key (mis. UUID baru) agar permintaan aman diulang",
                "Send an Idempotency-Key header (a new UUID, say) so the request is safe to retry",
            ),
        )
    if key is not None and not _KEY.match(key):
        raise invalid(
            FieldError(
                HEADER,
                "invalid_header",
                Text("1-255 karakter ASCII tanpa spasi", "1-255 printable ASCII characters"),
            )
        )
    return key


async def once(
    conn: asyncpg.Connection,
    owner: str,
    key: str | None,
    request: str,
    act: Callable[[asyncpg.Connection], Awaitable[Answer]],
) -> Answer:
    """Run `act` in a transaction, once per (owner, key); `request` names what is asked
    (method, path and body), to tell a retry from another request under the same key.

    Without a key, `act` simply runs. A problem `act` raises rolls back and is not stored, so
    a request refused for bad input may be retried with the same key once it is corrected.
    """
    if key is None:
        async with conn.transaction():
            return await act(conn)
    request_hash = hash_of(request)
    try:
        return await _once(conn, owner, key, request_hash, act)
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != STORED_MEANWHILE:
            raise
        # The first request committed as this one claimed the key: its answer is there now.
        return await _once(conn, owner, key, request_hash, act)


def hash_of(request: str) -> str:
    return hashlib.sha256(request.encode()).hexdigest()


def what_is_asked(request: web.Request, body: str) -> str:
    """Method, path and body: what tells a retry from another request under the same key."""
    return f"{request.method} {request.path}\n{body}"


async def _once(
    conn: asyncpg.Connection,
    owner: str,
    key: str,
    request_hash: str,
    act: Callable[[asyncpg.Connection], Awaitable[Answer]],
) -> Answer:
    async with conn.transaction():
        claim = await conn.fetchrow(CLAIM, owner, key)
        if not claim["locked"]:
            raise in_flight()
        if claim["request_hash"] is not None:
            if claim["request_hash"] != request_hash:
                raise reused()
            return Answer(claim["status"], claim["response"], replayed=True)
        answer = await act(conn)
        await conn.execute(STORE, owner, key, request_hash, answer.status, answer.body)
        return answer


async def answered_once(
    request: web.Request,
    caller: Caller,
    body: str,
    act: Callable[[asyncpg.Connection], Awaitable[Answer]],
) -> web.Response:
    """The answer to a POST, `act`ing once per Idempotency-Key; partners must send one."""
    key = key_of(request, required=not caller.is_operator)
    what = what_is_asked(request, body)
    async with request.app[DATABASE].acquire() as conn:
        answer = await once(conn, caller.owner, key, what, act)
    return answer.response()


def in_flight() -> Problem:
    return KEY_IN_FLIGHT.problem(
        Text(
            "Tunggu jawaban permintaan pertama, lalu ulangi dengan kunci yang sama",
            "Wait for the first request's answer, then retry with the same key",
        ),
    )


def reused() -> Problem:
    return KEY_REUSED.problem(
        Text(
            "Kunci ini dipakai untuk permintaan lain; gunakan kunci baru",
            "This key was used for a different request; use a new key",
        ),
    )
