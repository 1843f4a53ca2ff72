"""Operator accounts: who may sign in, with which role, and the check of a password.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
parameter set); hashing runs in a thread so a sign-in never stalls other pages. Five wrong
passwords in a row lock the account for a few minutes, which makes guessing slow without
locking anyone out for long.
"""

import asyncio
import enum
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MAX_FAILED_SIGN_INS = 5
LOCK_FOR = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 10


class Role(enum.IntEnum):
    """Each role may do what the ones below it may."""

    viewer = 1
    staff = 2
    admin = 3


@dataclass(frozen=True)
class Operator:
    id: uuid.UUID
    username: str
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return self.role >= role


class UsernameTaken(Exception):
    pass


class PasswordTooShort(ValueError):
    pass


async def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(MIN_PASSWORD_LENGTH)
    return await asyncio.to_thread(_HASHER.hash, password)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


CREATE = """
INSERT INTO operators (id, username, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (username) DO NOTHING
RETURNING id
"""


async def create(
    conn: asyncpg.Connection, *, username: str, name: str, role: Role, password: str
) -> Operator:
    operator = Operator(uuid.uuid4(), username.strip().lower(), name.strip(), role)
    password_hash = await hash_password(password)
    made = await conn.fetchval(
        CREATE, operator.id, operator.username, operator.name, role.name, password_hash
    )
    if made is None:
        raise UsernameTaken(operator.username)
    return operator


FOR_SIGN_IN = """
SELECT id, username, name, role, password_hash, locked_until > now() AS locked
FROM operators WHERE username = $1
"""
SIGNED_IN = """
UPDATE operators SET failed_sign_ins = 0, locked_until = NULL,
       password_hash = coalesce($2, password_hash)
WHERE id = $1
"""
FAILED = """
UPDATE operators
SET failed_sign_ins = failed_sign_ins + 1,
    locked_until = CASE WHEN failed_sign_ins + 1 >= $2 THEN now() + $3 END
WHERE id = $1
"""


async def sign_in(conn: asyncpg.Connection, username: str, password: str) -> Operator | None:
    """The operator whose password this is, or None (unknown, wrong or locked: one answer, so
    the form tells an attacker nothing about which usernames exist)."""
    row = await conn.fetchrow(FOR_SIGN_IN, username.strip().lower())
    if row is None:
        # Spend the same time as a real check, so the answer's speed does not tell either.
        await asyncio.to_thread(_matches, _DUMMY_HASH, password)
        return None
    if row["locked"]:
        return None
    if not await asyncio.to_thread(_matches, row["password_hash"], password):
        await conn.execute(FAILED, row["id"], MAX_FAILED_SIGN_INS, LOCK_FOR)
        return None
    rehashed = (
        await asyncio.to_thread(_HASHER.hash, password)
        if _HASHER.check_needs_rehash(row["password_hash"])
        else None
    )
    await conn.execute(SIGNED_IN, row["id"], rehashed)
    return Operator(row["id"], row["username"], row["name"], Role[row["role"]])


_DUMMY_HASH = _HASHER.hash("not anyone's password")
