"""The whole system as plain processes, without Docker, against a Postgres and a RabbitMQ given
by DATABASE_URL and AMQP_URL (localhost by default), on ports 8081-8086; logs to this terminal.

    python -m tools.run_local          # Ctrl-C stops all six
"""

import asyncio
import os
import signal

from tools.local_services import DEFAULT_PORTS, SERVICES, ServiceProcess, services_env
from tools.sandbox import base_urls


async def run() -> None:
    database_url, amqp_url = base_urls()
    env = {
        **services_env(database_url=database_url, amqp_url=amqp_url, ports=DEFAULT_PORTS),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "console"),
    }
    services = [ServiceProcess(name, DEFAULT_PORTS[name], env, log_path=None) for name in SERVICES]
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    try:
        for service in services:
            service.start()
        await asyncio.gather(*(service.wait_ready() for service in services))
        print("ready:", ", ".join(f"{service.name} {service.url}" for service in services))
        if not os.environ.get("OPERATOR_TOKEN"):
            print("OPERATOR_TOKEN is unset: operators' calls, intake's writes among them, refused")
        if not os.environ.get("STOREFRONT_PARTNER_KEY"):
            print("STOREFRONT_PARTNER_KEY is unset: the buyers' site cannot place orders")
        for role in ("STAFF", "VIEWER"):
            if not os.environ.get(f"OPERATOR_{role}_TOKEN"):
                print(f"OPERATOR_{role}_TOKEN is unset: the console's {role.lower()} cannot act")
        await stopping.wait()
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.stop()


if __name__ == "__main__":
    asyncio.run(run())
