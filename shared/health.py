"""Health and readiness, the same for every service: what a load balancer or compose asks."""

from typing import Literal

import structlog
from aiohttp import web
from typing_extensions import TypedDict

from shared.openapi import documented
from shared.problems import Text
from shared.web import BROKER, DATABASE

log = structlog.get_logger(__name__)

routes = web.RouteTableDef()


class Alive(TypedDict):
    status: Literal["ok"]


class Checks(TypedDict, total=False):
    database: bool
    broker: bool


class Readiness(TypedDict):
    status: Literal["ready", "not ready"]
    checks: Checks


@routes.get("/health")
@documented(
    operation_id="health",
    tag="system",
    summary=Text("Layanan hidup", "The service is alive"),
    answers={200: Alive},
)
async def health(_request: web.Request) -> web.Response:
    """Alive: the process answers."""
    return web.json_response({"status": "ok"})


@routes.get("/ready")
@documented(
    operation_id="ready",
    tag="system",
    summary=Text("Database dan broker terjangkau", "Database and broker reachable"),
    answers={200: Readiness, 503: Readiness},
)
async def ready(request: web.Request) -> web.Response:
    """Ready: the database answers and the broker connection is open (for a service that has
    one: the console has none)."""
    checks = {"database": False}
    if BROKER in request.app:
        checks["broker"] = request.app[BROKER].is_connected
    try:
        async with request.app[DATABASE].acquire(timeout=2) as conn:
            checks["database"] = await conn.fetchval("SELECT true", timeout=2)
    except Exception as error:
        log.warning("readiness: database unreachable", error=repr(error))
    status = 200 if all(checks.values()) else 503
    state = "ready" if status == 200 else "not ready"
    return web.json_response({"status": state, "checks": checks}, status=status)
