"""The partner example (partner_client.py) on a client generated from the hub's API document:
place an order safely, read it, cancel it, and receive the hub's signed callbacks.

Generate the client first (openapi-python-client, from the one document for every service):

    openapi-python-client generate --meta none --output-path examples/plut_client \\
        --url http://127.0.0.1:8082/v1/openapi-all.json
    python examples/partner_generated.py --api-key KEY --callback-secret SECRET --hub kalteng

Every method is typed from the document: `place_order` wants its Idempotency-Key, answers an
`Order` or a `Problem` (RFC 9457, naming each bad field), whatever the status. The callbacks are
received as in partner_client.py (a generator makes clients, not servers).
"""

import asyncio
import uuid

import httpx
from plut_client import AuthenticatedClient
from plut_client.api.partner import cancel_order, get_order, place_order
from plut_client.models import BuyerType, NewBuyer, NewOrder, Order, OrderWithStanding, Problem

try:  # from the repository's top (python -m examples.partner_generated), or beside it
    from examples.partner_client import IN_FLIGHT, RETRIED_STATUSES, argument_parser, listening
except ImportError:
    from partner_client import IN_FLIGHT, RETRIED_STATUSES, argument_parser, listening


class Refused(Exception):
    """The hub decided: not this (`problem` says why, and which fields)."""

    def __init__(self, problem: Problem) -> None:
        fields = ", ".join(error.field for error in problem.errors or [])
        super().__init__(f"{problem.status} {problem.title}: {problem.detail or ''} {fields}")
        self.problem = problem


async def place(
    client: AuthenticatedClient, order: NewOrder, *, key: str | None = None, attempts: int = 5
) -> tuple[Order, bool]:
    """Place `order` once, however often it must be sent: retried with the same Idempotency-Key
    until the hub answers for sure. Answers the order, and whether this was a replayed answer."""
    key = key or str(uuid.uuid4())
    for attempt in range(1, attempts + 1):
        wait = float(2**attempt)
        try:
            answer = await place_order.asyncio_detailed(
                client=client, body=order, idempotency_key=key
            )
        except httpx.TransportError:
            answer = None  # placed or not, we cannot tell: the same key makes asking again safe
        if answer is not None:
            if isinstance(answer.parsed, Order):
                return answer.parsed, answer.headers.get("Idempotent-Replayed") == "true"
            problem = answer.parsed
            if answer.status_code not in RETRIED_STATUSES and problem.type_ != IN_FLIGHT:
                raise Refused(problem)
            wait = float(answer.headers.get("Retry-After", wait))
        if attempt < attempts:
            await asyncio.sleep(wait)
    raise RuntimeError(f"no answer after {attempts} attempts; retry later with key {key}")


async def read(client: AuthenticatedClient, order_id: uuid.UUID) -> OrderWithStanding:
    answer = await get_order.asyncio_detailed(order_id, client=client)
    if isinstance(answer.parsed, Problem):
        raise Refused(answer.parsed)
    return answer.parsed


async def cancel(client: AuthenticatedClient, order_id: uuid.UUID) -> Order:
    """Cancel, with a key of its own: a retried cancel is answered as the first was."""
    key = str(uuid.uuid4())
    answer = await cancel_order.asyncio_detailed(order_id, client=client, idempotency_key=key)
    if isinstance(answer.parsed, Problem):
        raise Refused(answer.parsed)
    return answer.parsed


async def main() -> None:
    parser = argument_parser(__doc__)
    parser.add_argument("--cancel", action="store_true", help="cancel the order once placed")
    arguments = parser.parse_args()
    runner = await listening(arguments.callback_secret, arguments.listen)
    client = AuthenticatedClient(base_url=arguments.orders_url, token=arguments.api_key)
    order = NewOrder(
        hub=arguments.hub,
        sku=arguments.sku,
        quantity=arguments.quantity,
        buyer=NewBuyer(name=arguments.buyer, type_=BuyerType.BUSINESS, region=arguments.region),
    )
    try:
        async with client:
            placed, _ = await place(client, order)
            standing = await read(client, placed.id)
            print(f"placed order {placed.id}: {standing.status}, position {standing.position}")
            if arguments.cancel:
                print(f"cancelled: {(await cancel(client, placed.id)).status}")
            print("Ctrl-C to stop")
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
