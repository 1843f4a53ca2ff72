"""Before the tests: are Postgres and RabbitMQ reachable where DATABASE_URL and AMQP_URL say, does
Postgres allow the connections the suite's workers open at once, and is there a Chromium
(CHROMIUM_PATH, /usr/bin/chromium by default) for the browser tests?

python -m tools.preflight      # exit 0 when all are there; else says how to get them, exit 2
"""

import asyncio
import os
import sys

import aio_pika
import asyncpg
from yarl import URL

from tools.sandbox import HOW_TO_START, base_urls

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright drives the system's Chromium: the tests never download a browser of their own.
HOW_TO_INSTALL_CHROMIUM = """\
Chromium:  sudo apt-get install chromium   (Debian; scripts/test does it itself as root)
           or set CHROMIUM_PATH to a Chromium binary"""
# Two workers, each with its stacks of services (ten pooled connections each) and the fault
# tests' own: 130 at once seen on 2026-12-06. Postgres's default is 100.
CONNECTIONS_NEEDED = 200
HOW_TO_ALLOW_CONNECTIONS = """\
Connections: psql -c "ALTER SYSTEM SET max_connections = 300", then restart Postgres
           (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart);
           compose's Postgres allows 300 already"""


async def problems() -> list[tuple[str, str]]:
    """What is missing, each with how to mend it."""
    database_url, amqp_url = base_urls()
    postgres, rabbitmq = URL(database_url).with_password(None), URL(amqp_url).with_password(None)
    found = []
    try:
        conn = await asyncpg.connect(database_url, timeout=5)
        try:
            allowed = int(await conn.fetchval("SHOW max_connections"))
        finally:
            await conn.close()
        if too_few := connections_problem(str(postgres), allowed):
            found.append((too_few, HOW_TO_ALLOW_CONNECTIONS))
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        found.append((f"Postgres at {postgres}: {error}", HOW_TO_START))
    try:
        connection = await aio_pika.connect(amqp_url, timeout=5)
        await connection.close()
    except Exception as error:  # aiormq raises several kinds for "not there" and "refused"
        found.append((f"RabbitMQ at {rabbitmq}: {error!r}", HOW_TO_START))
    return found


def connections_problem(postgres: str, allowed: int) -> str | None:
    if allowed >= CONNECTIONS_NEEDED:
        return None
    return (
        f"Postgres at {postgres} allows {allowed} connections; "
        f"the suite opens up to {CONNECTIONS_NEEDED} at once"
    )


def chromium_problem() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return None
    return f"Chromium for the browser tests: nothing runnable at {CHROMIUM}"


def main() -> None:
    found = asyncio.run(problems())
    if chromium := chromium_problem():
        found.append((chromium, HOW_TO_INSTALL_CHROMIUM))
    if found:
        hints = list(dict.fromkeys(hint for _, hint in found))  # each once, in order
        print("Cannot reach what the tests need:", *(p for p, _ in found), "", *hints, sep="\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
