"""What the partners' admin API takes and answers (keys.py does the work)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints
from typing_extensions import TypeAliasType

from shared.events import CLASS_OF_BUYER_TYPE, BuyerType
from shared.fields import HubCode, Name, whole_number

# Named in the documents. `orders:track` opens any order by its code, `orders:cancel-verified`
# cancels one for the buyer whose phone the key's door checked: the centre's own doors'.
# `programmes:apply` applies to free-mask programmes for recipients.
Scope = TypeAliasType(
    "Scope",
    Literal[
        "orders:write", "orders:read", "orders:track", "orders:cancel-verified", "programmes:apply"
    ],
)
CallbackUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]
# The types of the ordinary public, whose orders take the `public` class: what a partner may
# declare unless an operator allows more (migration 0007).
PUBLIC_BUYER_TYPES = tuple(sorted(t for t, c in CLASS_OF_BUYER_TYPE.items() if c == "public"))
BuyerTypes = Annotated[list[BuyerType], Field(min_length=1, max_length=len(CLASS_OF_BUYER_TYPE))]


class NewPartner(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    hubs: list[HubCode] = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)
    # Where status changes of its orders are posted; none: it asks instead.
    callback_url: CallbackUrl | None = None
    requests_per_minute: whole_number(ge=1, le=100_000) = 600
    # The buyer types its orders may declare; by default only the public's.
    buyer_types: BuyerTypes = list(PUBLIC_BUYER_TYPES)


class PartnerChanges(BaseModel):
    """What an operator may change of a partner; a field left out keeps its value, and
    callback_url may be set to null (the partner asks instead). `scopes` replaces them all:
    e.g. adding orders:cancel-verified to the buyers' site's or the chat's key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buyer_types: BuyerTypes = Field(
        default=None, json_schema_extra=lambda schema: schema.pop("default", None)
    )
    scopes: list[Scope] = Field(
        default=None, min_length=1, json_schema_extra=lambda schema: schema.pop("default", None)
    )
    callback_url: CallbackUrl | None = None


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
    buyer_types: list[str]
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
