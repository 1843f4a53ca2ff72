"""Before the tests: are Postgres and RabbitMQ reachable where DATABASE_URL and AMQP_URL say, and
is there a Chromium (CHROMIUM_PATH, /usr/bin/chromium by default) for the browser tests?

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


async def problems() -> list[str]:
    database_url, amqp_url = base_urls()
    found = []
    try:
        conn = await asyncpg.connect(database_url, timeout=5)
        await conn.close()
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        found.append(f"Postgres at {URL(database_url).with_password(None)}: {error}")
    try:
        connection = await aio_pika.connect(amqp_url, timeout=5)
        await connection.close()
    except Exception as error:  # aiormq raises several kinds for "not there" and "refused"
        found.append(f"RabbitMQ at {URL(amqp_url).with_password(None)}: {error!r}")
    return found


def chromium_problem() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return None
    return f"Chromium for the browser tests: nothing runnable at {CHROMIUM}"


def main() -> None:
    found = asyncio.run(problems())
    hints = [HOW_TO_START] if found else []
    if chromium := chromium_problem():
        found.append(chromium)
        hints.append(HOW_TO_INSTALL_CHROMIUM)
    if found:
        print("Cannot reach what the tests need:", *found, "", *hints, sep="\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
