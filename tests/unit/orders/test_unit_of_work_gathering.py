"""The real unit of work gathers what use cases running side by side ask in one turn of the
event loop into one statement; a failed statement fails every use case that waits on it, and
every later one. Driven on a connection that records what it is sent (asyncpg's, not ours)."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.orders.store.unit_of_work import UnitOfWork
from shared.events import Envelope, ProductListed


class RecordingConnection:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[tuple] = []
        self.error = error

    async def fetch(self, statement: str, *arguments):
        self.sent.append(arguments)
        await asyncio.sleep(0)  # a round trip: others may ask meanwhile
        if self.error is not None:
            raise self.error
        owners, *_ = arguments
        return [
            {
                "i": i,
                "locked": True,
                "request_hash": None,
                "status": None,
                "response": None,
                "windowed": None,
            }
            for i in range(1, len(owners) + 1)
        ]


async def test_claims_asked_in_one_turn_go_in_one_statement():
    conn = RecordingConnection()
    uow = UnitOfWork(conn)

    claims = await asyncio.gather(
        *(uow.keys.claim("p1", f"k{n}", "kalteng", "masker") for n in range(3)),
        uow.keys.claim("p1", None, "kalteng", "n95"),
    )

    hubs, skus = ["kalteng"] * 4, ["masker"] * 3 + ["n95"]
    assert conn.sent == [(["p1", "p1", "p1"], ["k0", "k1", "k2"], hubs, skus)]
    assert all(claim.locked for claim in claims)


async def test_claims_without_keys_ask_nothing_of_the_database():
    conn = RecordingConnection()
    uow = UnitOfWork(conn)

    claims = await asyncio.gather(*(uow.keys.claim("p1", None, "kalteng", "m") for _ in range(2)))

    assert conn.sent == []
    assert all(claim.locked and claim.request_hash is None for claim in claims)


async def test_a_key_claimed_again_in_the_same_unit_is_not_asked_of_the_database():
    conn = RecordingConnection()
    uow = UnitOfWork(conn)

    first, again = await asyncio.gather(
        uow.keys.claim("p1", "k", "kalteng", "m"), uow.keys.claim("p1", "k", "kalteng", "m")
    )

    assert first.locked and not again.locked
    assert conn.sent == [(["p1"], ["k"], ["kalteng"], ["m"])]


async def test_a_failed_statement_fails_its_askers_and_every_later_statement():
    failure = OSError("connection lost")
    uow = UnitOfWork(RecordingConnection(failure))

    outcomes = await asyncio.gather(
        uow.keys.claim("p1", "a", "kalteng", "m"),
        uow.keys.claim("p1", "b", "kalteng", "m"),
        return_exceptions=True,
    )

    assert outcomes == [failure, failure] and uow.failed is failure
    with pytest.raises(OSError):
        await uow.catalog.has_hub("kalteng")


class ExecutingConnection:
    def __init__(self) -> None:
        self.executed: list[tuple[str, tuple]] = []

    async def execute(self, statement: str, *arguments):
        self.executed.append((statement, arguments))


async def test_what_a_placement_leaves_to_flush_goes_in_one_round_trip():
    """History entries, first answers and events: one statement, each kind's arguments in turn,
    with the NOTIFY that wakes the relay."""
    conn = ExecutingConnection()
    uow = UnitOfWork(conn)
    order_id, at = uuid.uuid4(), datetime(2026, 12, 5, tzinfo=UTC)
    listed = ProductListed(product_id=uuid.uuid4(), sku="topi", name="Topi", unit_price=9000)
    event = Envelope.wrap(listed, hub="kalteng", correlation_id="unit")

    uow.history.add(order_id, at, "placed", 1)
    uow.keys.store("operator", "k1", "hash", 201, "{}")
    uow.publish(event)
    await uow.flush()

    [(statement, arguments)] = conn.executed
    assert "$14::bytea[]" in statement and "pg_notify" in statement
    assert arguments[0] == [order_id] and arguments[5] == ["operator"]
    assert arguments[10] == [event.id]


async def test_a_flush_without_events_rings_no_relay():
    conn = ExecutingConnection()
    uow = UnitOfWork(conn)

    uow.keys.store("operator", "k1", "hash", 201, "{}")
    await uow.flush()

    [(statement, arguments)] = conn.executed
    assert "idempotency_keys" in statement and "pg_notify" not in statement
    assert arguments == (["operator"], ["k1"], ["hash"], [201], ["{}"])
