"""A conversation's records on the real database, in a notifier schema of the test's own: what
answering a message writes (the opt-out as the API records it, the reply as a message for the
router), and that one number's messages answered at once are counted one after the other."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notifier import conversations
from services.notifier.conversations.handling import Rules
from services.notifier.conversations.orders_api import NoOrders
from services.notifier.conversations.replies import TEMPLATE
from services.notifier.inbound.notifications import InboundMessage
from shared.db import create_pool, migrate, service_migrations
from tools.sandbox import Sandbox

NOTIFIER_MIGRATIONS = Path(conversations.__file__).parents[1] / "migrations"


def written(phone: str, text: str, channel: str = "whatsapp") -> InboundMessage:
    wamid = f"wamid.{uuid.uuid4().hex}"
    return InboundMessage(wamid, channel, phone, "Siti Aminah", text, None, datetime.now(UTC))


@pytest.fixture
async def pool(box: Sandbox):
    schema = f"test_chat_{uuid.uuid4().hex[:8]}"
    made = await create_pool(box.database_url, schema)
    async with made.acquire() as conn:
        await migrate(conn, schema, service_migrations(NOTIFIER_MIGRATIONS))
    yield made
    async with made.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await made.close()


async def answer(pool, message: InboundMessage) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conversations.Conversations(NoOrders(), Rules()).answer(conn, message)


def new_phone() -> str:
    return f"+62812{uuid.uuid4().int % 10**8:08d}"


async def replies_to(pool, phone: str) -> list[dict]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """
            SELECT r.kind, r.channel, r.language, m.template, m.params, m.status
            FROM messages m JOIN recipients r ON r.key = m.recipient_key
            WHERE r.phone = $1 ORDER BY m.seq
            """,
            phone,
        )
    return [dict(row) for row in rows]


async def test_stop_is_recorded_as_the_apis_opt_outs_are_and_answered_by_a_message(pool):
    phone = new_phone()
    await answer(pool, written(phone, "stop"))

    async with pool.acquire() as conn:
        opt_outs = await conn.fetch("SELECT channel, address FROM opt_outs")
    assert [tuple(row) for row in opt_outs] == [("whatsapp", phone)]
    [reply] = await replies_to(pool, phone)
    assert (reply["kind"], reply["channel"], reply["template"], reply["status"]) == (
        "chat",
        "whatsapp",
        TEMPLATE,
        "pending",
    )
    assert "MULAI" in reply["params"]["text"]

    await answer(pool, written(phone, "MULAI"))
    async with pool.acquire() as conn:
        assert await conn.fetch("SELECT * FROM opt_outs") == []


async def test_a_number_whose_orders_are_told_in_english_is_answered_in_english(pool):
    phone = new_phone()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO recipients (key, kind, name, phone, language) VALUES ($1, 'buyer', "
            "'Sam', $2, 'en')",
            f"buyer:{uuid.uuid4()}",
            phone,
        )
    await answer(pool, written(phone, "hello?", channel="sms"))

    [reply] = await replies_to(pool, phone)
    assert (reply["language"], reply["channel"]) == ("en", "sms")
    assert reply["params"]["text"].startswith("PLUT: reply STATUS")


async def test_the_language_of_a_keyword_is_kept_for_the_numbers_next_messages(pool):
    phone = new_phone()
    await answer(pool, written(phone, "START"))
    await answer(pool, written(phone, "what?"))

    started, helped = await replies_to(pool, phone)
    assert (started["language"], helped["language"]) == ("en", "en")
    async with pool.acquire() as conn:
        kept = await conn.fetchval("SELECT language FROM conversations WHERE phone = $1", phone)
    assert kept == "en"


async def test_one_numbers_messages_answered_at_once_are_counted_one_after_the_other(pool):
    phone = new_phone()
    await asyncio.gather(*(answer(pool, written(phone, f"halo {n}")) for n in range(13)))

    texts = [reply["params"]["text"] for reply in await replies_to(pool, phone)]
    assert len(texts) == 2, "the help once, and one 'slow down'"
    assert any("terlalu banyak" in text for text in texts)
    async with pool.acquire() as conn:
        counted = await conn.fetchval(
            "SELECT handled_in_minute FROM conversations WHERE phone = $1", phone
        )
    assert counted == 10
