"""Group commit for placed orders: POSTs that arrive while a batch is being written go together
into the next transaction, which shares its round trips, its commit and the disk's flush.

Nothing waits on a timer: a request that finds no write in progress is written at once, alone;
those that arrive meanwhile queue, and are written together as soon as that write ends. Each is
answered only after the commit that holds it, and one refused (an unknown product, its key in
flight or used for another request) is refused alone while the others are placed.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web
from prometheus_client import Counter

from services.orders import history, store
from services.orders.handlers import unknown_product
from services.orders.idempotency import STORED_MEANWHILE, Answer, in_flight, reused
from services.orders.models import NewOrder
from shared.events import CLASS_OF_BUYER_TYPE, Envelope, OrderPlaced
from shared.web import DATABASE

GROUP_COMMITS = Counter(
    "plut_order_group_commits_total",
    "Transactions that placed orders, and the orders they held (`what`: transactions, orders).",
    ["service", "what"],
)
# A bound on one statement's arrays; more than this waits for the next transaction.
MOST_IN_ONE = 256
# A new order drew a code another order has (about 1 in 10^15 a pair): drawn again, the batch
# goes in whole. Three draws in a row failing means something else is wrong.
CODE_TAKEN = "orders_code_key"
CODE_DRAWS = 3

# The keys' locks, held until the transaction ends (a key locked elsewhere is in flight), and
# their stored answers: as idempotency.CLAIM, for every keyed request of the batch at once.
CLAIMS = """
SELECT k.i, pg_try_advisory_xact_lock(hashtextextended(k.owner || chr(10) || k.key, 0)) AS locked,
       s.request_hash, s.status, s.response
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(owner, key, i)
LEFT JOIN idempotency_keys s ON s.owner = k.owner AND s.key = k.key
"""
# As store.ORDER_INSERT, for many: an order whose product the catalog lacks is not inserted.
# Each gets its code from the column's default (migration 0008), drawn afresh on each attempt.
ORDERS_INSERT = """
INSERT INTO orders (id, hub, sku, quantity, buyer, accept_partial, priority_class, partner_id)
SELECT u.id, u.hub, u.sku, u.quantity, u.buyer::jsonb, u.accept_partial, u.priority_class,
       u.partner_id
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bool[], $7::text[],
            $8::uuid[]) WITH ORDINALITY
     AS u(id, hub, sku, quantity, buyer, accept_partial, priority_class, partner_id, i)
WHERE EXISTS (SELECT 1 FROM catalog c WHERE c.hub = u.hub AND c.sku = u.sku)
ORDER BY u.i
RETURNING *
"""
# The placed orders' events, first history entries and answers, in one round trip; the NOTIFY
# wakes the outbox relay at commit.
PLACED_RECORDS = """
WITH announced AS (
    INSERT INTO outbox (event_id, routing_key, correlation_id, body)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[])
), recorded AS (
    INSERT INTO order_history (order_id, at, kind, units, detail)
    SELECT h.order_id, h.at, 'placed', h.units, h.detail::jsonb
    FROM unnest($5::uuid[], $6::timestamptz[], $7::int[], $8::text[])
         AS h(order_id, at, units, detail)
), answered AS (
    INSERT INTO idempotency_keys (owner, key, request_hash, status, response)
    SELECT * FROM unnest($9::text[], $10::text[], $11::text[], $12::int[], $13::text[])
)
SELECT pg_notify(current_schema() || '_outbox', '')
"""


@dataclass(eq=False)
class Placement:
    """One POST waiting for its order: `key` None for the operator without a key."""

    new: NewOrder
    partner_id: uuid.UUID | None
    correlation_id: str
    owner: str
    key: str | None
    request_hash: str
    answered: asyncio.Future = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, outcome: Answer | BaseException) -> None:
        if self.answered.done():  # its caller went away
            return
        if isinstance(outcome, BaseException):
            self.answered.set_exception(outcome)
        else:
            self.answered.set_result(outcome)


def first_of_each_key(batch: Sequence[Placement]) -> tuple[list[Placement], list[Placement]]:
    """The placements to act on, and those whose key an earlier one in the batch holds.

    Advisory locks are re-entrant within a session, so the database would let both act: the
    later one is in flight, as it would be beside the first in another transaction.
    """
    acting, repeated, seen = [], [], set()
    for placement in batch:
        if placement.key is None:
            acting.append(placement)
            continue
        claim = (placement.owner, placement.key)
        (repeated if claim in seen else acting).append(placement)
        seen.add(claim)
    return acting, repeated


class OrderWriter:
    """Places the orders of concurrent POSTs, a transaction per batch (see the module's doc)."""

    def __init__(self, pool: asyncpg.Pool, service: str = "orders") -> None:
        self.pool = pool
        self.queue: list[Placement] = []
        self.writing: asyncio.Task | None = None
        self._transactions = GROUP_COMMITS.labels(service=service, what="transactions")
        self._orders = GROUP_COMMITS.labels(service=service, what="orders")

    async def place(self, placement: Placement) -> Answer:
        self.queue.append(placement)
        if self.writing is None:
            self.writing = asyncio.create_task(self._write_while_queued())
        return await placement.answered

    async def _write_while_queued(self) -> None:
        batch: list[Placement] = []
        try:
            while self.queue:
                batch, self.queue = self.queue[:MOST_IN_ONE], self.queue[MOST_IN_ONE:]
                await self._write(batch)
        except BaseException as error:  # cancelled at shutdown: nobody is left waiting
            for placement in [*batch, *self.queue]:
                placement.settle(error)
            self.queue = []
            raise
        finally:
            self.writing = None

    async def _write(self, batch: list[Placement]) -> None:
        acting, repeated = first_of_each_key(batch)
        for placement in repeated:
            placement.settle(in_flight())
        stored_meanwhile = code_taken = 0
        while True:
            try:
                outcomes = await self._transaction(acting)
            except asyncpg.UniqueViolationError as error:
                # A first answer committed elsewhere as this batch claimed its key: the next
                # claim replays it (idempotency.once does the same for one request).
                if error.constraint_name == STORED_MEANWHILE and not stored_meanwhile:
                    stored_meanwhile += 1
                    continue
                # A code drawn twice: the next transaction draws every code anew.
                if error.constraint_name == CODE_TAKEN and code_taken < CODE_DRAWS - 1:
                    code_taken += 1
                    continue
                return await self._one_by_one(acting, error)
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as error:
                return await self._one_by_one(acting, error)
            except Exception as error:  # the database is away: so it is for each of them
                for placement in acting:
                    placement.settle(error)
                return None
            for placement, outcome in zip(acting, outcomes, strict=True):
                placement.settle(outcome)
            return None

    async def _one_by_one(self, acting: list[Placement], error: Exception) -> None:
        """A statement of the batch failed, which rolled all back: whose was it? Each alone."""
        if len(acting) == 1:
            acting[0].settle(error)
            return
        for placement in acting:
            await self._write([placement])

    async def _transaction(self, batch: list[Placement]) -> list[Answer | Exception]:
        if not batch:
            return []
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                outcomes = await _place_all(conn, batch)
        self._transactions.inc()
        self._orders.inc(len(batch))
        return outcomes


async def _place_all(conn: asyncpg.Connection, batch: list[Placement]) -> list[Answer | Exception]:
    outcomes: dict[int, Answer | Exception] = {}
    keyed = [(i, p) for i, p in enumerate(batch) if p.key is not None]
    if keyed:
        claims = await conn.fetch(CLAIMS, [p.owner for _, p in keyed], [p.key for _, p in keyed])
        for claim in claims:
            i, placement = keyed[claim["i"] - 1]
            if not claim["locked"]:
                outcomes[i] = in_flight()
            elif claim["request_hash"] is not None:
                if claim["request_hash"] != placement.request_hash:
                    outcomes[i] = reused()
                else:
                    outcomes[i] = Answer(claim["status"], claim["response"], replayed=True)
    to_place = [(i, p, uuid.uuid4()) for i, p in enumerate(batch) if i not in outcomes]
    if not to_place:
        return [outcomes[i] for i in range(len(batch))]
    rows = await conn.fetch(
        ORDERS_INSERT,
        [order_id for _, _, order_id in to_place],
        [p.new.hub for _, p, _ in to_place],
        [p.new.sku for _, p, _ in to_place],
        [p.new.quantity for _, p, _ in to_place],
        [json.dumps(p.new.buyer.model_dump(mode="json")) for _, p, _ in to_place],
        [p.new.accept_partial for _, p, _ in to_place],
        [p.new.priority_class or CLASS_OF_BUYER_TYPE[p.new.buyer.type] for _, p, _ in to_place],
        [p.partner_id for _, p, _ in to_place],
    )
    inserted = {row["id"]: row for row in rows}
    records = _Records()
    for i, placement, order_id in to_place:
        row = inserted.get(order_id)
        if row is None:
            outcomes[i] = await unknown_product(conn, placement.new.hub, placement.new.sku)
            continue
        outcomes[i] = records.add(placement, row)
    if records.events:
        await conn.execute(PLACED_RECORDS, *records.arguments())
    return [outcomes[i] for i in range(len(batch))]


class _Records:
    """What is stored beside each placed order (its event, history entry and answer), as columns."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self.history: list[tuple] = []
        self.answers: list[tuple] = []

    def add(self, placement: Placement, row: asyncpg.Record) -> Answer:
        order = store.order_from(row)
        placed = OrderPlaced(
            order_id=order.id,
            code=order.code,
            sku=order.sku,
            quantity=order.quantity,
            placed_at=order.placed_at,
            sequence=row["sequence"],
            buyer=order.buyer,
            buyer_key=order.buyer.key(order.id),
            priority_class=order.priority_class,
            accept_partial=order.accept_partial,
        )
        self.events.append(
            Envelope.wrap(placed, hub=order.hub, correlation_id=placement.correlation_id)
        )
        detail = history.as_stored(
            priority_class=order.priority_class,
            accept_partial=order.accept_partial,
            partner_id=placement.partner_id,
        )
        self.history.append((order.id, order.placed_at, order.quantity, json.dumps(detail)))
        answer = Answer(201, order.model_dump_json())
        if placement.key is not None:
            self.answers.append(
                (placement.owner, placement.key, placement.request_hash, answer.status, answer.body)
            )
        return answer

    def arguments(self) -> list[list]:
        columns = [
            [event.id for event in self.events],
            [event.type for event in self.events],
            [event.correlation_id for event in self.events],
            [event.model_dump_json().encode() for event in self.events],
        ]
        columns += [list(column) for column in zip(*self.history, strict=True)]
        columns += [list(column) for column in zip(*self.answers, strict=True)] or [[]] * 5
        return columns


ORDER_WRITER = web.AppKey("order_writer", OrderWriter)


async def order_writer(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context that gives the app its writer, and lets its last write finish."""
    writer = app[ORDER_WRITER] = OrderWriter(app[DATABASE])
    yield
    if writer.writing is not None:
        await asyncio.wait([writer.writing])
