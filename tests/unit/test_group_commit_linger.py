"""The orders' group commit lingering (services/orders/group_commit.py): POSTs that come while
the first waits share its transaction, a full batch goes however long the linger, and a linger
cut short by shutdown leaves no POST waiting."""

import asyncio

import pytest

from services.orders.domain import NewOrder, PlaceOrder
from services.orders.group_commit import MOST_IN_ONE, OrderWriter, Placement
from services.orders.idempotency import Answer

HOUR = 3600.0
BUYER = {"name": "Dinas Kesehatan Kapuas", "type": "agency", "region": "Kuala Kapuas"}


class Recorded(OrderWriter):
    """The writer without a database: each transaction placed answers 201 and is counted."""

    def __init__(self, linger_seconds: float) -> None:
        super().__init__(pool=None, linger_seconds=linger_seconds)
        self.transactions: list[int] = []

    async def _transaction(self, batch: list[Placement]) -> list[Answer]:
        self.transactions.append(len(batch))
        return [Answer(201, "{}") for _ in batch]


def command(quantity: int = 1) -> PlaceOrder:
    new = NewOrder(hub="kalteng", sku="masker-kain", quantity=quantity, buyer=BUYER)
    return PlaceOrder(
        new=new, partner_id=None, correlation_id="c", owner="operator", key=None, request_hash=""
    )


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_posts_that_come_during_the_linger_share_the_first_ones_transaction():
    """With an hour's linger the first POST waits for the others; the batch filling up ends
    the wait: the test ends only if it does."""
    writer = Recorded(linger_seconds=HOUR)
    first = asyncio.create_task(writer.place(command()))
    await turns()
    assert writer.writing is not None and not first.done(), "the first lingers"
    others = []
    for n in range(MOST_IN_ONE - 1):
        others.append(asyncio.create_task(writer.place(command(n + 2))))
        await turns(1)

    answers = await asyncio.gather(first, *others)

    assert [a.status for a in answers] == [201] * MOST_IN_ONE
    assert writer.transactions == [MOST_IN_ONE], "one transaction for all of them"


async def test_without_a_linger_a_lone_post_is_written_at_once():
    writer = Recorded(linger_seconds=0)

    answer = await writer.place(command())

    assert answer.status == 201 and writer.transactions == [1]


async def test_a_linger_cut_short_by_shutdown_answers_every_waiting_post():
    writer = Recorded(linger_seconds=HOUR)
    waiting = [asyncio.create_task(writer.place(command(n + 1))) for n in range(3)]
    await turns()

    writer.writing.cancel()

    for placement in waiting:
        with pytest.raises(asyncio.CancelledError):
            await placement
    assert writer.transactions == [], "nothing written, nothing answered as placed"
