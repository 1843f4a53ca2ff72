"""The unit of work the orders service's use cases write to, in one transaction: it holds what
they wrote, a kind of row at a time, and writes each kind with one statement when flushed.

Use cases may run side by side over one unit (the group commit's POSTs, a batch's orders): the
calls they make in one turn of the event loop that need an answer from the database (a key's
claim, an order's insert) are gathered into one statement too (`Gathered`). So how many orders
reach Postgres at once is the unit's business; a use case handles one.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import asyncpg

from services.orders.store.catalog import CatalogRows
from services.orders.store.history import HISTORY_INSERT, HistoryRows
from services.orders.store.keys import ANSWERS_INSERT, KeyRows
from services.orders.store.orders import OrderRows
from services.orders.store.programmes import ProgrammeRows
from services.orders.store.windows import WindowRows
from shared import outbox
from shared.events import Envelope

T = TypeVar("T")
Asked = TypeVar("Asked")
Answered = TypeVar("Answered")


class UnitOfWork:
    """Opened on a connection inside the caller's transaction; `flush` before it commits.
    `notify` False: the events it stores ring no NOTIFY, as the caller rings its own relay after
    the commit (group_commit.py)."""

    def __init__(self, conn: asyncpg.Connection, notify: bool = True) -> None:
        self.conn = conn
        self.notify = notify
        # One statement at a time on the connection, whichever use case asks.
        self._turn = asyncio.Lock()
        self._answering: set[asyncio.Task] = set()
        # A statement that failed aborted the transaction: every later one fails as it did.
        self.failed: BaseException | None = None
        self._events: list[Envelope] = []
        self.catalog = CatalogRows(self)
        self.orders = OrderRows(self)
        self.history = HistoryRows(self)
        self.keys = KeyRows(self)
        self.windows = WindowRows(self)
        self.programmes = ProgrammeRows(self)

    def publish(self, *events: Envelope) -> None:
        self._events.extend(events)

    async def run(self, statement: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """`statement` on the connection, when its turn comes."""
        async with self._turn:
            if self.failed is not None:
                raise self.failed
            try:
                return await statement(self.conn)
            except BaseException as error:
                self.failed = error
                raise

    def gathered(
        self, answer_all: Callable[[asyncpg.Connection, list[Asked]], Awaitable[list[Answered]]]
    ) -> "Gathered[Asked, Answered]":
        return Gathered(self, answer_all)

    async def flush(self) -> None:
        """Write what is held, a statement per kind, and hold nothing."""
        await self.catalog.flush()
        await self.orders.flush()
        # What is left goes in one round trip (each kind of row still one set-based insert):
        # placing orders holds history entries, first answers and events.
        events, self._events = self._events, []
        held = [
            (statement, arguments)
            for statement, arguments in (
                (HISTORY_INSERT, self.history.take()),
                (ANSWERS_INSERT, self.keys.take()),
                (outbox.OUTBOX_ROWS, outbox.columns(events)),
            )
            if arguments is not None
        ]
        if held:
            statement, arguments = outbox.with_writes(held, notify=self.notify)
            await self.run(lambda conn: conn.execute(statement, *arguments))


class Gathered(Generic[Asked, Answered]):
    """Calls made in one turn of the event loop, answered by one statement (`answer_all`, one
    answer per call, in order) in the next turn."""

    def __init__(
        self,
        unit: UnitOfWork,
        answer_all: Callable[[asyncpg.Connection, list[Asked]], Awaitable[list[Answered]]],
    ) -> None:
        self._unit = unit
        self._answer_all = answer_all
        self._waiting: list[tuple[Asked, asyncio.Future]] = []

    def __call__(self, asked: Asked) -> "asyncio.Future[Answered]":
        loop = asyncio.get_running_loop()
        if not self._waiting:  # the first of this turn: the others are asked before it runs
            loop.call_soon(self._answer_waiting)
        answered = loop.create_future()
        self._waiting.append((asked, answered))
        return answered

    def _answer_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._answer(waiting))
        self._unit._answering.add(task)  # kept until done: the loop holds tasks weakly
        task.add_done_callback(self._unit._answering.discard)

    async def _answer(self, waiting: list[tuple[Asked, asyncio.Future]]) -> None:
        asked = [one for one, _ in waiting]
        try:
            answers = await self._unit.run(lambda conn: self._answer_all(conn, asked))
        except BaseException as error:
            for _, answered in waiting:
                if not answered.done():
                    answered.set_exception(error)
            return
        for (_, answered), answer in zip(waiting, answers, strict=True):
            if not answered.done():
                answered.set_result(answer)
