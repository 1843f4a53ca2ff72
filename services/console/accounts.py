"""Operator accounts: who may sign in, with which role, and the check of a password.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
parameter set); hashing runs in a thread so a sign-in never stalls other pages. How often a
password may be tried is attempts.py's, counted before this check.
"""

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# The roles are the services' too: each has its own operator token (shared/operators.py).
from shared.operators import Role

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


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


FOR_SIGN_IN = "SELECT id, username, name, role, password_hash FROM operators WHERE username = $1"
REHASHED = "UPDATE operators SET password_hash = $2 WHERE id = $1"


async def sign_in(conn: asyncpg.Connection, username: str, password: str) -> Operator | None:
    """The operator whose password this is, or None (unknown or wrong: one answer, so the form
    tells an attacker nothing about which usernames exist)."""
    row = await conn.fetchrow(FOR_SIGN_IN, username.strip().lower())
    if row is None:
        # Spend the same time as a real check, so the answer's speed does not tell either.
        await asyncio.to_thread(_matches, _DUMMY_HASH, password)
        return None
    if not await asyncio.to_thread(_matches, row["password_hash"], password):
        return None
    if _HASHER.check_needs_rehash(row["password_hash"]):
        await conn.execute(REHASHED, row["id"], await asyncio.to_thread(_HASHER.hash, password))
    return Operator(row["id"], row["username"], row["name"], Role[row["role"]])


_DUMMY_HASH = _HASHER.hash("not anyone's password")
