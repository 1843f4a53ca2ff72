"""Before the tests: are Postgres and RabbitMQ reachable where DATABASE_URL and AMQP_URL say?

python -m tools.preflight      # exit 0 when both answer; else says how to start them, exit 2
"""

import asyncio
import sys

import aio_pika
import asyncpg
from yarl import URL

from tools.sandbox import HOW_TO_START, base_urls


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


def main() -> None:
    found = asyncio.run(problems())
    if found:
        print("Cannot reach what the tests need:", *found, "", HOW_TO_START, sep="\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
