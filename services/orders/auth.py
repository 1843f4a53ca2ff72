"""Who is calling the orders API: a partner, by its API key, or the centre's operator, by the
operator token; and whether they may do what they ask.

Missing or bad credentials answer 401; a wrong scope or hub 403; a key over its rate 429.
"""

import hashlib
import hmac
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from aiohttp import web

from shared.operators import is_operator
from shared.problems import Problem, Text
from shared.web import DATABASE

KEY_START = "plut_"
READ = "orders:read"
WRITE = "orders:write"
SCOPES = (WRITE, READ)

# A key's partner, if the key is still good; `expires_at` is set on a key that was rotated out.
PARTNER_OF_KEY = """
SELECT k.key_hash, p.id, p.hubs, p.scopes, p.requests_per_minute
FROM partner_keys k JOIN partners p ON p.id = k.partner_id
WHERE k.prefix = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
"""
# GCRA: each request pushes the key's theoretical arrival time (tat) on by one interval; a
# request is let in while that stays within a minute's worth of requests ahead of now. So a key
# may spend its minute at once and then goes on at the steady rate. No row: refused.
RATE_TAKE = """
INSERT INTO rate_limits AS r (prefix, tat) VALUES ($1, now() + $2::interval)
ON CONFLICT (prefix) DO UPDATE SET tat = greatest(r.tat, now()) + $2::interval
WHERE greatest(r.tat, now()) + $2::interval <= now() + interval '1 minute'
RETURNING tat
"""
RATE_WAIT_SECONDS = """
SELECT extract(epoch FROM r.tat + $2::interval - interval '1 minute' - now())
FROM rate_limits r WHERE r.prefix = $1
"""


@dataclass(frozen=True)
class Caller:
    """A partner (`partner_id`) or the operator (`partner_id` None, every scope and hub)."""

    partner_id: uuid.UUID | None
    scopes: frozenset[str]
    hubs: frozenset[str] | None

    @property
    def is_operator(self) -> bool:
        return self.partner_id is None

    @property
    def owner(self) -> str:
        """Whose idempotency keys these are."""
        return "operator" if self.partner_id is None else str(self.partner_id)

    def require_hub(self, hub: str) -> None:
        if self.hubs is not None and hub not in self.hubs:
            raise Problem(
                403,
                "hub-not-allowed",
                Text("Hub tidak diizinkan", "Hub not allowed"),
                Text(
                    f"Kunci ini tidak boleh dipakai untuk hub '{hub}'",
                    f"This key may not be used for hub '{hub}'",
                ),
            )

    def require_operator(self) -> None:
        if not self.is_operator:
            raise Problem(
                403,
                "operator-only",
                Text("Khusus operator", "Operators only"),
                Text(
                    "Tindakan ini hanya untuk operator PLUT",
                    "Only the centre's operators may do this",
                ),
            )


OPERATOR = Caller(partner_id=None, scopes=frozenset(SCOPES), hubs=None)


async def authenticate(request: web.Request, scope: str | None) -> Caller:
    """The caller, if its credentials are good, it holds `scope` and its key is within its rate."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not token:
        raise _unauthorised(Text("Perlu kunci API", "API key required"))
    if not token.startswith(KEY_START):
        is_operator(request)  # refuses a wrong token itself
        return OPERATOR
    prefix = key_prefix(token)
    async with request.app[DATABASE].acquire() as conn:
        row = await conn.fetchrow(PARTNER_OF_KEY, prefix) if prefix else None
        if row is None or not hmac.compare_digest(row["key_hash"], key_hash(token)):
            raise _unauthorised(Text("Kunci API tidak sah", "Invalid API key"))
        caller = Caller(row["id"], frozenset(row["scopes"]), frozenset(row["hubs"]))
        if scope is not None and scope not in caller.scopes:
            raise _missing_scope(scope)
        await _take_from_rate(conn, prefix, row["requests_per_minute"])
    return caller


def key_prefix(key: str) -> str | None:
    """`plut_<prefix>_<secret>` -> `<prefix>`; None when the key is not of that shape."""
    prefix, separator, secret = key.removeprefix(KEY_START).partition("_")
    return prefix if separator and prefix and secret else None


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def _take_from_rate(conn: asyncpg.Connection, prefix: str, per_minute: int) -> None:
    interval = timedelta(minutes=1) / per_minute
    if await conn.fetchval(RATE_TAKE, prefix, interval) is not None:
        return
    wait = await conn.fetchval(RATE_WAIT_SECONDS, prefix, interval) or 0
    seconds = max(1, math.ceil(wait))
    raise Problem(
        429,
        "rate-limited",
        Text("Terlalu banyak permintaan", "Too many requests"),
        Text(
            f"Batas {per_minute} permintaan per menit; coba lagi dalam {seconds} detik",
            f"The limit is {per_minute} requests a minute; try again in {seconds} s",
        ),
        headers={"Retry-After": str(seconds)},
    )


def _unauthorised(title: Text) -> Problem:
    return Problem(
        401,
        "unauthorised",
        title,
        Text(
            "Kirim header 'Authorization: Bearer <kunci API>'",
            "Send the header 'Authorization: Bearer <API key>'",
        ),
        headers={"WWW-Authenticate": "Bearer"},
    )


def _missing_scope(scope: str) -> Problem:
    return Problem(
        403,
        "missing-scope",
        Text("Izin kunci tidak cukup", "Key lacks the scope"),
        Text(f"Kunci ini tidak punya izin '{scope}'", f"This key lacks the '{scope}' scope"),
    )
