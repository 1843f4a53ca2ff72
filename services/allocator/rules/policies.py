"""Policies: how an operator says a product is shared, versioned per (hub, product) (stored
by `store.policies`).

Setting a policy adds a version; the newest is the active one. A new policy applies to the
next fill only: units already allocated stay where they are.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from services.allocator.rules.domain import (
    DEFAULT_CLASSES,
    DEFAULT_DAILY_CAP,
    DEFAULT_HOLD_SECONDS,
    ClassShare,
    Mode,
    Policy,
)
from shared.fields import PriorityClass, whole_number

MAX_HOLD_SECONDS = 30 * 24 * 3600


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
