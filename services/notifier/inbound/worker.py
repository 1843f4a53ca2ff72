"""The inbound worker: takes the messages people sent, each number's oldest first, and hands
each to the conversations' `answer` in a transaction that also marks it handled, so a message is
answered once however often the worker is woken, and again only if that transaction did not
commit. Several numbers are answered at once; one number's messages one at a time, in order.

An answer that raises is logged and tried again later (its transaction rolled back, nothing of
it kept); after a few failures the message is given up on, with the error kept on its row, so
one message that cannot be answered does not hold up its number's later ones for ever."""

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from services.notifier.channels.addresses import mask_address
from services.notifier.inbound.notifications import InboundMessage
from services.notifier.store import inbound as store

log = structlog.get_logger(__name__)

# What answers one message, on the worker's connection, in the transaction that marks it handled.
Answer = Callable[[asyncpg.Connection, InboundMessage], Awaitable[None]]


class InboundWorker:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        answer: Answer,
        batch_size: int,
        concurrency: int,
        retry_seconds: float,
        max_failures: int,
    ) -> None:
        self.pool = pool
        self.answer = answer
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self.max_failures = max_failures
        self._slots = asyncio.Semaphore(concurrency)

    async def answer_batch(self) -> int:
        """Answer up to a batch of messages, a number each; return how many were answered."""
        waiting = await store.to_answer(self.pool, self.batch_size)
        answered = await asyncio.gather(*(self._answer(seq) for seq in waiting))
        return sum(answered)

    async def _answer(self, seq: int) -> bool:
        async with self._slots, self.pool.acquire() as conn:
            taken = None
            try:
                async with conn.transaction():
                    taken = await store.take(conn, seq)
                    if taken is None:  # another worker has it, or had it
                        return False
                    with structlog.contextvars.bound_contextvars(
                        correlation_id=taken.correlation_id
                    ):
                        await self.answer(conn, taken.message)
                return True
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if taken is None:
                    raise
                await self._failed(conn, taken, error)
                return False

    async def _failed(self, conn: asyncpg.Connection, taken: store.Taken, error: Exception) -> None:
        give_up = taken.failures + 1 >= self.max_failures
        log.exception(
            "inbound message not answered" + ("; given up" if give_up else "; will retry"),
            correlation_id=taken.correlation_id,
            channel=taken.message.channel,
            phone=mask_address(taken.message.phone),
            failures=taken.failures + 1,
        )
        retry = self.retry_seconds * 2**taken.failures
        await store.answer_failed(conn, taken.seq, repr(error), retry, give_up)
