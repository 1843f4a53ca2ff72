"""Background workers that drain a table in batches: woken by Postgres NOTIFY, polling as the
fallback, so a notification missed while the listener reconnects delays work by one poll at most.

A worker rung awake may linger (as Kafka's linger.ms) before it claims: at a low rate each
commit rings alone, and a few milliseconds let the next few join the same claim, so the claim's
fixed cost (its transaction, the publish, the confirm) is paid once for them all. A worker whose
last claim was full never waits: a full batch goes at once.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress

import asyncpg
import structlog

log = structlog.get_logger(__name__)


class Doorbell:
    """A LISTEN on its own connection; `wait` returns on a notification or after a poll period."""

    def __init__(self, database_url: str, channel: str, poll_seconds: float) -> None:
        self.database_url = database_url
        self.channel = channel
        self.poll_seconds = poll_seconds
        self._rung = asyncio.Event()
        self.first_rung_at = 0.0  # the event loop's time of the first ring since the last hush
        self._listener: asyncpg.Connection | None = None

    async def wait(self) -> bool:
        """Answers whether the bell rang (False: the poll period passed)."""
        await self._ensure_listener()
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that comes as the bell
        # rings, and a worker cancelled at shutdown then waits on forever (the process with it).
        with suppress(TimeoutError):
            async with asyncio.timeout(self.poll_seconds):
                await self._rung.wait()
        rung = self._rung.is_set()
        self._rung.clear()
        return rung

    def hush(self) -> None:
        """Forget rings heard so far: the claim about to be made sees what they announced."""
        self._rung.clear()

    def _heard(self, *_) -> None:
        if not self._rung.is_set():
            self.first_rung_at = asyncio.get_running_loop().time()
        self._rung.set()

    def ring(self) -> None:
        """Wake `wait` now, as a notification would: this process knows of work itself."""
        self._heard()

    async def close(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self.database_url)
            await self._listener.add_listener(self.channel, self._heard)
        except (OSError, asyncpg.PostgresError) as error:
            self._listener = None
            log.warning("listener unavailable; polling", channel=self.channel, error=repr(error))


async def drain_forever(
    work: Callable[[], Awaitable[int]],
    *,
    doorbell: Doorbell,
    batch_size: int,
    name: str,
    linger_seconds: float = 0.0,
) -> None:
    """Run `work` (which answers how many rows it handled) whenever there may be work; when
    rung awake, first linger for others to join (0: never)."""
    try:
        while True:
            try:
                handled = await work()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database away: the rows wait for the next turn
                log.warning("worker failed; retrying", worker=name, error=repr(error))
                handled = 0
            if handled < batch_size and await doorbell.wait() and linger_seconds > 0:
                # From the first ring: one that came while the last claim was under way (a busy
                # worker) has waited already.
                loop = asyncio.get_running_loop()
                await asyncio.sleep(doorbell.first_rung_at + linger_seconds - loop.time())
                doorbell.hush()
    finally:
        await doorbell.close()


@asynccontextmanager
async def draining(
    work: Callable[[], Awaitable[int]],
    *,
    database_url: str,
    channel: str,
    poll_seconds: float,
    batch_size: int,
    name: str,
    linger_seconds: float = 0.0,
) -> AsyncIterator[Doorbell]:
    """`drain_forever` in the background for the length of an `async with`; its doorbell, for
    the process to ring when it made work itself."""
    doorbell = Doorbell(database_url, channel, poll_seconds)
    draining = drain_forever(
        work, doorbell=doorbell, batch_size=batch_size, name=name, linger_seconds=linger_seconds
    )
    async with background(draining):
        yield doorbell


@asynccontextmanager
async def background(coroutine: Coroutine) -> AsyncIterator[asyncio.Task]:
    """Run a coroutine as a task for the length of an `async with`; cancel it on the way out."""
    task = asyncio.create_task(coroutine)
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
