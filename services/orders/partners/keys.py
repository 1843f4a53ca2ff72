"""Partner systems and their API keys: created by an operator, each key shown once and kept only
as a hash, rotated with the old key still good for a while, revoked at once."""

import secrets
import uuid

import asyncpg

from services.orders.auth import KEY_START, key_hash
from services.orders.callbacks.destination import Destinations, require_allowed
from services.orders.partners.models import (
    IssuedKey,
    KeyInfo,
    NewKey,
    NewPartner,
    NewPartnerIssued,
    Partner,
    PartnerChanges,
)
from services.orders.store.catalog import HUBS_KNOWN
from services.orders.store.partners import (
    KEY_INSERT,
    KEY_REVOKE,
    KEYS_EXPIRE,
    KEYS_OF_PARTNERS,
    PARTNER_BY_ID,
    PARTNER_INSERT,
    PARTNER_UPDATE,
    PARTNERS,
)
from shared.problems import FieldError, Text, invalid, not_found

PARTNER = Text("mitra", "partner")
KEY = Text("kunci API", "API key")


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
        "scopes" in given,
        sorted(set(changes.scopes or [])),
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
