"""The administrators' step: each service's own Postgres role and RabbitMQ user, holding only
the rights it needs (shared/access.py says which, docs/least-privilege.md why).

    python -m tools.access            # compose's one-shot `access` service runs it before the rest

Idempotent: run on a new deployment it makes the roles, schemas and users; run on an existing
one (whose schemas the superuser made and owns) it hands each schema and everything in it to its
service's role; run again it sets the passwords anew (a changed password takes effect here).
It is the only part of the hub that uses the administrators' credentials:

- ADMIN_DATABASE_URL: a superuser's URL to the hub's database (compose: postgres);
- ADMIN_AMQP_URL: an administrator's URL to the hub's vhost (compose: guest); the users are
  made through the management API (RABBITMQ_MANAGEMENT_URL, else that host's port 15672), else
  with rabbitmqctl on this machine, and the whole topology is declared with it, so that every
  queue is there before any service publishes;
- each service's passwords: INTAKE_DB_PASSWORD, INTAKE_AMQP_PASSWORD, ... (shared/access.py).
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from urllib.parse import quote

import aio_pika
import asyncpg
from yarl import URL

from shared.access import (
    BROKER_SERVICES,
    DATABASE_SERVICES,
    DEFAULT_PREFIX,
    broker_permissions,
    login_name,
    password_variable,
)
from shared.topology import declare_topology
from tools.sandbox import _management, _rabbitmqctl

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


class Refused(Exception):
    """What the step could not do, said plainly."""


def passwords(store: str, services: tuple[str, ...], env: Mapping[str, str]) -> dict[str, str]:
    names = {service: password_variable(service, store) for service in services}
    missing = [name for name in names.values() if not env.get(name)]
    if missing:
        raise Refused(f"no password set in {', '.join(missing)}")
    return {service: env[name] for service, name in names.items()}


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


async def grant_broker(
    amqp_url: str, passwords: Mapping[str, str], *, prefix: str = DEFAULT_PREFIX
) -> None:
    """The whole topology declared as the administrator, then each service's user, with its
    permissions on this vhost only."""
    connection = await aio_pika.connect(amqp_url, timeout=30)
    async with connection:
        await declare_topology(await connection.channel())
    vhost = URL(amqp_url).path[1:] or "/"
    known: set[str] | None = None  # rabbitmqctl's list of users, read once if needed
    for service, password in passwords.items():
        user = login_name(service, prefix)
        allowed = broker_permissions(service)
        account = {"password": password, "tags": ""}
        by_api = await _management("PUT", amqp_url, f"/api/users/{quote(user, safe='')}", account)
        if by_api:
            await _management(
                "PUT",
                amqp_url,
                f"/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
                {"configure": allowed.configure, "write": allowed.write, "read": allowed.read},
            )
            continue
        if known is None:
            users = await _rabbitmqctl("list_users", "--no-table-headers")
            known = {line.split("\t")[0] for line in users.splitlines()}
        if user not in known:
            # `--`: a password may start with a dash.
            await _rabbitmqctl("add_user", "--", user, password)
        else:
            await _rabbitmqctl("change_password", "--", user, password)
        await _rabbitmqctl(
            "set_permissions", "-p", vhost, user, allowed.configure, allowed.write, allowed.read
        )


async def grant(env: Mapping[str, str], *, prefix: str = DEFAULT_PREFIX) -> None:
    database_url, amqp_url = env.get("ADMIN_DATABASE_URL"), env.get("ADMIN_AMQP_URL")
    if not database_url or not amqp_url:
        raise Refused("ADMIN_DATABASE_URL and ADMIN_AMQP_URL name the administrators' accounts")
    database_passwords = passwords("db", DATABASE_SERVICES, env)
    broker_passwords = passwords("amqp", BROKER_SERVICES, env)
    conn = await asyncpg.connect(database_url, timeout=30)
    try:
        if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            raise Refused("ADMIN_DATABASE_URL must name a superuser: it makes roles and schemas")
        await grant_database(conn, database_passwords, prefix=prefix)
    finally:
        await conn.close()
    await grant_broker(amqp_url, broker_passwords, prefix=prefix)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.access", description=__doc__)
    parser.parse_args(argv)
    try:
        asyncio.run(grant(os.environ))
    except Refused as refused:
        print(f"access: {refused}", file=sys.stderr)
        raise SystemExit(1) from None
    print("access: each service's role, schema and broker user are as they should be")


if __name__ == "__main__":
    main()
