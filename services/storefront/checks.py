"""Phone checks: a 6-digit code to the phone, sent through the notifier; the right code within
its minutes and tries proves the visitor holds the phone.

Limits: a new code for the same check only after `resend_seconds`; per phone and per address
a number of codes an hour. A visitor over a limit is told when to try again. The limits and the
send share one transaction, so a send that fails spends nothing.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg

from services.storefront import codes
from services.storefront.backends import Backends
from services.storefront.store import codes_sent, phone_checks, window_signups


@dataclass(frozen=True)
class CheckRules:
    secret: bytes
    lifetime_seconds: float
    resend_seconds: float
    tries: int
    per_phone_hour: int
    per_address_hour: int


@dataclass(frozen=True)
class Asker:
    """Who asks: the browser (by its form cookie), its address, and its language."""

    browser: bytes
    address: str
    language: str


class TryLater(Exception):
    def __init__(self, at: datetime):
        super().__init__(at.isoformat())
        self.at = at


Answer = Literal["right", "wrong", "locked", "expired", "unknown"]


@dataclass(frozen=True)
class Answered:
    answer: Answer
    check: asyncpg.Record | None = None
    tries_left: int = 0


async def start(
    conn: asyncpg.Connection,
    backends: Backends,
    rules: CheckRules,
    asker: Asker,
    *,
    purpose: str,
    phone: str,
    name: str,
    hub: str,
    intent: dict[str, Any],
) -> uuid.UUID:
    """A new check with its code sent; TryLater when the phone or the address is over its limit.
    `intent` is what the right code will do, with the hub and the name a new code needs."""
    check_id = uuid.uuid4()
    code = codes.new_phone_code()
    phone_key = codes.phone_key(rules.secret, phone)
    async with conn.transaction():
        await _within_limits(conn, rules, phone_key, asker.address)
        await phone_checks.add(
            conn,
            check_id,
            purpose=purpose,
            phone=phone,
            phone_key=phone_key,
            browser=asker.browser,
            code_hash=codes.phone_code_hash(rules.secret, str(check_id), code),
            lifetime_seconds=rules.lifetime_seconds,
            intent=intent,
        )
        await _send(backends, hub, phone, name, code, asker.language)
    return check_id


async def resend(
    conn: asyncpg.Connection,
    backends: Backends,
    rules: CheckRules,
    asker: Asker,
    check: asyncpg.Record,
    *,
    name: str,
    hub: str,
) -> None:
    """A new code for the same check, once `resend_seconds` have passed since the last."""
    code = codes.new_phone_code()
    async with conn.transaction():
        free_at = check["sent_at"] + timedelta(seconds=rules.resend_seconds)
        if check["now"] < free_at:
            raise TryLater(free_at)
        await _within_limits(conn, rules, check["phone_key"], asker.address)
        await phone_checks.resent(
            conn,
            check["id"],
            codes.phone_code_hash(rules.secret, str(check["id"]), code),
            rules.lifetime_seconds,
        )
        await _send(backends, hub, check["phone"], name, code, asker.language)


async def answer(
    conn: asyncpg.Connection, rules: CheckRules, asker: Asker, check_id: uuid.UUID, given: str
) -> Answered:
    """Checks the code against the check, locked for the caller's transaction: the caller
    places the order in it, so a double submit waits and then finds the check answered."""
    check = await phone_checks.locked(conn, check_id, asker.browser)
    if check is None:
        return Answered("unknown")
    if check["verified_at"] is not None:
        return Answered("right", check)
    if check["wrong_tries"] >= rules.tries:
        return Answered("locked", check)
    if check["now"] >= check["expires_at"]:
        return Answered("expired", check)
    if codes.same_code(given.strip(), check["code_hash"], rules.secret, str(check_id)):
        return Answered("right", check)
    wrong = await phone_checks.wrong_try(conn, check_id)
    if wrong >= rules.tries:
        return Answered("locked", check)
    return Answered("wrong", check, rules.tries - wrong)


async def signed_up(
    conn: asyncpg.Connection, rules: CheckRules, asker: Asker, hub: str, sku: str, phone: str
) -> None:
    """A "tell me when it opens again" sign-up kept, counted with the codes against the same
    hourly limits per phone and per address (TryLater over them)."""
    phone_key = codes.phone_key(rules.secret, phone)
    async with conn.transaction():
        await _within_limits(conn, rules, phone_key, asker.address)
        await window_signups.add(conn, hub, sku, phone, phone_key, asker.language)


async def _within_limits(
    conn: asyncpg.Connection, rules: CheckRules, phone_key: bytes, address: str
) -> None:
    await codes_sent.sweep(conn)
    await phone_checks.sweep(conn)
    await codes_sent.lock_phone(conn, phone_key)
    waits = await codes_sent.waits(
        conn, phone_key, address, rules.per_phone_hour, rules.per_address_hour
    )
    if waits:
        raise TryLater(max(waits))
    await codes_sent.add(conn, phone_key, address)


async def _send(
    backends: Backends, hub: str, phone: str, name: str, code: str, language: str
) -> None:
    await backends.post(
        "notifier",
        "/v1/phone-codes",
        body={"hub": hub, "phone": phone, "name": name, "code": code, "language": language},
    )
