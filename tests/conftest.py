"""Fixtures: a sandbox database and vhost, a real SMTP server, local WhatsApp and SMS providers,
the four services as processes, and the buyers' site beside them.

Everything that needs Postgres or RabbitMQ fails loudly when they cannot be reached; nothing
skips. Tests share one running stack and keep apart by using a hub each.
"""

import aio_pika
import aiohttp
import asyncpg
import pytest
import structlog
from hypothesis import settings

from services.console.accounts import Role
from tests.support.bus import EventTap
from tests.support.console import Account, ConsoleSession, make_operator
from tests.support.mailbox import Mailbox
from tests.support.partner_endpoint import CallbackPartner, callback_partner
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.stack_env import (
    OPERATOR_TOKEN,
    PARTNERS_BUYER_TYPES,
    connect_webhooks,
    stack_env,
)
from tests.support.storefront import Site, Visitor, running_site, served_once
from tools.client import HubClient, new_hub_code
from tools.sandbox import Sandbox, sandbox

# No wall-clock limit on a property's examples (hypothesis's default is 200 ms each): on a
# loaded machine, or beside the other xdist worker, a correct example can take longer.
settings.register_profile("plut", deadline=None)
settings.load_profile("plut")

# Code run inside the tests logs through structlog's default console renderer, whose rich
# tracebacks print every frame's locals: seconds with the event loop held on a busy machine,
# while the test's own calls to the broker time out. Plain tracebacks say what matters.
structlog.configure(
    processors=[
        *structlog.get_config()["processors"][:-1],
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
    ]
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With `--dist loadscope` (scripts/test runs the suite on pytest-xdist workers so): a
    module's tests go to one worker together, in their order, so that what a module makes once
    (a stack of its own, a fuzzed hub's records, a backup) is made once; and the faults suite,
    whose world is made once for its package, goes whole to one worker
    (tests/support/scheduling.py)."""
    if config.getoption("dist") != "loadscope":
        return None
    from tests.support.scheduling import ModuleScheduling

    return ModuleScheduling(config, log)


def pytest_terminal_summary(terminalreporter) -> None:
    """The faults suite's summary: a line per fault (the `fault` property its test recorded,
    tests/faults/world.py), with the orders placed and answered 201, the messages owed, sent,
    lost and duplicated, and how long the backlog took to drain after recovery. Read from the
    reports, which a pytest-xdist worker sends back, in the order the faults ran."""
    calls = [
        report
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
    ]
    lines = [
        value
        for report in sorted(calls, key=lambda report: report.start)
        for name, value in report.user_properties
        if name == "fault"
    ]
    if not lines:
        return
    terminalreporter.section("faults: orders answered 201 / sent, messages, drain after recovery")
    for line in lines:
        terminalreporter.write_line(line)


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
async def whatsapp() -> WhatsAppCloudStub:
    stub = await WhatsAppCloudStub().start()
    yield stub
    await stub.stop()


@pytest.fixture(scope="session")
async def sms() -> SmsGatewayStub:
    stub = await SmsGatewayStub().start()
    yield stub
    await stub.stop()


@pytest.fixture(scope="session")
async def stack(
    box: Sandbox,
    mailbox: Mailbox,
    whatsapp: WhatsAppCloudStub,
    sms: SmsGatewayStub,
    tmp_path_factory,
) -> Stack:
    running = Stack.plan(
        database_url=box.database_url,
        amqp_url=box.amqp_url,
        log_dir=tmp_path_factory.mktemp("service-logs"),
        extra_env=stack_env(mailbox, whatsapp, sms),
    )
    connect_webhooks(running["notifier"].url, whatsapp, sms)
    try:
        await running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
async def client(stack: Stack) -> HubClient:
    async with aiohttp.ClientSession() as session:
        yield HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)


@pytest.fixture
async def hub(client: HubClient) -> str:
    """A new hub with the product `masker-kain`, known to the orders service."""
    code = new_hub_code()
    await client.open_hub(code)
    return code


@pytest.fixture
async def partner(client: HubClient, hub: str) -> dict:
    """A partner that may order for `hub`, as created: with its `api_key`, shown only then."""
    return await client.create_partner(f"Mitra {hub}", [hub], buyer_types=PARTNERS_BUYER_TYPES)


@pytest.fixture
async def partner_client(client: HubClient, partner: dict) -> HubClient:
    """`client`, calling the orders API with the partner's key."""
    return client.as_partner(partner["api_key"])


@pytest.fixture
async def partners_called_back(client: HubClient, hub: str):
    """Makes partners of `hub` whose status callbacks come to the test's own endpoints."""
    made: list[CallbackPartner] = []

    async def make() -> CallbackPartner:
        made.append(await callback_partner(client, hub))
        return made[-1]

    yield make
    for partner in made:
        await partner.endpoint.stop()


@pytest.fixture(scope="session")
async def amqp(box: Sandbox) -> aio_pika.abc.AbstractRobustConnection:
    # No heartbeats: the session's event loop runs only while an async test does, so through a
    # minute of plain tests on a worker (pytest-xdist mixes modules) the broker closed it for
    # "missed heartbeats from client" and the next test that published found it reset.
    connection = await aio_pika.connect_robust(box.amqp_url, heartbeat=0)
    yield connection
    await connection.close()


@pytest.fixture
async def tap(amqp: aio_pika.abc.AbstractRobustConnection, stack: Stack) -> EventTap:
    """Every event published while the test runs (the stack has declared the exchange)."""
    watcher = await EventTap().open(amqp)
    yield watcher
    await watcher.close()


@pytest.fixture
async def database(box: Sandbox) -> asyncpg.Connection:
    """A connection to the sandbox database, to look at what the services wrote."""
    conn = await asyncpg.connect(box.database_url)
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
async def operators(box: Sandbox, stack: Stack) -> dict[Role, Account]:
    """One console operator per role (the console has made its schema once the stack runs)."""
    return {role: await make_operator(box.database_url, role) for role in Role}


@pytest.fixture
async def console_as(stack: Stack, operators: dict[Role, Account], hub: str):
    """`await console_as(Role.staff)`: a console session signed in with that role, at `hub`."""
    opened: list[ConsoleSession] = []

    async def sign_in(role: Role) -> ConsoleSession:
        session = ConsoleSession(stack["console"].url)
        opened.append(session)
        await session.use_hub(hub)
        await session.sign_in(operators[role])
        return session

    yield sign_in
    for session in opened:
        await session.close()


@pytest.fixture(scope="session")
async def site(stack: Stack, tmp_path_factory) -> Site:
    """The buyers' site, one process for the run (each start costs seconds): its hub has had
    supply, so new orders get an estimated date, and holds none, so they wait in the queue."""
    async with running_site(stack, tmp_path_factory.mktemp("storefront")) as running:
        await served_once(stack, running)
        yield running


@pytest.fixture
async def visitor(site: Site) -> Visitor:
    """A browser without a browser on the buyers' site, from an address of its own."""
    made = Visitor(site)
    yield made
    await made.close()
