"""Each service's Postgres role, owning its own schema and nothing else (shared/access.py):
the database half of the administrators' step (tools/access.py), run as a superuser."""

from collections.abc import Mapping

import asyncpg

from shared.access import DEFAULT_PREFIX, login_name

# What a service's role may never be, said again on every run in case someone changed it.
ROLE_LIMITS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"

# Everything in a schema that has an owner of its own, as `ALTER <kind> <name> OWNER TO`
# statements: tables, views, sequences not owned by a table (those follow it), functions and
# types of the schema's own (not an extension's members, nor a table's row type).
HAND_OVER = """
SELECT format('ALTER %s %s OWNER TO %I', kind, name, $2::text) FROM (
    SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                          WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                          ELSE 'TABLE' END AS kind,
           c.oid::regclass::text AS name, c.oid AS oid, 'pg_class'::regclass AS catalog,
           c.relowner AS owner
    FROM pg_class c
    WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT (c.relkind = 'S' AND EXISTS (
          SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                    AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION'
           END, p.oid::regprocedure::text, p.oid, 'pg_proc'::regclass, p.proowner
    FROM pg_proc p WHERE p.pronamespace = $1::regnamespace
    UNION ALL
    SELECT 'TYPE', t.oid::regtype::text, t.oid, 'pg_type'::regclass, t.typowner
    FROM pg_type t
    WHERE t.typnamespace = $1::regnamespace AND (t.typtype IN ('e', 'd', 'r')
          OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
) owned
WHERE owner <> $2::regrole
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = catalog AND d.objid = owned.oid
                                          AND d.deptype = 'e')
"""


async def grant_database(
    conn: asyncpg.Connection, passwords: Mapping[str, str], *, prefix: str = DEFAULT_PREFIX
) -> None:
    """Each service's role, owning its schema and what is in it; CONNECT on this database and
    nothing more (PUBLIC's default CONNECT and TEMPORARY are taken away)."""
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    await conn.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
    await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # Postgres 15's default
    await _trigram_in_public(conn)
    for service, password in passwords.items():
        role = login_name(service, prefix)
        async with conn.transaction():
            # One run at a time makes a role: two at once would both find it missing.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('plut: access'))")
            if not await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {_ident(role)} {ROLE_LIMITS}")
            await conn.execute(
                await conn.fetchval(
                    f"SELECT format('ALTER ROLE %I {ROLE_LIMITS} PASSWORD %L', $1::text, $2::text)",
                    role,
                    password,
                )
            )
            await conn.execute(f"GRANT CONNECT ON DATABASE {database} TO {_ident(role)}")
            schema = _ident(service)
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {_ident(role)}")
            await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {_ident(role)}")
            for (statement,) in await conn.fetch(HAND_OVER, service, role):
                await conn.execute(statement)


async def _trigram_in_public(conn: asyncpg.Connection) -> None:
    """pg_trgm, which intake's and orders' migrations use, is the database's: creating it needs
    CREATE on the database, which no service has, so it is made here, in `public` (whose
    functions everyone may use). A deployment from before this step has it in the schema of the
    service that migrated first; it is relocatable, and indexes find it wherever it is."""
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    where = await conn.fetchval(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    if where != "public":
        await conn.execute("ALTER EXTENSION pg_trgm SET SCHEMA public")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
