"""Partner systems and their API keys: created by an operator, each key shown once and kept only
as a hash, rotated with the old key still good for a while, revoked at once."""

import secrets
import uuid

import asyncpg

from services.orders.auth import KEY_START, key_hash
from services.orders.callback_destination import Destinations, require_allowed
from services.orders.partner_models import (
    IssuedKey,
    KeyInfo,
    NewKey,
    NewPartner,
    NewPartnerIssued,
    Partner,
    PartnerChanges,
)
from shared.problems import FieldError, Text, invalid, not_found

PARTNER = Text("mitra", "partner")
KEY = Text("kunci API", "API key")

PARTNER_INSERT = """
INSERT INTO partners
    (id, name, hubs, scopes, callback_url, callback_secret, requests_per_minute, buyer_types)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *
"""
# $2, $4: whether the field was given (a field left out keeps its value).
PARTNER_UPDATE = """
UPDATE partners
SET buyer_types = CASE WHEN $2 THEN $3 ELSE buyer_types END,
    callback_url = CASE WHEN $4 THEN $5 ELSE callback_url END
WHERE id = $1
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


async def create_partner(
    conn: asyncpg.Connection, new: NewPartner, destinations: Destinations
) -> NewPartnerIssued:
    callback_url = None if new.callback_url is None else str(new.callback_url)
    await require_allowed(callback_url, destinations)
    async with conn.transaction():
        await _require_known_hubs(conn, new.hubs)
        row = await conn.fetchrow(
            PARTNER_INSERT,
            uuid.uuid4(),
            new.name,
            sorted(set(new.hubs)),
            sorted(set(new.scopes)),
            callback_url,
            f"whsec_{secrets.token_urlsafe(32)}",
            new.requests_per_minute,
            sorted(set(new.buyer_types)),
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


async def change_partner(
    conn: asyncpg.Connection,
    partner_id: uuid.UUID,
    changes: PartnerChanges,
    destinations: Destinations,
) -> Partner:
    given = changes.model_fields_set
    callback_url = None if changes.callback_url is None else str(changes.callback_url)
    await require_allowed(callback_url, destinations)
    buyer_types = sorted(set(changes.buyer_types or []))
    row = await conn.fetchrow(
        PARTNER_UPDATE,
        partner_id,
        "buyer_types" in given,
        buyer_types,
        "callback_url" in given,
        callback_url,
    )
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
