"""A service as `python -m services.<name>` runs it, but listening with SO_REUSEPORT, so that
several processes of it can share one port and the kernel spreads connections among them.

    python -m bench.serve orders        # HTTP_PORT etc. from the environment, as the service

Only for the suite's `--orders-processes N` (bench/README.md): the services' own entry point,
`shared.service.run`, is untouched. It builds the same app with the service's own `create_app`
and settings, and passes `run_app` the same arguments plus `reuse_port=True`. Several replicas
of a service are safe by design (the outbox relays share the table with SKIP LOCKED, the
consumers compete on the queue, migrations take turns under a lock).
"""

import importlib
import sys

from aiohttp import web

from shared.logging import configure_logging


def main() -> None:
    name = sys.argv[1]
    module = importlib.import_module(f"services.{name}.app")
    settings = module.Settings()
    configure_logging(name, settings.log_format, settings.log_level)
    web.run_app(
        module.create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        access_log=None,
        print=None,
        shutdown_timeout=10,
        reuse_port=True,
    )


if __name__ == "__main__":
    main()
