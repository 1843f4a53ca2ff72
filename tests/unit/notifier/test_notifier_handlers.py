"""The notifier's use cases on a fake unit of work: what each event means for whom, and which
channel a message goes by. No database: milliseconds each."""

import uuid

from services.notifier.handlers.route import OPTED_OUT_ANSWER, route_message
from services.notifier.links import buyer_params
from services.notifier.store.recipients import buyer_key, producer_key
from services.notifier.store.routes import Waiting
from services.notifier.templates import render
from shared.events import (
    Envelope,
    HubRegistered,
    LotShare,
    OrderExpired,
    ProducerRegistered,
    ProductListed,
)
from tests.support.events import (
    HOLD_UNTIL,
    SKU,
    allocation_of,
    not_drawn,
    placed,
    supply,
    todays_summary,
)
from tests.unit.notifier.fake_unit_of_work import FakeRoutingWork, FakeUnitOfWork

HUB = "kalteng"
SITE = "https://plut.example.id"
MAKER = uuid.UUID(int=7, version=4)
PHONE = "+6281234567890"


def event(payload) -> Envelope:
    return Envelope.wrap(payload, hub=HUB, correlation_id="test-handlers")


def expiry_of(order: Envelope, quantity: int, producer_id: uuid.UUID) -> Envelope:
    lot = LotShare(delivery_id=uuid.uuid4(), producer_id=producer_id, quantity=quantity)
    expired = OrderExpired(
        order_id=order.payload["order_id"], sku=SKU, quantity=quantity, lots=(lot,),
        hold_until=HOLD_UNTIL,
    )  # fmt: skip
    return order.follow(expired)


def known_places() -> list[Envelope]:
    return [
        event(HubRegistered(name="PLUT Kalimantan Tengah", timezone="Asia/Makassar")),
        event(ProductListed(product_id=uuid.uuid4(), sku=SKU, name="Masker kain", unit_price=5000)),
    ]


def as_sent(uow: FakeUnitOfWork, message) -> str:
    """The message's text as the sender writes it for its recipient."""
    person = uow.recipients[message.recipient_key]
    params = message.params
    if message.order_id is not None:
        params = buyer_params(params, person.order_code, SITE)
    return render(message.template, person.language, person.name, params).text


async def test_an_order_served_at_once_gives_its_buyer_one_message_that_stands_alone():
    """No order.queued came before (the allocator served it at once): the one message says what
    the buyer got, where and until when, and links to the order's page by its code."""
    uow = FakeUnitOfWork()
    order = placed(HUB, 3, phone=PHONE)
    await uow.handle(*known_places(), order, allocation_of(order, 3, MAKER, HOLD_UNTIL))

    key = buyer_key(order.payload["order_id"])
    [message] = uow.messages.to(key)
    assert message.template == "order_allocated"
    assert message.params["pickup"] == "PLUT Kalimantan Tengah"
    assert message.params["hold_until_id"] == "30 November 2026 15.00 WITA"
    text = as_sent(uow, message)
    code = order.payload["code"]
    assert f"{SITE}/lacak/{code}" in text
    assert "Masker kain" in text
    assert "sudah kami terima" in text  # not "now available", as if it had waited
    assert uow.flushed


async def test_part_of_an_order_tells_the_buyer_what_still_waits():
    uow = FakeUnitOfWork()
    order = placed(HUB, 5)
    await uow.handle(order, allocation_of(order, 2, MAKER, HOLD_UNTIL))

    [message] = uow.messages.to(buyer_key(order.payload["order_id"]))
    assert message.template == "order_partly_allocated"
    assert (message.params["quantity"], message.params["remaining"]) == (2, 3)


async def test_the_producer_hears_what_sold_and_what_it_earned():
    uow = FakeUnitOfWork()
    order = placed(HUB, 3)
    await uow.handle(*known_places(), order, allocation_of(order, 3, MAKER, HOLD_UNTIL))

    [sold] = uow.messages.to(producer_key(MAKER))
    assert sold.template == "units_sold"
    assert (sold.params["quantity"], sold.params["earned_rupiah"]) == (3, 15000)
    assert sold.producer_id == MAKER and sold.order_id is None


async def test_a_batch_of_sales_of_a_producers_units_is_one_message_with_the_totals():
    """50 buyers of a tailor's masks in one batch are one message to the tailor, not 50; its
    key is the batch's first sale (the inbox keeps the others from coming back)."""
    uow = FakeUnitOfWork()
    other = uuid.UUID(int=8, version=4)
    orders = [placed(HUB, 2) for _ in range(4)]
    makers = [MAKER, other, MAKER, MAKER]
    allocations = [
        allocation_of(order, 2, maker, HOLD_UNTIL)
        for order, maker in zip(orders, makers, strict=True)
    ]
    maker = ProducerRegistered(producer_id=MAKER, name="Ibu Wati", regency="Kapuas", phone=PHONE)
    await uow.handle(*known_places(), event(maker), *orders, *allocations)

    [sold] = uow.messages.to(producer_key(MAKER))
    assert (sold.params["quantity"], sold.params["earned_rupiah"]) == (6, 30000)
    assert sold.params["unit_price_rupiah"] == 5000
    assert sold.event_id == allocations[0].id
    [to_other] = uow.messages.to(producer_key(other))
    assert (to_other.params["quantity"], to_other.event_id) == (2, allocations[1].id)
    assert "30.000" in as_sent(uow, sold)
    for order in orders:  # each buyer still hears of their own order
        assert len(uow.messages.to(buyer_key(order.payload["order_id"]))) == 1


async def test_units_back_in_stock_in_a_batch_are_one_message_with_the_total():
    uow = FakeUnitOfWork()
    orders = [placed(HUB, 3) for _ in range(2)]
    expiries = [expiry_of(order, 3, MAKER) for order in orders]
    await uow.handle(*known_places(), *orders, *expiries)

    [returned] = uow.messages.to(producer_key(MAKER))
    assert (returned.template, returned.params["quantity"]) == ("units_returned", 6)
    [day] = uow.producer_days.values()
    assert (day.returned, day.earned) == (6, -30000)


async def test_a_producers_delivery_tells_the_producer_and_counts_in_their_day():
    uow = FakeUnitOfWork()
    registered = ProducerRegistered(
        producer_id=MAKER, name="Ibu Wati", regency="Kapuas", phone="+6281211112222"
    )
    await uow.handle(
        *known_places(), event(registered), supply(HUB, 18, rejected=2, producer_id=MAKER)
    )

    [told] = uow.messages.to(producer_key(MAKER))
    assert told.template == "delivery_recorded"
    assert (told.params["product"], told.params["accepted"], told.params["rejected"]) == (
        "Masker kain",
        18,
        2,
    )
    assert "Ibu Wati" in as_sent(uow, told)
    [day] = uow.producer_days.values()
    assert (day.delivered, day.accepted, day.rejected) == (20, 18, 2)


async def test_a_summary_counts_the_producers_day():
    uow = FakeUnitOfWork()
    order = placed(HUB, 5)
    await uow.handle(
        supply(HUB, 20, producer_id=MAKER),
        allocation_of(order, 5, MAKER, HOLD_UNTIL),
    )
    # The summary's day is Jakarta's today: the default zone of a hub not registered.
    await uow.handle(event(todays_summary(received=20, allocated=5)))

    [summary] = [m for m in uow.messages.to(producer_key(MAKER)) if m.template == "daily_summary"]
    assert (summary.params["delivered"], summary.params["sold"]) == (20, 5)


async def test_a_duplicate_event_gives_one_message():
    uow = FakeUnitOfWork()
    order = placed(HUB, 3)
    given = allocation_of(order, 3, MAKER, HOLD_UNTIL)
    await uow.handle(order, given, given)

    assert len(uow.messages.to(buyer_key(order.payload["order_id"]))) == 1
    [sold] = uow.messages.to(producer_key(MAKER))
    assert sold.params["quantity"] == 3


async def test_the_last_word_on_a_person_stands_and_an_email_is_kept_in_lower_case():
    uow = FakeUnitOfWork()
    first = ProducerRegistered(producer_id=MAKER, name="Ibu Wati", regency="Kapuas", phone=PHONE)
    second = ProducerRegistered(
        producer_id=MAKER,
        name="Ibu Wati R",
        regency="Kapuas",
        phone="+6281233334444",
        email="Wati@Contoh.ID",
    )
    await uow.handle(event(first), event(second))

    person = uow.recipients[producer_key(MAKER)]
    assert (person.name, person.email, person.phone) == (
        "Ibu Wati R",
        "wati@contoh.id",
        "+6281233334444",
    )


def waiting(**person) -> Waiting:
    return Waiting(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        correlation_id="test-route",
        hub=HUB,
        template="order_allocated",
        failed_channels=frozenset(person.pop("failed", ())),
        order_id=uuid.uuid4(),
        producer_id=None,
        phone=person.get("phone"),
        email=person.get("email"),
        preferred=person.get("preferred"),
        language="id",
        opted_out=frozenset(person.get("opted_out", ())),
        kind=person.get("kind", "buyer"),
    )


ALL = frozenset({"whatsapp", "sms", "email"})


def test_a_reply_in_a_chat_goes_only_by_the_channel_the_person_wrote_on():
    work = FakeRoutingWork()
    by_sms = waiting(phone=PHONE, preferred="sms", kind="chat")
    on_whatsapp = waiting(phone=PHONE, preferred="whatsapp", kind="chat", failed={"whatsapp"})
    route_message(work, by_sms, ALL)
    route_message(work, on_whatsapp, ALL)

    assert work.routed == {by_sms.id: ("sms", PHONE, "id")}
    assert work.ended[on_whatsapp.id][0] == "failed", "never by SMS for a WhatsApp message"


def test_a_message_goes_by_the_first_channel_the_person_did_not_opt_out_of():
    work = FakeRoutingWork()
    message = waiting(phone=PHONE, opted_out={"whatsapp"})
    route_message(work, message, ALL)

    assert work.routed == {message.id: ("sms", PHONE, "id")}
    assert [(a.channel, a.outcome, a.answer) for a in work.attempts] == [
        ("whatsapp", "opted_out", OPTED_OUT_ANSWER)
    ]
    assert work.published == []


def test_a_person_opted_out_of_every_channel_they_have_is_sent_nothing():
    work = FakeRoutingWork()
    message = waiting(phone=PHONE, opted_out={"whatsapp", "sms"})
    route_message(work, message, ALL)

    assert work.routed == {}
    assert work.ended[message.id][0] == "opted_out"
    assert work.published == [], "an opt-out is no failure"


def test_a_message_every_channel_failed_ends_and_its_failure_is_announced():
    work = FakeRoutingWork()
    message = waiting(phone=PHONE, failed={"whatsapp", "sms"})
    route_message(work, message, ALL)

    assert work.ended[message.id][0] == "failed"
    [failed] = work.published
    assert failed.type == "notification.failed"
    assert failed.payload["message_id"] == str(message.id)
    assert failed.causation_id == message.event_id


async def test_an_applicant_not_drawn_hears_it_with_the_seed_the_entrants_and_the_draw():
    """The application is not in the queue (no order.placed): the event names its applicant,
    who hears in their language that the draw passed them over, how to check the draw, and
    that the application stays in the pool."""
    uow = FakeUnitOfWork()
    draw = not_drawn(
        HUB, phone=PHONE, language="en", seed=12345678901, entrants=400, ticket="T-9QW4RZ"
    )
    await uow.handle(draw)

    payload = draw.payload
    [message] = uow.messages.to(buyer_key(payload["order_id"]))
    assert message.template == "programme_not_drawn"
    person = uow.recipients[message.recipient_key]
    assert (person.phone, person.language, person.order_code) == (PHONE, "en", payload["code"])
    text = as_sent(uow, message)
    assert "12345678901" in text and "Entrants in the draw: 400" in text
    assert f"{SITE}/program/{payload['programme_id']}/undian/{payload['draw_id']}" in text
    assert f"{SITE}/lacak/{payload['code']}" in text
    assert "stays in the pool" in text
    # The published draw names tickets, not codes: the applicant is told theirs to find it.
    assert "Your draw ticket: T-9QW4RZ" in text


async def test_the_same_not_drawn_event_twice_in_a_batch_is_one_message():
    uow = FakeUnitOfWork()
    draw = not_drawn(HUB, phone=PHONE)
    await uow.handle(draw, draw)

    assert len(uow.messages.to(buyer_key(draw.payload["order_id"]))) == 1
