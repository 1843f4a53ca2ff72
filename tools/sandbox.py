"""A throwaway Postgres database and RabbitMQ vhost, so tests and benchmarks never touch data
they did not create, and can run beside another copy of the system on the same servers.

The vhost is made with RabbitMQ's management API when it answers (docker compose's image has
it), else with `rabbitmqctl` on this machine (Debian's server, as on CI).
"""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import asyncpg
from yarl import URL

DEFAULT_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"

HOW_TO_START = """\
Postgres:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
           (or: docker compose up -d postgres)
RabbitMQ:  rabbitmq-server -detached
           (or: docker compose up -d rabbitmq)
Elsewhere, point DATABASE_URL and AMQP_URL at running servers."""


class InfrastructureUnavailable(RuntimeError):
    """Postgres or RabbitMQ cannot be reached or cannot make a sandbox."""


@dataclass(frozen=True)
class Sandbox:
    database_url: str
    amqp_url: str
    name: str


def base_urls() -> tuple[str, str]:
    return (
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
    )


@asynccontextmanager
async def sandbox(prefix: str = "plut_test") -> AsyncIterator[Sandbox]:
    """A new database and vhost named `<prefix>_<random>`, removed on the way out."""
    database_url, amqp_url = base_urls()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _create_database(database_url, name)
    try:
        await _create_vhost(amqp_url, name)
        try:
            yield Sandbox(
                database_url=str(URL(database_url).with_path(f"/{name}")),
                amqp_url=str(URL(amqp_url).with_path(f"/{name}")),
                name=name,
            )
        finally:
            await _delete_vhost(amqp_url, name)
    finally:
        await _drop_database(database_url, name)


@asynccontextmanager
async def vhost(prefix: str = "plut_test") -> AsyncIterator[str]:
    """A new RabbitMQ vhost alone (for a database of the caller's own); answers its AMQP URL."""
    amqp_url = base_urls()[1]
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _create_vhost(amqp_url, name)
    try:
        yield str(URL(amqp_url).with_path(f"/{name}"))
    finally:
        await _delete_vhost(amqp_url, name)


async def connect_admin(database_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(database_url, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        raise InfrastructureUnavailable(
            f"Postgres at {URL(database_url).with_password(None)} is unreachable: {error}\n"
            + HOW_TO_START
        ) from error


async def _create_database(database_url: str, name: str) -> None:
    conn = await connect_admin(database_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(database_url: str, name: str) -> None:
    conn = await connect_admin(database_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _management_url(amqp_url: str) -> URL:
    explicit = os.environ.get("RABBITMQ_MANAGEMENT_URL")
    if explicit:
        return URL(explicit)
    amqp = URL(amqp_url)
    return URL.build(
        scheme="http",
        host=amqp.host or "localhost",
        port=15672,
        user=amqp.user or "guest",
        password=amqp.password or "guest",
    )


async def management(method: str, amqp_url: str, path: str, json: dict | None = None) -> bool:
    """Call the management API; False when it does not answer at all."""
    base = _management_url(amqp_url)
    headers = {
        "Authorization": aiohttp.encode_basic_auth(base.user or "guest", base.password or "guest")
    }
    url = f"{base.with_user(None).with_path('')}{path}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.request(method, url, headers=headers, json=json) as response:
                if response.status >= 400 and not (method == "DELETE" and response.status == 404):
                    raise InfrastructureUnavailable(
                        f"RabbitMQ management {method} {path}: {response.status} "
                        f"{await response.text()}"
                    )
                return True
    except aiohttp.ClientConnectionError:
        return False


async def rabbitmqctl_command(*args: str) -> str:
    if shutil.which("rabbitmqctl") is None:
        raise InfrastructureUnavailable(
            "Cannot make a RabbitMQ vhost: the management API does not answer and rabbitmqctl "
            "is not installed. Enable the management plugin or set RABBITMQ_MANAGEMENT_URL.\n"
            + HOW_TO_START
        )
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise InfrastructureUnavailable(
            f"rabbitmqctl {' '.join(args)} failed: {(stderr or stdout).decode().strip()}\n"
            + HOW_TO_START
        )
    return stdout.decode()


async def _create_vhost(amqp_url: str, name: str) -> None:
    user = URL(amqp_url).user or "guest"
    vhost = quote(name, safe="")
    if await management("PUT", amqp_url, f"/api/vhosts/{vhost}"):
        await management(
            "PUT",
            amqp_url,
            f"/api/permissions/{vhost}/{quote(user, safe='')}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
        )
        return
    await rabbitmqctl_command("add_vhost", name)
    await rabbitmqctl_command("set_permissions", "-p", name, user, ".*", ".*", ".*")


async def _delete_vhost(amqp_url: str, name: str) -> None:
    if await management("DELETE", amqp_url, f"/api/vhosts/{quote(name, safe='')}"):
        return
    await rabbitmqctl_command("delete_vhost", name)
