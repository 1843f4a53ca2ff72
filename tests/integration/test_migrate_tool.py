"""`python -m tools.migrate <service>`, the Kubernetes init container (deploy/k8s/): it applies the
service's migrations, exactly those the service applies as it starts, once, and fails loudly
when it cannot."""

import asyncio
import os
import sys

import asyncpg
import pytest

from shared.db import migrations_in, service_migrations
from tests.support.compose import APPS, ROOT
from tools.migrate import SERVICES, main
from tools.sandbox import sandbox

SITES = ("console", "storefront")  # no outbox or inbox: their own files only (shared/pages.py)


async def run_migrate(service: str, **env: str) -> tuple[int, str]:
    """The tool as the init container runs it: the database's address and the defaults."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.migrate",
        service,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "LOG_FORMAT": "json", **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode, output.decode()


def expected(service: str) -> list[str]:
    directory = ROOT / "services" / service / "migrations"
    found = migrations_in(directory) if service in SITES else service_migrations(directory)
    return [m.name for m in found]


async def applied(conn: asyncpg.Connection, service: str) -> list[str]:
    rows = await conn.fetch(f'SELECT name FROM "{service}".schema_migrations ORDER BY name')
    return [row["name"] for row in rows]


async def test_each_service_s_migrations_are_applied_once_and_only_they():
    assert set(SERVICES) == set(APPS)
    async with sandbox("plut_migrate") as box:
        conn = await asyncpg.connect(box.database_url)
        try:
            for service in SERVICES:
                code, output = await run_migrate(service, DATABASE_URL=box.database_url)
                assert code == 0, output
                assert sorted(await applied(conn, service)) == sorted(expected(service))
                assert "migration applied" in output
                # Again, as the service itself does on start: nothing left to do.
                code, output = await run_migrate(service, DATABASE_URL=box.database_url)
                assert code == 0 and "migration applied" not in output, output
            schemas = {
                row["nspname"]
                for row in await conn.fetch("SELECT nspname FROM pg_namespace")
                if not row["nspname"].startswith(("pg_", "information_schema"))
            }
            assert schemas == {"public", *SERVICES}
            # Nothing but the database: no broker was touched, no outbox row written.
            assert not await conn.fetchval('SELECT count(*) FROM "orders".outbox')
        finally:
            await conn.close()


async def test_an_unreachable_database_fails_the_init_container():
    code, output = await run_migrate(
        "orders",
        DATABASE_URL="postgresql://postgres:postgres@127.0.0.1:9/plut",
        STARTUP_TIMEOUT_SECONDS="0.5",
    )
    assert code != 0
    assert "Connect" in output or "connect" in output, output


def test_an_unknown_service_is_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["billing"])
    assert stop.value.code == 2
    assert "invalid choice: 'billing'" in capsys.readouterr().err
