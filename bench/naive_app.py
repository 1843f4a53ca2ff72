"""The naive baseline: the orders endpoint most teams would write first.

    python -m bench.naive_app --port 8091 --database-url ... --amqp-url ...

One aiohttp handler that checks the bearer token, parses the body, inserts the order (one
statement, so one transaction) and publishes its event with a publisher confirm before it
answers 201: no outbox, no idempotency, no validation beyond the JSON, no logging. Its table
is `naive.orders` in the sandbox's database; its events go through `bench.naive` into two quorum
queues, as order.placed reaches two in the real system (bench/targets.py). The pool is as large
as a service's (10 connections).
"""

import argparse
import hmac
import json
import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
from aiohttp import web

from bench.targets import ROUTING_KEY, declare_target

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS naive;
CREATE TABLE IF NOT EXISTS naive.orders (
    id         uuid PRIMARY KEY,
    hub        text NOT NULL,
    sku        text NOT NULL,
    quantity   integer NOT NULL,
    buyer      jsonb NOT NULL,
    placed_at  timestamptz NOT NULL DEFAULT now()
);
"""
INSERT = """
INSERT INTO naive.orders (id, hub, sku, quantity, buyer) VALUES ($1, $2, $3, $4, $5)
RETURNING placed_at
"""
POOL = web.AppKey("pool", asyncpg.Pool)
EXCHANGE = web.AppKey("exchange", aio_pika.abc.AbstractExchange)
TOKEN = web.AppKey("token", str)


async def post_order(request: web.Request) -> web.Response:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
    if not hmac.compare_digest(given, request.app[TOKEN].encode()):
        return web.json_response({"error": "unauthorised"}, status=401)
    data = await request.json()
    order_id = uuid.uuid4()
    placed_at = await request.app[POOL].fetchval(
        INSERT, order_id, data["hub"], data["sku"], data["quantity"], json.dumps(data["buyer"])
    )
    order = {"id": str(order_id), "status": "queued", "placed_at": placed_at.isoformat(), **data}
    event = {"type": "order.placed", "id": str(uuid.uuid4()), "payload": order}
    await request.app[EXCHANGE].publish(
        aio_pika.Message(
            json.dumps(event).encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event["id"],
        ),
        routing_key=ROUTING_KEY,
    )
    return web.json_response(order, status=201)


def create_app(database_url: str, amqp_url: str, token: str) -> web.Application:
    app = web.Application()
    app[TOKEN] = token

    async def resources(app: web.Application) -> AsyncIterator[None]:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(SCHEMA)
        finally:
            await conn.close()
        # Idle connections are closed after a while: the suite leaves this app idle while it
        # measures the others, and the server's connections are shared.
        app[POOL] = await asyncpg.create_pool(
            database_url, min_size=1, max_size=10, max_inactive_connection_lifetime=10
        )
        connection = await aio_pika.connect_robust(amqp_url)
        channel = await connection.channel(publisher_confirms=True)
        app[EXCHANGE] = await declare_target(channel, "naive")
        yield
        await connection.close()
        await app[POOL].close()

    app.cleanup_ctx.append(resources)
    app.router.add_post("/v1/orders", post_order)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--operator-token", default="bench-operator-token")
    args = parser.parse_args()
    web.run_app(
        create_app(args.database_url, args.amqp_url, args.operator_token),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
