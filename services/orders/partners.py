"""Partner systems and their API keys: created by an operator, each key shown once and kept only
as a hash, rotated with the old key still good for a while, revoked at once."""

import secrets
import uuid
from datetime import datetime
from typing import Annotated, Literal

import asyncpg
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints
from typing_extensions import TypeAliasType

from services.orders.auth import KEY_START, key_hash
from shared.fields import HubCode, Name, whole_number
from shared.problems import FieldError, Text, invalid, not_found

PARTNER = Text("mitra", "partner")
KEY = Text("kunci API", "API key")

Scope = TypeAliasType("Scope", Literal["orders:write", "orders:read"])  # named in the documents
CallbackUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]

PARTNER_INSERT = """
INSERT INTO partners (id, name, hubs, scopes, callback_url, callback_secret, requests_per_minute)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *
"""
PARTNERS = "SELECT * FROM partners ORDER BY created_at, id"
PARTNER_BY_ID = "SELECT * FROM partners WHERE id = $1"
KEY_INSERT = "INSERT INTO partner_keys (prefix, partner_id, key_hash) VALUES ($1, $2, $3)"
KEYS_OF_PARTNERS = """
SELECT partner_id, prefix, created_at, expires_at, revoked_at
FROM partner_keys WHERE partner_id = ANY($1::uuid[])
ORDER BY created_at, prefix
"""
# The partner's keys that are good now stay good for `$2` seconds more, not after.
KEYS_EXPIRE = """
UPDATE partner_keys
SET expires_at = least(expires_at, now() + make_interval(secs => $2))
WHERE partner_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
"""
KEY_REVOKE = """
UPDATE partner_keys SET revoked_at = coalesce(revoked_at, now())
WHERE partner_id = $1 AND prefix = $2
RETURNING prefix
"""
HUBS_KNOWN = "SELECT array_agg(DISTINCT hub) FROM catalog WHERE hub = ANY($1::text[])"


class NewPartner(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    hubs: list[HubCode] = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)
    # Where status changes of its orders are posted; none: it asks instead.
    callback_url: CallbackUrl | None = None
    requests_per_minute: whole_number(ge=1, le=100_000) = 600


class NewKey(BaseModel):
    """Rotation: the keys good now stay good this long, so the partner can change over."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    previous_key_valid_seconds: whole_number(ge=0, le=30 * 86_400) = 86_400


class KeyInfo(BaseModel):
    """A key as it is listed: its prefix, never the key."""

    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class Partner(BaseModel):
    id: uuid.UUID
    name: str
    hubs: list[str]
    scopes: list[str]
    callback_url: str | None
    requests_per_minute: int
    created_at: datetime
    keys: list[KeyInfo]


class Partners(BaseModel):
    partners: list[Partner]


class IssuedKey(BaseModel):
    """A new key, shown this once: only its hash is kept."""

    partner_id: uuid.UUID
    prefix: str
    api_key: str


class NewPartnerIssued(BaseModel):
    """A partner as created: its first key and its callback signing secret, shown this once."""

    partner: Partner
    api_key: str
    callback_secret: str


async def create_partner(conn: asyncpg.Connection, new: NewPartner) -> NewPartnerIssued:
    async with conn.transaction():
        await _require_known_hubs(conn, new.hubs)
        row = await conn.fetchrow(
            PARTNER_INSERT,
            uuid.uuid4(),
            new.name,
            sorted(set(new.hubs)),
            sorted(set(new.scopes)),
            None if new.callback_url is None else str(new.callback_url),
            f"whsec_{secrets.token_urlsafe(32)}",
            new.requests_per_minute,
        )
        issued = await _issue_key(conn, row["id"])
        partner = (await _with_keys(conn, [row]))[0]
    return NewPartnerIssued(
        partner=partner, api_key=issued.api_key, callback_secret=row["callback_secret"]
    )


async def partners(conn: asyncpg.Connection) -> list[Partner]:
    return await _with_keys(conn, await conn.fetch(PARTNERS))


async def partner(conn: asyncpg.Connection, partner_id: uuid.UUID) -> Partner:
    row = await conn.fetchrow(PARTNER_BY_ID, partner_id)
    if row is None:
        raise not_found(PARTNER, partner_id)
    return (await _with_keys(conn, [row]))[0]


async def rotate_key(conn: asyncpg.Connection, partner_id: uuid.UUID, new: NewKey) -> IssuedKey:
    """A new key; the keys good until now stay good for `previous_key_valid_seconds`."""
    async with conn.transaction():
        await partner(conn, partner_id)  # 404 for an unknown partner
        await conn.execute(KEYS_EXPIRE, partner_id, new.previous_key_valid_seconds)
        return await _issue_key(conn, partner_id)


async def revoke_key(conn: asyncpg.Connection, partner_id: uuid.UUID, prefix: str) -> Partner:
    """The key stops working with this request's commit."""
    async with conn.transaction():
        if await conn.fetchval(KEY_REVOKE, partner_id, prefix) is None:
            raise not_found(KEY, prefix)
        return await partner(conn, partner_id)


async def _issue_key(conn: asyncpg.Connection, partner_id: uuid.UUID) -> IssuedKey:
    prefix = secrets.token_hex(6)  # 48 bits: a clash is rare enough to fail on, not to handle
    api_key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    await conn.execute(KEY_INSERT, prefix, partner_id, key_hash(api_key))
    return IssuedKey(partner_id=partner_id, prefix=prefix, api_key=api_key)


async def _with_keys(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[Partner]:
    keys: dict[uuid.UUID, list[KeyInfo]] = {row["id"]: [] for row in rows}
    for key in await conn.fetch(KEYS_OF_PARTNERS, list(keys)):
        keys[key["partner_id"]].append(KeyInfo.model_validate(dict(key)))
    return [Partner.model_validate({**dict(row), "keys": keys[row["id"]]}) for row in rows]


async def _require_known_hubs(conn: asyncpg.Connection, hubs: list[str]) -> None:
    """A typo in a hub would give a key that can order nowhere; say so now."""
    known = set(await conn.fetchval(HUBS_KNOWN, hubs) or [])
    unknown = [hub for hub in hubs if hub not in known]
    if unknown:
        raise invalid(
            *(
                FieldError(
                    f"hubs.{hubs.index(hub)}",
                    "unknown",
                    Text(f"hub '{hub}' tidak dikenal", f"unknown hub '{hub}'"),
                )
                for hub in unknown
            )
        )
