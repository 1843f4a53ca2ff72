"""The HTTP ceiling: the services' aiohttp answering a JSON POST with no I/O at all.

    python -m bench.bare_app --port 8090              # aiohttp alone: parse, answer 201
    python -m bench.bare_app --port 8090 --plumbing   # and the services' own per-request code

Bare: the handler parses the body and answers a small JSON document, 201, with no database,
broker or logging. `--plumbing` adds what every service request pays before any I/O, taken
from `shared/`: the correlation and problem middlewares (with a structlog line per request at
INFO, JSON, as in production), the operator-token check, the body read and validated as the
orders API's `NewOrder`, and the answer serialised by pydantic. The difference between the two
is the cost of the services' own plumbing; the difference from the real endpoint, its I/O.
"""

import argparse
import json
import uuid
from datetime import UTC, datetime

from aiohttp import web
from pydantic import SecretStr

from services.orders.models import NewOrder, Order
from shared.config import ServiceSettings
from shared.guesses import GUESSES, Guesses
from shared.logging import configure_logging
from shared.operators import require_operator
from shared.order_codes import new_order_code, shown
from shared.web import (
    MAX_BODY_BYTES,
    SETTINGS,
    correlation_middleware,
    json_response,
    problem_middleware,
    read_json,
)


async def bare(request: web.Request) -> web.Response:
    data = json.loads(await request.read())
    answer = {"id": str(uuid.uuid4()), "status": "queued", "hub": data.get("hub")}
    return web.json_response(answer, status=201)


async def plumbed(request: web.Request) -> web.Response:
    require_operator(request)
    new = await read_json(request, NewOrder)
    order = Order(
        id=uuid.uuid4(),
        code=shown(new_order_code()),
        hub=new.hub,
        sku=new.sku,
        quantity=new.quantity,
        allocated=0,
        fulfilled=0,
        expired=0,
        waiting=new.quantity,
        hold_until=None,
        accept_partial=new.accept_partial,
        priority_class=new.priority_class or "public",
        status="queued",
        buyer=new.buyer,
        placed_at=datetime.now(UTC),
        fulfilled_at=None,
        cancelled_at=None,
    )
    return json_response(order, status=201)


class _Settings(ServiceSettings):
    http_port: int = 8090


def create_app(plumbing: bool, operator_token: str) -> web.Application:
    if not plumbing:
        app = web.Application()
        app.router.add_post("/v1/orders", bare)
        return app
    app = web.Application(
        client_max_size=MAX_BODY_BYTES, middlewares=[correlation_middleware, problem_middleware]
    )
    app[SETTINGS] = _Settings(operator_token=SecretStr(operator_token))
    app[GUESSES] = Guesses()
    app.router.add_post("/v1/orders", plumbed)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--plumbing", action="store_true")
    parser.add_argument("--operator-token", default="bench-operator-token")
    args = parser.parse_args()
    if args.plumbing:
        configure_logging("bench-plumbing", "json", "INFO")
    web.run_app(
        create_app(args.plumbing, args.operator_token),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
