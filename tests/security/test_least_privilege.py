"""Each service as its own Postgres role and RabbitMQ user, as compose and Kubernetes run them
(tools/access.py grants, shared/access.py says what): the whole system migrates and serves so,
and a service's credentials reach nothing of another's.

Roles and users are the whole server's, not the sandbox's: these are made with a random prefix
and removed afterwards, and no other role or user is touched."""

import secrets
import uuid

import aio_pika
import aiohttp
import asyncpg
import pytest
from aiormq.exceptions import ChannelAccessRefused
from yarl import URL

from shared.access import BROKER_SERVICES, DATABASE_SERVICES, login_name, password_variable
from shared.db import migrate, service_migrations
from tests.support.compose import ROOT
from tests.support.stack import Stack
from tests.support.stack_env import OPERATOR_TOKEN, stack_env
from tools.access import grant
from tools.client import HubClient, new_hub_code, wait_until
from tools.sandbox import base_urls, connect_admin, rabbitmqctl_command, sandbox

BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}


@pytest.fixture(scope="module")
async def granted():
    """A sandbox whose services each have their own role and user: (sandbox, prefix, the
    services' database URLs, their AMQP URLs)."""
    prefix = f"plut_t{uuid.uuid4().hex[:8]}"
    env = {
        **{password_variable(s, "db"): secrets.token_hex(16) for s in DATABASE_SERVICES},
        **{password_variable(s, "amqp"): secrets.token_hex(16) for s in BROKER_SERVICES},
    }
    try:
        async with sandbox("plut_leastpriv") as box:
            await grant(
                {**env, "ADMIN_DATABASE_URL": box.database_url, "ADMIN_AMQP_URL": box.amqp_url},
                prefix=prefix,
            )
            # Twice: the step is idempotent, as compose runs it on every `up`.
            await grant(
                {**env, "ADMIN_DATABASE_URL": box.database_url, "ADMIN_AMQP_URL": box.amqp_url},
                prefix=prefix,
            )
            database_urls = {
                s: _as(box.database_url, login_name(s, prefix), env[password_variable(s, "db")])
                for s in DATABASE_SERVICES
            }
            amqp_urls = {
                s: _as(box.amqp_url, login_name(s, prefix), env[password_variable(s, "amqp")])
                for s in BROKER_SERVICES
            }
            yield box, prefix, database_urls, amqp_urls
    finally:
        await _remove_roles_and_users(prefix)


def _as(url: str, user: str, password: str) -> str:
    return str(URL(url).with_user(user).with_password(password))


async def _remove_roles_and_users(prefix: str) -> None:
    conn = await connect_admin(base_urls()[0])
    try:
        for service in DATABASE_SERVICES:
            await conn.execute(f'DROP ROLE IF EXISTS "{login_name(service, prefix)}"')
    finally:
        await conn.close()
    users = await rabbitmqctl_command("list_users", "--no-table-headers")
    for line in users.splitlines():
        if line.split("\t")[0] in {login_name(s, prefix) for s in BROKER_SERVICES}:
            await rabbitmqctl_command("delete_user", line.split("\t")[0])


async def test_the_system_migrates_and_serves_with_each_service_as_its_own_role_and_user(
    granted, mailbox, whatsapp, sms, tmp_path
):
    box, _, database_urls, amqp_urls = granted
    stack = Stack.plan(
        database_url=box.database_url,
        amqp_url=box.amqp_url,
        log_dir=tmp_path,
        extra_env=stack_env(mailbox, whatsapp, sms),
    )
    for name, service in stack.services.items():
        service.env = {
            **service.env,
            "DATABASE_URL": database_urls[name],
            "AMQP_URL": amqp_urls.get(name, "amqp://nobody:nothing@127.0.0.1:1/"),
            "AMQP_TOPOLOGY": "own",
        }
    try:
        await stack.start()
        async with aiohttp.ClientSession() as session:
            client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
            hub = new_hub_code()
            # intake publishes, orders consumes; the order goes to an allocator partition.
            await client.open_hub(hub)
            placed = await client.place_order(hub, "masker-kain", 3, BUYER)

            async def queued() -> bool:
                waiting = (await client.queue(hub, "masker-kain"))["orders"]
                return any(entry["order_id"] == placed["id"] for entry in waiting) or None

            await wait_until(queued, what="the order in the allocator's queue")
    finally:
        stack.stop()
    conn = await asyncpg.connect(box.database_url)
    try:
        owners = dict(
            await conn.fetch(
                "SELECT nspname, nspowner::regrole::text FROM pg_namespace WHERE nspname = ANY($1)",
                list(DATABASE_SERVICES),
            )
        )
    finally:
        await conn.close()
    assert owners == {s: login_name(s, granted[1]) for s in DATABASE_SERVICES}


async def test_a_role_is_no_superuser_and_may_make_no_schema_role_or_database(granted):
    _, prefix, database_urls, _ = granted
    conn = await asyncpg.connect(database_urls["storefront"])
    try:
        me = await conn.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = current_user"
        )
        assert not any(me.values()), dict(me)
        for statement in (
            "CREATE SCHEMA stolen",
            "CREATE DATABASE stolen",
            "CREATE ROLE stolen",
            "CREATE TABLE public.stolen (id int)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("service", "statement"),
    [
        ("console", "SELECT * FROM orders.partners"),
        ("storefront", "SELECT * FROM orders.orders"),
        ("intake", "INSERT INTO allocator.schema_migrations (name) VALUES ('forged')"),
        ("notifier", "DELETE FROM intake.schema_migrations"),
        ("orders", "CREATE TABLE notifier.stolen (id int)"),
        ("allocator", "DROP TABLE console.schema_migrations"),
    ],
)
async def test_a_role_cannot_read_or_write_another_services_schema(granted, service, statement):
    _, _, database_urls, _ = granted
    conn = await asyncpg.connect(database_urls[service])
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied|owner"):
            await conn.execute(statement)
    finally:
        await conn.close()


async def _refused(amqp_url: str, act) -> str:
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused) as refused:
            await act(channel)
        return str(refused.value)
    finally:
        await connection.close()


async def test_a_broker_user_cannot_consume_another_services_queue(granted):
    _, _, _, amqp_urls = granted

    async def consume_orders(channel):
        queue = await channel.get_queue("orders.events")
        await queue.get(no_ack=False, fail=False)

    assert "orders.events" in await _refused(amqp_urls["intake"], consume_orders)

    async def take_a_partition(channel):
        async def on_message(message) -> None:
            await message.reject(requeue=True)

        queue = await channel.get_queue("allocator.p03")
        await queue.consume(on_message)

    assert "allocator.p03" in await _refused(amqp_urls["notifier"], take_a_partition)


async def test_a_broker_user_cannot_publish_to_or_change_what_is_not_its_own(granted):
    _, _, _, amqp_urls = granted

    async def straight_into_a_queue(channel):
        # The default exchange routes by queue name: a way past the bindings, closed.
        await channel.default_exchange.publish(
            aio_pika.Message(b'{"forged": true}'), routing_key="allocator.events"
        )

    assert "amq.default" in await _refused(amqp_urls["notifier"], straight_into_a_queue)

    async def into_the_partitions(channel):
        exchange = await channel.get_exchange("plut.allocation")
        await exchange.publish(aio_pika.Message(b"{}"), routing_key="")

    assert "plut.allocation" in await _refused(amqp_urls["orders"], into_the_partitions)

    async def delete_a_queue(channel):
        await channel.queue_delete("notifier.events")

    assert "notifier.events" in await _refused(amqp_urls["allocator"], delete_a_queue)

    async def redeclare_the_exchange(channel):
        await channel.declare_exchange("plut.events", aio_pika.ExchangeType.TOPIC, durable=True)

    assert "plut.events" in await _refused(amqp_urls["intake"], redeclare_the_exchange)


async def test_an_existing_deployment_is_handed_to_the_services_roles(tmp_path):
    """A database the superuser migrated (as every deployment before roles): the step hands each
    schema and all in it to its service's role, which migrates on from there."""
    prefix = f"plut_t{uuid.uuid4().hex[:8]}"
    env = {
        **{password_variable(s, "db"): secrets.token_hex(16) for s in DATABASE_SERVICES},
        **{password_variable(s, "amqp"): secrets.token_hex(16) for s in BROKER_SERVICES},
    }
    migrations = service_migrations(ROOT / "services" / "intake" / "migrations")
    try:
        async with sandbox("plut_leastpriv") as box:
            old = await asyncpg.connect(box.database_url, server_settings={"search_path": "intake"})
            try:
                await migrate(old, "intake", migrations)
            finally:
                await old.close()
            await grant(
                {**env, "ADMIN_DATABASE_URL": box.database_url, "ADMIN_AMQP_URL": box.amqp_url},
                prefix=prefix,
            )
            role = login_name("intake", prefix)
            url = _as(box.database_url, role, env[password_variable("intake", "db")])
            conn = await asyncpg.connect(url, server_settings={"search_path": "intake"})
            try:
                (tmp_path / "0999_later.sql").write_text("ALTER TABLE producers ADD later int;")
                later = service_migrations(tmp_path)[-1]
                assert await migrate(conn, "intake", [*migrations, later]) == ["0999_later"]
                strangers = await conn.fetch(
                    "SELECT relname FROM pg_class WHERE relnamespace = 'intake'::regnamespace "
                    "AND relowner <> current_user::regrole"
                )
                assert strangers == []
                trigram = "SELECT extnamespace::regnamespace::text FROM pg_extension "
                assert await conn.fetchval(trigram + "WHERE extname = 'pg_trgm'") == "public"
            finally:
                await conn.close()
    finally:
        await _remove_roles_and_users(prefix)
