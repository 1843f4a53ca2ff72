"""Message templates: each renders with what its consumer gives it, Indonesian first."""

import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.notifier import consumers, store
from services.notifier.templates import TEMPLATES, indonesian_number, known_templates, render
from shared.consumer import Event
from shared.events import (
    Buyer,
    Envelope,
    HubRegistered,
    LotShare,
    OrderAllocated,
    OrderCancelled,
    OrderEstimateMoved,
    OrderExpired,
    OrderPlaced,
    OrderQueued,
    ProducerRegistered,
    ProductListed,
    SupplyReceived,
)

HUB = "kalteng-palangkaraya"
NOW = datetime(2020, 4, 6, 8, 30, tzinfo=UTC)
SITI, BUDI = uuid.uuid4(), uuid.uuid4()
# 07.00 UTC is 14.00 WIB in Palangka Raya.
HOLD_UNTIL = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
LOTS = (
    LotShare(delivery_id=uuid.uuid4(), producer_id=SITI, quantity=1000),
    LotShare(delivery_id=uuid.uuid4(), producer_id=BUDI, quantity=500),
)

# One event of each type the notifier consumes; quantities large enough to need a thousands dot.
EVENTS = {
    "product.listed": ProductListed(
        product_id=uuid.uuid4(), sku="masker-kain", name="Masker kain", unit_price=5000
    ),
    "producer.registered": ProducerRegistered(
        producer_id=SITI, name="Ibu Siti", regency="Katingan", phone="+6281234567890"
    ),
    "supply.received": SupplyReceived(
        delivery_id=uuid.uuid4(),
        producer_id=SITI,
        sku="masker-kain",
        quantity=1200,
        rejected=12,
        accepted=1188,
        received_at=NOW,
    ),
    "order.placed": OrderPlaced(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=3000,
        placed_at=NOW,
        sequence=1,
        buyer=Buyer(name="Bank Kalteng", type="bank", region="Palangka Raya"),
        buyer_key="bank-kalteng",
        priority_class="public",
        accept_partial=True,
    ),
    "order.queued": OrderQueued(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=3000,
        priority_class="public",
        position=4,
        units_ahead=2500,
        estimated_date=None,
    ),
    "order.allocated": OrderAllocated(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=1500,
        allocated_total=1500,
        requested=3000,
        lots=LOTS,
        rule="fifo",
        policy_version=0,
        hold_until=HOLD_UNTIL,
    ),
    "order.cancelled": OrderCancelled(order_id=uuid.uuid4(), sku="masker-kain", cancelled_at=NOW),
    "order.expired": OrderExpired(
        order_id=uuid.uuid4(), sku="masker-kain", quantity=1500, lots=LOTS, hold_until=HOLD_UNTIL
    ),
    "order.estimate_moved": OrderEstimateMoved(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        position=2,
        units_ahead=1200,
        estimated_date=date(2026, 11, 30),
        previous_date=date(2026, 12, 1),
    ),
    "hub.registered": HubRegistered(name="PLUT Kalimantan Tengah", timezone="Asia/Jakarta"),
}


class QuietConnection:
    """Stands in for asyncpg: the consumers' own SQL is not what these tests are about. Its one
    answer is the hub's time zone (None: a hub not heard of)."""

    def __init__(self, timezone: str | None = None) -> None:
        self.timezone = timezone

    async def execute(self, *_args):
        return "OK"

    async def fetchval(self, *_args):
        return self.timezone


@pytest.fixture
def messages(monkeypatch) -> list[dict]:
    """Every message the notifier's consumers record for EVENTS, as (template, params)."""
    recorded: list[dict] = []

    async def add_message(_conn, _cause, *, template, params, **_who):
        recorded.append({"template": template, "params": params})

    async def add_recipient(*_args, **_kwargs):
        return None

    async def product_name(_conn, _hub, _sku):
        return "Masker kain"

    monkeypatch.setattr(store, "add_message", add_message)
    monkeypatch.setattr(store, "add_recipient", add_recipient)
    monkeypatch.setattr(store, "product_name", product_name)
    return recorded


async def record_all(messages: list[dict], *payloads, timezone: str | None = None) -> list[dict]:
    """The messages recorded for `payloads` (every one of EVENTS when none are given)."""
    events = [
        Event(Envelope.wrap(payload, hub=HUB, correlation_id="t"), payload)
        for payload in payloads or EVENTS.values()
    ]
    await consumers.handlers.handle_batch(QuietConnection(timezone), events)
    return messages


async def rendered(messages: list[dict], template: str, *payloads, **where) -> str:
    """The body of the one `template` message recorded for `payloads`."""
    (message,) = [
        m for m in await record_all(messages, *payloads, **where) if m["template"] == template
    ]
    return render(template, "Ibu Siti", message["params"]).body


def template_names_in_consumers_source() -> set[str]:
    source = Path(consumers.__file__).read_text()
    return set(re.findall(r'template="(\w+)"', source))


def test_every_template_named_in_the_consumers_exists_as_a_file():
    names = template_names_in_consumers_source()

    assert names
    for name in names:
        assert (TEMPLATES / f"{name}.txt").is_file(), name


def test_every_template_file_is_used_by_a_consumer():
    assert known_templates() == template_names_in_consumers_source()


def test_there_is_an_event_here_for_every_event_the_notifier_consumes():
    assert set(EVENTS) == consumers.handlers.event_types


async def test_every_template_is_rendered_from_the_events_the_notifier_consumes(messages):
    await record_all(messages)

    assert {message["template"] for message in messages} == known_templates()


async def test_an_allocation_tells_the_buyer_and_each_producer_whose_units_went(messages):
    await record_all(messages)

    sold = [m["params"] for m in messages if m["template"] == "units_sold"]
    assert sorted(params["quantity"] for params in sold) == [500, 1000]


async def test_an_expiry_tells_the_buyer_and_each_producer_whose_units_went_back(messages):
    await record_all(messages, EVENTS["order.expired"])

    assert {m["template"] for m in messages} == {"order_expired", "units_returned"}
    returned = [m["params"] for m in messages if m["template"] == "units_returned"]
    assert sorted(params["quantity"] for params in returned) == [500, 1000]


async def test_an_expiry_says_until_when_the_units_were_held(messages):
    body = await rendered(messages, "order_expired", EVENTS["order.expired"])

    assert (
        "1.500 Masker kain untuk pesanan Anda tidak diambil sebelum 30 November 2026 14.00 WIB"
        in body
    )
    assert "not collected before 30 November 2026 14:00 WIB" in body
    assert "tetap di tempatnya dalam antrean" in body


async def test_a_queued_order_says_its_estimated_date(messages):
    queued = EVENTS["order.queued"].model_copy(update={"estimated_date": date(2026, 12, 1)})

    body = await rendered(messages, "order_received", queued)

    assert "Perkiraan dilayani: 1 Desember 2026." in body
    assert "Estimated date: 1 December 2026." in body


async def test_a_queued_order_without_recent_supply_says_it_cannot_be_estimated(messages):
    body = await rendered(messages, "order_received", EVENTS["order.queued"])

    assert "Perkiraan dilayani: belum dapat diperkirakan (belum ada pasokan baru-baru ini)." in body
    assert "Estimated date: cannot be estimated yet (no recent supply)." in body


async def test_the_buyer_is_told_to_collect_before_the_hold_ends_in_the_hubs_zone(messages):
    body = await rendered(
        messages, "order_allocated", EVENTS["order.allocated"], timezone="Asia/Makassar"
    )

    assert "Silakan ambil sebelum 30 November 2026 15.00 WITA." in body
    assert "Please collect them before 30 November 2026 15:00 WITA." in body


async def test_a_hub_not_heard_of_shows_times_in_wib(messages):
    body = await rendered(messages, "order_allocated", EVENTS["order.allocated"], timezone=None)

    assert "Silakan ambil sebelum 30 November 2026 14.00 WIB." in body


async def test_units_not_held_leave_the_collect_line_out(messages):
    unheld = EVENTS["order.allocated"].model_copy(update={"hold_until": None})

    body = await rendered(messages, "order_allocated", unheld)

    assert "ambil sebelum" not in body and "collect" not in body
    assert "Masih menunggu: 1.500.\n\nNomor pesanan" in body


@pytest.mark.parametrize(
    ("estimated", "indonesian", "english"),
    [
        (date(2026, 11, 30), "Masker kain maju.", "has moved earlier."),
        (date(2026, 12, 4), "Masker kain mundur.", "has moved later."),
        (None, "Masker kain berubah.", "has changed."),
    ],
)
async def test_a_moved_estimate_says_which_way_with_both_dates(
    messages, estimated, indonesian, english
):
    moved = EVENTS["order.estimate_moved"].model_copy(update={"estimated_date": estimated})

    body = await rendered(messages, "estimate_moved", moved)

    assert indonesian in body and english in body
    assert "Perkiraan sebelumnya: 1 Desember 2026." in body
    assert "Previous estimate: 1 December 2026." in body
    assert "Posisi antrean: ke-2 (1.200 unit di depan Anda)." in body


async def test_a_moved_estimate_that_can_no_longer_be_made_says_so(messages):
    moved = EVENTS["order.estimate_moved"].model_copy(update={"estimated_date": None})

    body = await rendered(messages, "estimate_moved", moved)

    assert "Perkiraan baru: belum dapat diperkirakan" in body


def test_a_line_whose_value_is_none_is_left_out_and_the_rest_is_kept():
    params = {"product": "Masker kain", "quantity": 2, "allocated_total": 2, "requested": 2}
    params |= {"remaining": 0, "order_id": "o-1", "hold_until_id": None, "hold_until_en": None}

    body = render("order_allocated", "Ibu Siti", params).body

    assert "$" not in body and "None" not in body
    assert "Nomor pesanan: o-1" in body and "Order number: o-1" in body


async def test_every_message_renders_with_no_placeholder_left(messages):
    for message in await record_all(messages):
        rendered = render(message["template"], "Ibu Siti", message["params"])

        assert "$" not in rendered.subject + rendered.body, message["template"]
        assert "Ibu Siti" in rendered.body


async def test_every_message_is_indonesian_first_then_english(messages):
    for message in await record_all(messages):
        body = render(message["template"], "Ibu Siti", message["params"]).body

        indonesian, english = body.split("\n---\n")
        assert indonesian.startswith("Halo Ibu Siti,"), message["template"]
        assert english.strip().startswith("Hello Ibu Siti,"), message["template"]


async def test_every_subject_is_indonesian_then_english(messages):
    for message in await record_all(messages):
        subject = render(message["template"], "Ibu Siti", message["params"]).subject

        indonesian, english = subject.split(" / ")
        assert indonesian.strip() and english.strip(), message["template"]
        assert "\n" not in subject


def test_subject_of_a_delivery_record_reads_in_both_languages():
    rendered = render(
        "delivery_recorded",
        "Ibu Siti",
        {
            "product": "Masker kain",
            "quantity": 50,
            "accepted": 48,
            "rejected": 2,
            "delivery_id": "d-1",
        },
    )

    assert rendered.subject == "Setoran dicatat / Delivery recorded"


def test_numbers_in_a_message_are_written_the_indonesian_way():
    rendered = render("units_sold", "Ibu Siti", {"product": "Masker kain", "quantity": 2000})

    assert "2.000 Masker kain buatan Anda" in rendered.body
    assert "2.000 of your Masker kain" in rendered.body
    assert "2,000" not in rendered.body


def test_text_params_are_left_as_they_are():
    rendered = render("units_sold", "Ibu Siti", {"product": "1000 masker", "quantity": 1})

    assert "1 1000 masker buatan Anda" in rendered.body


@pytest.mark.parametrize(
    ("value", "written"),
    [(0, "0"), (5, "5"), (999, "999"), (2000, "2.000"), (5000, "5.000"), (1234567, "1.234.567")],
)
def test_indonesian_number(value, written):
    assert indonesian_number(value) == written


def test_a_missing_param_is_an_error_not_a_blank():
    with pytest.raises(KeyError, match="quantity"):
        render("units_sold", "Ibu Siti", {"product": "Masker kain"})


def test_an_unknown_template_is_an_error():
    with pytest.raises(FileNotFoundError):
        render("no_such_template", "Ibu Siti", {})
