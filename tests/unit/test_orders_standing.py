"""Where an order stands, as the orders service reads the allocator's answer, and what it says
when the allocator cannot answer."""

import uuid
from datetime import UTC, date, datetime

import aiohttp
import structlog

from services.orders.models import Order
from services.orders.standing import AllocatorClient, read_answer
from tests.support.stack import free_port

PHONE = "+6281234567890"
PLACED_AT = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def an_order() -> Order:
    return Order(
        id=uuid.uuid4(),
        code="7K3QD-M9X2A",
        hub="kalteng",
        sku="masker-kain",
        quantity=10,
        allocated=0,
        fulfilled=0,
        expired=0,
        waiting=10,
        hold_until=None,
        accept_partial=True,
        priority_class="public",
        status="queued",
        buyer={"name": "Bu Rina", "type": "individual", "region": "Sampit", "phone": PHONE},
        placed_at=PLACED_AT,
        fulfilled_at=None,
        cancelled_at=None,
    )


def allocator_answer(order: Order) -> dict:
    """The allocator's answer as its contract describes it."""
    return {
        "order_id": str(order.id),
        "hub": order.hub,
        "sku": order.sku,
        "state": "waiting",
        "priority_class": "public",
        "position": 3,
        "units_ahead": 120,
        "estimated_date": "2026-11-30",
        "explanation": [
            {
                "rule": "queued",
                "quantity": None,
                "at": "2026-11-28T01:00:05+00:00",
                "id": "Masuk antrean kelas umum",
                "en": "Queued in the public class",
            }
        ],
    }


def test_the_allocators_answer_is_the_standing():
    order = an_order()

    standing = read_answer(order, 200, allocator_answer(order))

    assert (standing.position, standing.units_ahead) == (3, 120)
    assert standing.estimated_date == date(2026, 11, 30)
    [line] = standing.explanation
    assert (line.rule, line.quantity, line.en) == ("queued", None, "Queued in the public class")


def test_an_order_not_yet_queued_was_received():
    order = an_order()

    standing = read_answer(order, 404, None)

    assert (standing.position, standing.units_ahead, standing.estimated_date) == (None,) * 3
    [line] = standing.explanation
    assert (line.rule, line.quantity, line.at) == ("received", 10, PLACED_AT)
    assert line.id and line.en


def test_a_failing_or_garbled_allocator_makes_the_standing_unavailable():
    order = an_order()
    garbled = {**allocator_answer(order), "position": "third"}

    for status, body in ((503, None), (500, None), (200, garbled), (200, ["not", "an", "object"])):
        standing = read_answer(order, status, body)

        assert standing.position is None
        assert [line.rule for line in standing.explanation] == ["unavailable"]


async def test_an_unreachable_allocator_makes_the_standing_unavailable_and_is_logged():
    order = an_order()
    closed_port = free_port()  # bound a moment ago and released: nothing listens there

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        client = AllocatorClient(session, f"http://127.0.0.1:{closed_port}", {})
        with structlog.testing.capture_logs() as logs:
            standing = await client.standing(order)

    assert (standing.position, standing.units_ahead, standing.estimated_date) == (None,) * 3
    [line] = standing.explanation
    assert line.rule == "unavailable"
    assert "posisi antrean belum dapat ditampilkan" in line.id
    assert "cannot be shown" in line.en
    [warning] = [entry for entry in logs if entry["log_level"] == "warning"]
    assert warning["order_id"] == str(order.id)
    assert PHONE not in repr(logs) and "81234567890" not in repr(logs)
