"""Policies: how an operator says a product is shared, versioned per (hub, product).

Setting a policy adds a version; the newest is the active one. A new policy applies to the
next fill only: units already allocated stay where they are.
"""

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from services.allocator.domain import (
    DEFAULT_CLASSES,
    DEFAULT_DAILY_CAP,
    DEFAULT_HOLD_SECONDS,
    ClassShare,
    Mode,
    Policy,
)
from shared.fields import PriorityClass, whole_number

MAX_HOLD_SECONDS = 30 * 24 * 3600

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


class ClassRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: PriorityClass
    reserve_percent: whole_number(ge=0, le=100) = 0


class PolicyRules(BaseModel):
    """What an operator sends: `PUT /v1/hubs/{hub}/products/{sku}/policy`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = "fifo"
    # What is left out is the default policy's (None: no cap, when sent as null).
    per_buyer_daily_cap: whole_number(ge=1, le=1_000_000) | None = DEFAULT_DAILY_CAP
    classes: list[ClassRule] = Field(
        default_factory=lambda: [
            ClassRule(name=share.name, reserve_percent=share.reserve_percent)
            for share in DEFAULT_CLASSES
        ],
        min_length=1,
        max_length=20,
    )
    hold_seconds: whole_number(ge=1, le=MAX_HOLD_SECONDS) = DEFAULT_HOLD_SECONDS

    @field_validator("classes")
    @classmethod
    def _classes_are_distinct_and_reserve_at_most_all(cls, classes: list[ClassRule]):
        names = [rule.name for rule in classes]
        if len(set(names)) != len(names):
            raise PydanticCustomError("class_repeated", "each class may appear once")
        if sum(rule.reserve_percent for rule in classes) > 100:
            raise PydanticCustomError("reserves_over_100", "reserves add up to more than 100%")
        return classes

    def as_policy(self, version: int) -> Policy:
        return Policy(
            mode=self.mode,
            per_buyer_daily_cap=self.per_buyer_daily_cap,
            classes=tuple(ClassShare(rule.name, rule.reserve_percent) for rule in self.classes),
            hold_seconds=self.hold_seconds,
            version=version,
        )


class ActivePolicy(PolicyRules):
    """What the API answers: the rules, their version (0: the default, never set) and when."""

    hub: str
    sku: str
    version: int
    set_at: str | None


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
