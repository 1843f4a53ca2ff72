"""Fixtures: a sandbox database and vhost, a real SMTP server, the four services as processes.

Everything that needs Postgres or RabbitMQ fails loudly when they cannot be reached; nothing
skips. Tests share one running stack and keep apart by using a hub each.
"""

import aio_pika
import aiohttp
import pytest

from tests.support.mailbox import Mailbox
from tools.client import HubClient, new_hub_code
from tools.sandbox import Sandbox, sandbox
from tools.stack import Stack


@pytest.fixture(scope="session")
async def box() -> Sandbox:
    async with sandbox() as made:
        yield made


@pytest.fixture(scope="session")
def mailbox() -> Mailbox:
    server = Mailbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def stack(box: Sandbox, mailbox: Mailbox, tmp_path_factory) -> Stack:
    running = Stack.plan(
        database_url=box.database_url,
        amqp_url=box.amqp_url,
        log_dir=tmp_path_factory.mktemp("service-logs"),
        extra_env={
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mailbox.port),
            "LOG_FORMAT": "json",
        },
    )
    try:
        await running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
async def client(stack: Stack) -> HubClient:
    async with aiohttp.ClientSession() as session:
        yield HubClient(session, stack.urls())


@pytest.fixture
async def hub(client: HubClient) -> str:
    """A new hub with the product `masker-kain`, known to the orders service."""
    code = new_hub_code()
    await client.open_hub(code)
    return code


@pytest.fixture(scope="session")
async def amqp(box: Sandbox) -> aio_pika.abc.AbstractRobustConnection:
    connection = await aio_pika.connect_robust(box.amqp_url)
    yield connection
    await connection.close()
