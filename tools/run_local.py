"""The whole system as plain processes, without Docker, against a Postgres and a RabbitMQ given
by DATABASE_URL and AMQP_URL (localhost by default), on ports 8081-8084; logs to this terminal.

    python -m tools.run_local          # Ctrl-C stops all four
"""

import asyncio
import os
import signal

from tools.sandbox import base_urls
from tools.stack import DEFAULT_PORTS, Stack


async def run() -> None:
    database_url, amqp_url = base_urls()
    stack = Stack.plan(
        database_url=database_url,
        amqp_url=amqp_url,
        log_dir=None,
        extra_env={"LOG_FORMAT": os.environ.get("LOG_FORMAT", "console")},
        ports=DEFAULT_PORTS,
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    try:
        await stack.start()
        print("ready:", ", ".join(f"{name} {url}" for name, url in stack.urls().items()))
        if not os.environ.get("OPERATOR_TOKEN"):
            print("OPERATOR_TOKEN is unset: operators' calls, intake's writes among them, refused")
        if not os.environ.get("STOREFRONT_PARTNER_KEY"):
            print("STOREFRONT_PARTNER_KEY is unset: the buyers' site cannot place orders")
        for role in ("STAFF", "VIEWER"):
            if not os.environ.get(f"OPERATOR_{role}_TOKEN"):
                print(f"OPERATOR_{role}_TOKEN is unset: the console's {role.lower()} cannot act")
        await stopping.wait()
    finally:
        stack.stop()


if __name__ == "__main__":
    asyncio.run(run())
