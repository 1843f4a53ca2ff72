"""Policies, a version per change for each (hub, product): the newest is the active one."""

import asyncpg

from services.allocator.rules.domain import ClassShare, Policy
from services.allocator.rules.policies import ActivePolicy, ClassRule, PolicyRules

ACTIVE_POLICY = """
SELECT version, mode, per_buyer_daily_cap, classes, hold_seconds, set_at
FROM policies WHERE hub = $1 AND sku = $2
ORDER BY version DESC LIMIT 1
"""
POLICY_INSERT = """
INSERT INTO policies (hub, sku, version, mode, per_buyer_daily_cap, classes, hold_seconds)
SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6
FROM policies WHERE hub = $1 AND sku = $2
RETURNING version, set_at
"""


async def active(conn: asyncpg.Connection, hub: str, sku: str) -> Policy:
    row = await conn.fetchrow(ACTIVE_POLICY, hub, sku)
    return Policy() if row is None else _policy_from(row)


async def active_view(conn: asyncpg.Connection, hub: str, sku: str) -> ActivePolicy:
    row = await conn.fetchrow(ACTIVE_POLICY, hub, sku)
    policy = Policy() if row is None else _policy_from(row)
    return ActivePolicy(
        hub=hub,
        sku=sku,
        version=policy.version,
        set_at=None if row is None else row["set_at"].isoformat(),
        mode=policy.mode,
        per_buyer_daily_cap=policy.per_buyer_daily_cap,
        classes=[ClassRule(name=s.name, reserve_percent=s.reserve_percent) for s in policy.classes],
        hold_seconds=policy.hold_seconds,
    )


async def add_version(conn: asyncpg.Connection, hub: str, sku: str, rules: PolicyRules) -> None:
    """Store `rules` as the product's newest policy. Caller holds the product's lock."""
    await conn.execute(
        POLICY_INSERT,
        hub,
        sku,
        rules.mode,
        rules.per_buyer_daily_cap,
        [rule.model_dump() for rule in rules.classes],
        rules.hold_seconds,
    )


def from_row(row: asyncpg.Record, classes: str = "classes") -> Policy:
    """The policy in a row with ACTIVE_POLICY's columns (its class rules under `classes`), read
    as part of a larger query; the default when the product never had one (version NULL)."""
    return Policy() if row["version"] is None else _policy_from(row, classes)


def _policy_from(row: asyncpg.Record, classes: str = "classes") -> Policy:
    return Policy(
        mode=row["mode"],
        per_buyer_daily_cap=row["per_buyer_daily_cap"],
        classes=tuple(ClassShare(**rule) for rule in row[classes]),
        hold_seconds=row["hold_seconds"],
        version=row["version"],
    )
