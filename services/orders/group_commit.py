"""Group commit for placed orders: POSTs that arrive while a transaction is being written go
together into the next one, which shares its round trips, its commit and the disk's flush.

Nothing waits on a timer: a request that finds no write in progress is written at once, alone;
those that arrive meanwhile queue, and are written together as soon as that write ends. Each is
placed by the one-order use case (handlers.place_order) over the transaction's one unit of work,
which writes them a kind of row at a time; each is answered only after the commit that holds
it, and one refused (an unknown product, its key in flight or used for another request) is
refused alone while the others are placed.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web
from prometheus_client import Counter

from services.orders.domain import PlaceOrder
from services.orders.handlers import place_order
from services.orders.idempotency import Answer
from services.orders.store.keys import STORED_MEANWHILE
from services.orders.store.orders import CODE_TAKEN
from services.orders.store.unit_of_work import UnitOfWork
from shared.problems import Problem
from shared.service import RELAY_DOORBELL
from shared.web import DATABASE
from shared.worker import Doorbell

GROUP_COMMITS = Counter(
    "plut_order_group_commits_total",
    "Transactions that placed orders, and the orders they held (`what`: transactions, orders).",
    ["service", "what"],
)
# A bound on one statement's arrays; more than this waits for the next transaction.
MOST_IN_ONE = 256
# A new order drew a code another order has (about 1 in 10^15 a pair): drawn again, the batch
# goes in whole. Three draws in a row failing means something else is wrong.
CODE_DRAWS = 3


@dataclass(eq=False)
class Placement:
    """One POST waiting for its order."""

    command: PlaceOrder
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


async def place_all(
    conn: asyncpg.Connection, commands: list[PlaceOrder], notify: bool = True
) -> list[Answer | Problem]:
    """Each order placed by the use case over one unit of work, flushed once, in the caller's
    transaction: an answer or the problem that refused it, for each. A failed statement (the
    database's error, not a refusal) is raised, and the caller's transaction rolls back.
    `notify` False: no NOTIFY for the relay, which the caller rings itself after the commit."""
    uow = UnitOfWork(conn, notify)
    outcomes = await asyncio.gather(
        *(place_order(uow, command) for command in commands), return_exceptions=True
    )
    if uow.failed is not None:
        raise uow.failed
    for outcome in outcomes:
        if not isinstance(outcome, Answer | Problem):
            raise outcome
    await uow.flush()
    return outcomes


class OrderWriter:
    """Places the orders of concurrent POSTs, a transaction per batch (see the module's doc)."""

    def __init__(
        self, pool: asyncpg.Pool, service: str = "orders", relay: Doorbell | None = None
    ) -> None:
        self.pool = pool
        # This process's relay, rung after each commit: it publishes what any process stored
        # (a NOTIFY per batch would wake every listener of the database, for one relay's sake).
        # Without one, the commit NOTIFYs as every other writer of events does.
        self.relay = relay
        self.queue: list[Placement] = []
        self.writing: asyncio.Task | None = None
        self._transactions = GROUP_COMMITS.labels(service=service, what="transactions")
        self._orders = GROUP_COMMITS.labels(service=service, what="orders")

    async def place(self, command: PlaceOrder) -> Answer:
        placement = Placement(command)
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
        stored_meanwhile = code_taken = 0
        while True:
            try:
                outcomes = await self._transaction(batch)
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
                return await self._one_by_one(batch, error)
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as error:
                return await self._one_by_one(batch, error)
            except Exception as error:  # the database is away: so it is for each of them
                for placement in batch:
                    placement.settle(error)
                return None
            for placement, outcome in zip(batch, outcomes, strict=True):
                placement.settle(outcome)
            return None

    async def _one_by_one(self, batch: list[Placement], error: Exception) -> None:
        """A statement of the batch failed, which rolled all back: whose was it? Each alone."""
        if len(batch) == 1:
            batch[0].settle(error)
            return
        for placement in batch:
            await self._write([placement])

    async def _transaction(self, batch: list[Placement]) -> list[Answer | Problem]:
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                outcomes = await place_all(
                    conn, [placement.command for placement in batch], self.relay is None
                )
        if self.relay is not None and any(
            isinstance(outcome, Answer) and not outcome.replayed for outcome in outcomes
        ):
            self.relay.ring()
        self._transactions.inc()
        self._orders.inc(len(batch))
        return outcomes


ORDER_WRITER = web.AppKey("order_writer", OrderWriter)


async def order_writer(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context that gives the app its writer, and lets its last write finish."""
    writer = app[ORDER_WRITER] = OrderWriter(app[DATABASE], relay=app.get(RELAY_DOORBELL))
    yield
    if writer.writing is not None:
        await asyncio.wait([writer.writing])
