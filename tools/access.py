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
import shutil
import sys
from collections.abc import Mapping
from urllib.parse import quote

import aio_pika
import asyncpg
from aiormq.exceptions import AMQPConnectionError, ProbableAuthenticationError
from yarl import URL

from shared.access import (
    BROKER_SERVICES,
    DATABASE_SERVICES,
    DEFAULT_PREFIX,
    broker_permissions,
    login_name,
    password_variable,
)
from shared.startup import keep_trying
from shared.topology import declare_topology
from tools.roles import grant_database
from tools.sandbox import management, rabbitmqctl_command

# How long Postgres and RabbitMQ may take to come up (compose starts this beside them).
WAIT = 120.0


class Refused(Exception):
    """What the step could not do, said plainly."""


def passwords(store: str, services: tuple[str, ...], env: Mapping[str, str]) -> dict[str, str]:
    names = {service: password_variable(service, store) for service in services}
    missing = [name for name in names.values() if not env.get(name)]
    if missing:
        raise Refused(f"no password set in {', '.join(missing)}")
    return {service: env[name] for service, name in names.items()}


async def grant_broker(
    amqp_url: str, passwords: Mapping[str, str], *, prefix: str = DEFAULT_PREFIX
) -> None:
    """The whole topology declared as the administrator, then each service's user, with its
    permissions on this vhost only."""
    connection = await keep_trying(lambda: _connect(amqp_url), what="rabbitmq", timeout=WAIT)
    async with connection:
        await declare_topology(await connection.channel())
    by_api = await keep_trying(
        lambda: _management_answers(amqp_url), what="rabbitmq management", timeout=WAIT
    )
    vhost = URL(amqp_url).path[1:] or "/"
    known: set[str] | None = None  # rabbitmqctl's list of users, read once if needed
    for service, password in passwords.items():
        user = login_name(service, prefix)
        allowed = broker_permissions(service)
        if by_api:
            account = {"password": password, "tags": ""}
            await management("PUT", amqp_url, f"/api/users/{quote(user, safe='')}", account)
            await management(
                "PUT",
                amqp_url,
                f"/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
                {"configure": allowed.configure, "write": allowed.write, "read": allowed.read},
            )
            continue
        if known is None:
            users = await rabbitmqctl_command("list_users", "--no-table-headers")
            known = {line.split("\t")[0] for line in users.splitlines()}
        if user not in known:
            # `--`: a password may start with a dash.
            await rabbitmqctl_command("add_user", "--", user, password)
        else:
            await rabbitmqctl_command("change_password", "--", user, password)
        await rabbitmqctl_command(
            "set_permissions", "-p", vhost, user, allowed.configure, allowed.write, allowed.read
        )


async def _connect(amqp_url: str) -> aio_pika.abc.AbstractConnection:
    try:
        return await aio_pika.connect(amqp_url, timeout=10)
    except ProbableAuthenticationError:
        raise  # a wrong password stays wrong
    except AMQPConnectionError as error:  # not up yet
        raise ConnectionError(str(error)) from error


async def _management_answers(amqp_url: str) -> bool:
    """Whether users are made through the management API (else with rabbitmqctl); while
    neither is at hand, the broker is taken as still starting (its HTTP listener comes last)."""
    if await management("GET", amqp_url, "/api/overview"):
        return True
    if shutil.which("rabbitmqctl"):
        return False
    raise ConnectionRefusedError("RabbitMQ's management API does not answer yet")


async def grant(env: Mapping[str, str], *, prefix: str = DEFAULT_PREFIX) -> None:
    database_url, amqp_url = env.get("ADMIN_DATABASE_URL"), env.get("ADMIN_AMQP_URL")
    if not database_url or not amqp_url:
        raise Refused("ADMIN_DATABASE_URL and ADMIN_AMQP_URL name the administrators' accounts")
    database_passwords = passwords("db", DATABASE_SERVICES, env)
    broker_passwords = passwords("amqp", BROKER_SERVICES, env)
    conn = await keep_trying(
        lambda: asyncpg.connect(database_url, timeout=10), what="postgres", timeout=WAIT
    )
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
