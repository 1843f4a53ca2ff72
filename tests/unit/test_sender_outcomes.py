"""A send's outcome that cannot be written at once (the database away, or a pooled connection
Postgres ended) is kept and written when it can, within the claim's lease: a message the
provider took is not sent again for want of its record."""

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from services.notifier.sender import Sender
from services.notifier.store.attempts import Attempt
from services.notifier.store.sends import Claimed, Result
from shared.backoff import RetryPolicy


class Taken:
    """A channel that takes every message (it is never asked here: `_send` is replaced)."""

    name = "whatsapp"

    async def close(self) -> None:
        pass


def sender(lease_seconds: float) -> Sender:
    return Sender(
        pool=None,
        channel=Taken(),
        retry=RetryPolicy(first_retry_seconds=1, max_retry_seconds=1, give_up_seconds=10),
        concurrency=1,
        lease_seconds=lease_seconds,
        doorbell=None,
    )


def claimed() -> Claimed:
    return Claimed(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        correlation_id="c",
        hub="kalteng",
        template="order_allocated",
        params={},
        attempts=1,
        language="id",
        address="+6281234567890",
        routed_at=datetime.now(UTC),
        order_id=None,
        producer_id=None,
        recipient_name="Siti",
        order_code=None,
        opted_out=False,
    )


def accepted(message: Claimed) -> Result:
    attempt = Attempt(message.id, "whatsapp", "accepted", "accepted", "wamid.1")
    return Result(message, attempt, "sent")


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
    ],
    ids=["refused", "closed", "ended session"],
)
async def test_an_outcome_the_database_could_not_take_is_written_when_it_can(failure):
    message = claimed()
    sending = sender(lease_seconds=30)
    sends, writes = [], []

    async def send(message: Claimed) -> Result:
        sends.append(message.id)
        return accepted(message)

    async def write(results: list[Result]) -> None:
        writes.append([r.message.id for r in results])
        if len(writes) <= 2:
            raise failure

    sending._send, sending._write = send, write
    await sending._deliver(message)

    assert sends == [message.id], "sent once"
    assert writes == [[message.id]] * 3, "written on the third try"


async def test_an_outcome_is_given_up_before_the_lease_runs_out():
    """Past the lease another claim may send the message: the write stops trying before."""
    message = claimed()
    sending = sender(lease_seconds=1.5)
    writes = []

    async def send(message: Claimed) -> Result:
        return accepted(message)

    async def write(results: list[Result]) -> None:
        writes.append(len(results))
        raise ConnectionRefusedError(111, "Connect call failed")

    sending._send, sending._write = send, write
    await sending._deliver(message)

    assert 1 <= len(writes) <= 3
