"""The faults suite's own world: a private Postgres cluster and RabbitMQ node (which the faults
stop and restart), a cuttable TCP proxy in front of each (the services connect through them),
the providers' stand-ins, and the four services as processes. The machine's shared servers are
never touched.

The test itself (its checks, its event tap) talks to the servers directly, not via the proxies.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.faults.ledger import Ledger, Providers, check, parked, sends_of_unknown_fate, settle
from tests.faults.stream import Stream
from tests.support.mailbox import Mailbox
from tests.support.private_servers import PrivatePostgres, PrivateRabbit
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.stack_env import stack_env
from tests.support.tcp_proxy import TcpProxy
from tools.client import HubClient, new_hub_code

DATABASE = "plut"
# The broker takes a delivery back from a consumer that holds it unacknowledged this long:
# short, so that the test that freezes a consumer past it (test_processes.py) is quick, but
# above what a consumer may hold a delivery for on a busy machine. At 5 s, with two suites
# running at once, the allocator's channel was closed while it retried a poison event among
# its batch one by one (backing off between tries), and the event was parked twice.
CONSUMER_TIMEOUT_MS = 20_000
# After a fault is undone (and the stream has ended), how long the books are looked at before
# the test gives up on them draining: only a guard against a wait that will never end, far
# above any drain on a loaded machine. How long it took is in the suite's summary.
DRAIN_SECONDS = 300.0


@dataclass
class World:
    postgres: PrivatePostgres
    rabbit: PrivateRabbit
    db_proxy: TcpProxy
    amqp_proxy: TcpProxy
    providers: Providers
    stack: Stack

    @property
    def database_url(self) -> str:
        """Straight to the cluster, for the test's own looks."""
        return f"postgresql://postgres@127.0.0.1:{self.postgres.port}/{DATABASE}"

    @property
    def amqp_url(self) -> str:
        return self.rabbit.url

    async def heal(self) -> None:
        """Everything up and every service ready, whatever an earlier test left behind."""
        await self.db_proxy.restore()
        await self.amqp_proxy.restore()
        if not self.postgres.running:
            await self.postgres.start()
        if self.rabbit.process is None or self.rabbit.process.returncode is not None:
            await self.rabbit.start()
        for service in self.stack.services.values():
            if service.process is None or service.process.poll() is not None:
                service.start()
        await asyncio.gather(*(s.wait_ready() for s in self.stack.services.values()))

    async def restart(self, name: str) -> None:
        service = self.stack[name]
        service.start()
        await service.wait_ready()


@asynccontextmanager
async def open_world(log_dir: Path) -> AsyncIterator[World]:
    started = await asyncio.gather(
        PrivatePostgres.create(),
        PrivateRabbit.create(consumer_timeout_ms=CONSUMER_TIMEOUT_MS),
        return_exceptions=True,
    )
    postgres, rabbit = started
    try:
        for server in started:
            if isinstance(server, BaseException):
                raise server
        conn = await asyncpg.connect(postgres.url)
        try:
            await conn.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await conn.close()
        db_proxy = await TcpProxy("127.0.0.1", postgres.port).start()
        amqp_proxy = await TcpProxy("127.0.0.1", rabbit.port).start()
        mailbox = Mailbox()
        mailbox.start()
        whatsapp = await WhatsAppCloudStub().start()
        sms = await SmsGatewayStub().start()
        stack = Stack.plan(
            database_url=f"postgresql://postgres@127.0.0.1:{db_proxy.port}/{DATABASE}",
            amqp_url=f"amqp://guest:guest@127.0.0.1:{amqp_proxy.port}/",
            log_dir=log_dir,
            extra_env=stack_env(mailbox, whatsapp, sms),
        )
        try:
            await stack.start()
            yield World(
                postgres, rabbit, db_proxy, amqp_proxy, Providers(whatsapp, sms, mailbox), stack
            )
        finally:
            # In a thread: the proxies the services shut down through run on this loop.
            await asyncio.to_thread(stack.stop)
            await whatsapp.stop()
            await sms.stop()
            mailbox.stop()
            await db_proxy.stop()
            await amqp_proxy.stop()
    finally:
        for server in started:
            if not isinstance(server, BaseException):
                await server.destroy()


Inject = Callable[[Stream], Awaitable[str | None]]


@dataclass
class Faults:
    """Runs one fault against a stream and keeps its books for the suite's summary (the test's
    `fault` property, which the report carries back from a pytest-xdist worker)."""

    world: World
    client: HubClient
    record_property: Callable[[str, object], None]

    async def run(
        self,
        fault: str,
        inject: Inject,
        *,
        rate: float = 20.0,
        tail: int = 40,
        sends_may_repeat: bool = False,
    ) -> tuple[Stream, Ledger]:
        """Start a stream on a new hub; `inject` waits for its moment, does the fault, undoes
        it and returns (a note for the summary, or None); then the stream places `tail` more
        orders and ends, the backlog must drain (DRAIN_SECONDS is only a guard), and everything
        must add up.

        `sends_may_repeat`: the fault may interrupt a send between the provider's answer and its
        record (a notifier crash, the database lost): such a message may go twice, where the
        provider takes it twice (see `sends_of_unknown_fate`), and only such a message.
        """
        prefix = "".join(c if c.isalnum() else "-" for c in fault.lower())[:20].strip("-")
        parked_before = await parked(self.world.amqp_url)
        stream = await Stream.open(self.client, new_hub_code(prefix), rate=rate)
        running = asyncio.create_task(stream.run())
        try:
            note = await inject(stream)
            recovered = time.monotonic()
            stream.wind_down(tail)
            await running
        finally:
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
        since = max(recovered, stream.finished_at or recovered)
        ledger = await settle(
            self.world.database_url,
            self.world.amqp_url,
            stream,
            self.world.providers,
            fault,
            since=since,
            timeout=DRAIN_SECONDS,
            parked_before=parked_before,
        )
        ledger.note = note or ""
        self.record_property("fault", ledger.line())
        await check(self.world.database_url, stream, ledger)
        twice = set(ledger.duplicates)
        if sends_may_repeat:
            twice -= await sends_of_unknown_fate(self.world.database_url, ledger.duplicates)
        assert not twice, f"{fault}: sent twice: {await self.history(sorted(twice)[:5])}"
        return stream, ledger

    async def history(self, message_ids: list[str]) -> str:
        """What the notifier wrote of these messages, to show with a failure."""
        conn = await asyncpg.connect(self.world.database_url)
        try:
            rows = await conn.fetch(
                """
                SELECT m.id, m.channel, m.status, m.attempts, m.template,
                       array_agg(a.outcome || ' ' || a.at::time ORDER BY a.at) AS tries
                FROM notifier.messages m
                LEFT JOIN notifier.delivery_attempts a ON a.message_id = m.id
                WHERE m.id = ANY($1::uuid[]) GROUP BY m.id
                """,
                message_ids,
            )
        finally:
            await conn.close()
        return "; ".join(str(dict(row)) for row in rows)
