"""Postgres: a pool per service, confined to the service's own schema, and its migrations.

Migrations are plain SQL files named `NNNN_what.sql`, applied in order at start-up, each in its
own transaction and recorded in `<schema>.schema_migrations`. An advisory lock makes replicas
that start together take turns, so each file is applied once.
"""

import functools
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

from shared.startup import keep_trying

log = structlog.get_logger(__name__)

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
_PARAMETER = re.compile(r"\$(\d+)")


@functools.cache
def in_one_statement(changes: tuple[str, ...], last: str) -> str:
    """Statements that change rows (each numbering its parameters from $1), as one statement
    that runs them all, then `last`: one round trip instead of one each, which on a busy machine
    each wait for a core, here and in Postgres. Postgres runs every changing part of a WITH
    once, whether read or not; the parts see the database as it was before the statement, so
    none may need what another writes. The parameters are numbered on, part after part: the
    arguments are each statement's in turn."""
    parts, taken = [], 0
    for number, change in enumerate(changes):
        own = max((int(n) for n in _PARAMETER.findall(change)), default=0)
        renumbered = _PARAMETER.sub(lambda match, by=taken: f"${int(match[1]) + by}", change)
        parts.append(f"change_{number} AS ({renumbered})")
        taken += own
    return f"WITH {', '.join(parts)}\n{last}"


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


def migrations_in(directory: Path, prefix: str = "") -> list[Migration]:
    """The SQL files of a directory in name order, named `<prefix><stem>`."""
    return [
        Migration(name=f"{prefix}{path.stem}", sql=path.read_text())
        for path in sorted(directory.glob("*.sql"))
    ]


def service_migrations(directory: Path) -> list[Migration]:
    """The outbox and inbox every service has, then the service's own files."""
    return migrations_in(SHARED_MIGRATIONS, prefix="shared/") + migrations_in(directory)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for json_type in ("json", "jsonb"):
        await conn.set_type_codec(
            json_type, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (one round trip per use): our code leaves no
    session state on a pooled connection. Its locks are transaction-scoped (the migrations'
    session lock is unlocked before the pool is used), settings are `SET LOCAL`, LISTENs are on
    connections of their own and no cursor outlives its transaction. An open transaction is
    still rolled back by asyncpg before this is called."""


async def create_pool(
    database_url: str, schema: str, *, max_size: int = 10, timeout: float = 60.0
) -> asyncpg.Pool:
    """A pool whose connections see the service's schema first, waiting for Postgres to come up."""

    async def connect() -> asyncpg.Pool:
        return await asyncpg.create_pool(
            database_url,
            min_size=1,
            max_size=max_size,
            init=_init_connection,
            reset=_keep_session,
            server_settings={"search_path": schema, "application_name": schema},
        )

    return await keep_trying(connect, what="postgres", timeout=timeout)


async def migrate(
    conn: asyncpg.Connection, schema: str, migrations: Sequence[Migration]
) -> list[str]:
    """Apply the migrations not yet recorded; return their names."""
    lock_key = f"migrations:{schema}"
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
    try:
        # Made by the administrators' step where the service runs as its own role, which may
        # not create schemas (tools/access.py): even IF NOT EXISTS asks that right first.
        if not await conn.fetchval("SELECT true FROM pg_namespace WHERE nspname = $1", schema):
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            f"""
            CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
                name text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )"""
        )
        done = {
            row["name"]
            for row in await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations')
        }
        applied = []
        for migration in migrations:
            if migration.name in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (name) VALUES ($1)', migration.name
                )
            log.info("migration applied", schema=schema, migration=migration.name)
            applied.append(migration.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)


async def open_database(
    database_url: str, schema: str, migrations: Sequence[Migration], *, timeout: float = 60.0
) -> AsyncIterator[asyncpg.Pool]:
    """Pool and migrations for a service's lifetime; use as an aiohttp cleanup context body."""
    pool = await create_pool(database_url, schema, timeout=timeout)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, schema, migrations)
        yield pool
    finally:
        await pool.close()
