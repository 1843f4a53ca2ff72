"""Apply one service's migrations and exit: `python -m tools.migrate orders`.

Each service applies its migrations as it starts (shared/db.py, under a lock so replicas take
turns). On Kubernetes an init container runs this first (deploy/k8s/), so a new version's
migrations are done before its pods start, however long they take, and a failed one stops the
rollout instead of a restart loop. It runs the service's own database step, the first of its
app's cleanup contexts (shared/service.py, shared/pages.py), with the service's settings from
the environment, and nothing else: no broker, no HTTP.
"""

import argparse
import asyncio
import importlib

from aiohttp import web

from shared.logging import configure_logging
from shared.web import DATABASE

SERVICES = ("intake", "orders", "allocator", "notifier", "console", "storefront")


def service_app(service: str) -> tuple[web.Application, str, str]:
    """The service's app as it would serve, unstarted; its log format and level."""
    module = importlib.import_module(f"services.{service}.app")
    settings = module.Settings()
    return module.create_app(settings), settings.log_format, settings.log_level


async def migrate(app: web.Application) -> None:
    """Open the app's database (which applies the migrations), then close it."""
    database = app.cleanup_ctx[0](app)
    await anext(database)
    try:
        if DATABASE not in app:
            raise RuntimeError("the app's first cleanup context did not open its database")
    finally:
        await anext(database, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.migrate", description=__doc__)
    parser.add_argument("service", choices=SERVICES)
    args = parser.parse_args(argv)
    app, log_format, log_level = service_app(args.service)
    configure_logging(f"{args.service}-migrate", log_format, log_level)
    asyncio.run(migrate(app))


if __name__ == "__main__":
    main()
