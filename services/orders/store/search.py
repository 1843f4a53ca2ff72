"""Finding orders for the operators: what a search box's text may mean (an order id, a buyer's
name, a buyer's phone number), and the SQL that finds those orders with the indexes of
migration 0005. Pure: the text in, conditions and their parameters out."""

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

# An order id as operators read it out: the whole UUID, or its first 8 hex digits (or more).
_ID_PREFIX = re.compile(r"[0-9a-f]{8,32}")
# What a phone number is written with: digits, and spaces, dashes, dots, brackets, a plus.
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")
MIN_PHONE_DIGITS = 3
# Counted no further: a page says "more than this many" rather than read a long list to the end.
MAX_TOTAL = 1_000


def id_range(text: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The ids that begin with `text` (dashes ignored), when it is 8 to 32 hex digits."""
    digits = text.lower().replace("-", "")
    if not _ID_PREFIX.fullmatch(digits):
        return None
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))


def phone_digits(text: str) -> str | None:
    """The digits to look for in stored E.164 numbers (`+6281234567890`), when `text` looks
    like (part of) a phone number with at least 3 digits: `0812...` and `+62 812...` both as
    `62812...`; a fragment from the middle (`3456`) as it is."""
    if not _PHONE_LIKE.fullmatch(text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    if digits.startswith("0"):  # the national form: 0 stands for +62
        digits = "62" + digits[1:]
    return digits


def contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % _ and \\ taken literally."""
    escaped = re.sub(r"([\\%_])", r"\\\1", text)
    return f"%{escaped}%"


@dataclass
class Conditions:
    """SQL conditions over `orders`, all to hold, with their parameters ($1...)."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def add(self, clause: str) -> None:
        self.clauses.append(clause)

    def sql(self) -> str:
        return " AND ".join(self.clauses) or "true"


def text_matches(text: str, conditions: Conditions) -> None:
    """The order's id begins with `text`, or its buyer's name contains it (in any case), or its
    buyer's phone number contains the digits it gives."""
    either = [f"buyer->>'name' ILIKE {conditions.param(contains(text))}"]
    ids = id_range(text)
    if ids is not None:
        low, high = conditions.param(ids[0]), conditions.param(ids[1])
        either.append(f"id BETWEEN {low}::uuid AND {high}::uuid")
    digits = phone_digits(text)
    if digits is not None:
        either.append(f"buyer->>'phone' LIKE {conditions.param(contains(digits))}")
    conditions.add("(" + " OR ".join(either) + ")")


def conditions_of(
    *,
    text: str | None,
    hub: str | None,
    status: str | None,
    ids: list[uuid.UUID] | None,
    sku: str | None = None,
) -> Conditions:
    conditions = Conditions()
    if ids is not None:
        conditions.add(f"id = ANY({conditions.param(ids)}::uuid[])")
    if hub is not None:
        conditions.add(f"hub = {conditions.param(hub)}")
    if sku is not None:
        conditions.add(f"sku = {conditions.param(sku)}")
    if status is not None:
        conditions.add(f"status = {conditions.param(status)}")
    if text is not None:
        text_matches(text, conditions)
    return conditions


def page_query(conditions: Conditions, limit: int, offset: int) -> tuple[str, list[Any]]:
    """The matching orders, newest first."""
    params = list(conditions.params)
    limit_at, offset_at = len(params) + 1, len(params) + 2
    sql = (
        f"SELECT * FROM orders WHERE {conditions.sql()} "
        f"ORDER BY placed_at DESC, sequence DESC LIMIT ${limit_at} OFFSET ${offset_at}"
    )
    return sql, [*params, limit, offset]


def count_query(conditions: Conditions) -> tuple[str, list[Any]]:
    """How many orders match, counted up to one past MAX_TOTAL."""
    params = list(conditions.params)
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM orders WHERE {conditions.sql()} "
        f"LIMIT {MAX_TOTAL + 1}) AS matching"
    )
    return sql, params
