"""Fixtures of the faults suite (see tests/faults/world.py). Each fault's books go to the report
as the test's `fault` property, for the suite's summary (tests/conftest.py): a line per fault
with the orders placed and answered 201, the messages owed, sent, lost and duplicated, and how
long the backlog took to drain after recovery."""

import aiohttp
import pytest
from aio_pika import connect_robust

from tests.faults.world import Faults, World, open_world
from tests.support.bus import EventTap
from tests.support.stack_env import OPERATOR_TOKEN
from tools.client import HubClient


@pytest.fixture(scope="package")
async def world(tmp_path_factory) -> World:
    async with open_world(tmp_path_factory.mktemp("faults-service-logs")) as made:
        yield made


@pytest.fixture
async def healthy(world: World) -> World:
    """The world with everything up, whatever an earlier test left behind."""
    await world.heal()
    return world


@pytest.fixture
async def client(healthy: World) -> HubClient:
    # A request held by a service whose database is away is given up on in time for the stream
    # to go on; but a busy machine's slow answer is still an answer.
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield HubClient(session, healthy.stack.urls(), operator_token=OPERATOR_TOKEN)


@pytest.fixture
async def faults(healthy: World, client: HubClient, record_property) -> Faults:
    return Faults(healthy, client, record_property)


@pytest.fixture
async def amqp(healthy: World):
    """A connection of the test's own to the private broker (not through the proxy)."""
    connection = await connect_robust(healthy.amqp_url)
    yield connection
    await connection.close()


@pytest.fixture
async def tap(amqp) -> EventTap:
    watcher = await EventTap().open(amqp)
    yield watcher
    await watcher.close()
