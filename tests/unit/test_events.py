"""The event contract: envelopes survive the wire, causality is kept, unknown events are refused."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.events import (
    Buyer,
    BuyerV2,
    DaySummarised,
    Envelope,
    EventPayload,
    HubRegistered,
    LotShare,
    NotificationFailed,
    NotificationSent,
    OrderAllocated,
    OrderAllocatedV1,
    OrderAllocatedV2,
    OrderCancelled,
    OrderEstimateMoved,
    OrderExpired,
    OrderFulfilled,
    OrderPlaced,
    OrderPlacedV1,
    OrderPlacedV2,
    OrderPlacedV3,
    OrderPlacedV4,
    OrderQueued,
    OrderQueuedV1,
    OrderReleased,
    ProducerRegistered,
    ProducerRegisteredV1,
    ProducerUpdated,
    ProductListed,
    ProgrammeNotDrawn,
    ProgrammeShare,
    SupplyReceived,
    UnknownEvent,
)

HUB = "kalteng-palangkaraya"
NOW = datetime(2020, 4, 6, 8, 30, tzinfo=UTC)
SHARE = LotShare(delivery_id=uuid.uuid4(), producer_id=uuid.uuid4(), quantity=20)

# One valid payload of every event type, so every type is shown to survive the wire.
SAMPLES = {
    ("hub.registered", 1): HubRegistered(name="PLUT Kalimantan Tengah", timezone="Asia/Jakarta"),
    ("product.listed", 1): ProductListed(
        product_id=uuid.uuid4(), sku="masker-kain", name="Masker kain", unit_price=5000
    ),
    ("producer.registered", 1): ProducerRegisteredV1(
        producer_id=uuid.uuid4(),
        name="Ibu Siti",
        regency="Kotawaringin Timur",
        phone="+6281234567890",
        email="siti@example.org",
    ),
    ("producer.registered", 2): ProducerRegistered(
        producer_id=uuid.uuid4(),
        name="Ibu Siti",
        regency="Kotawaringin Timur",
        phone="+6281234567890",
        email="siti@example.org",
        language="en",
        channel="email",
    ),
    ("producer.updated", 1): ProducerUpdated(
        producer_id=uuid.uuid4(),
        name="Ibu Siti Aminah",
        regency="Kotawaringin Barat",
        phone="+6281298765432",
        email=None,
        language="id",
        channel="sms",
        updated_at=NOW,
    ),
    ("supply.received", 1): SupplyReceived(
        delivery_id=uuid.uuid4(),
        producer_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=50,
        rejected=2,
        accepted=48,
        received_at=NOW,
    ),
    ("order.placed", 1): OrderPlacedV1(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=30,
        placed_at=NOW,
        sequence=1,
        buyer=BuyerV2(name="Bank Kalteng", type="bank", region="Palangka Raya"),
    ),
    ("order.placed", 2): OrderPlacedV2(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=30,
        placed_at=NOW,
        sequence=1,
        buyer=BuyerV2(name="Puskesmas Pahandut", type="health_facility", region="Palangka Raya"),
        buyer_key="5f0c8e2a",
        priority_class="health",
        accept_partial=False,
    ),
    ("order.placed", 5): OrderPlaced(
        order_id=uuid.uuid4(),
        code="7K3QD-M9X2A",
        sku="masker-kain",
        quantity=2,
        placed_at=NOW,
        sequence=1,
        buyer=Buyer(name="Ibu Sari", type="individual", region="Palangka Raya"),
        buyer_key="5f0c8e2a",
        priority_class="program",
        accept_partial=True,
        programme=ProgrammeShare(programme_id=uuid.uuid4(), unit_price=4500),
    ),
    ("order.placed", 4): OrderPlacedV4(
        order_id=uuid.uuid4(),
        code="7K3QD-M9X2A",
        sku="masker-kain",
        quantity=30,
        placed_at=NOW,
        sequence=1,
        buyer=Buyer(name="Ibu Sari", type="individual", region="Palangka Raya", language="en"),
        buyer_key="5f0c8e2a",
        priority_class="public",
        accept_partial=True,
    ),
    ("order.placed", 3): OrderPlacedV3(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=30,
        placed_at=NOW,
        sequence=1,
        buyer=Buyer(
            name="Puskesmas Pahandut",
            type="health_facility",
            region="Palangka Raya",
            phone="+6281234567890",
            language="en",
            channel="sms",
        ),
        buyer_key="5f0c8e2a",
        priority_class="health",
        accept_partial=False,
    ),
    ("order.fulfilled", 1): OrderFulfilled(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=20,
        fulfilled_total=20,
        fulfilled_at=NOW,
    ),
    ("order.cancelled", 1): OrderCancelled(
        order_id=uuid.uuid4(), sku="masker-kain", cancelled_at=NOW
    ),
    ("order.queued", 1): OrderQueuedV1(
        order_id=uuid.uuid4(), sku="masker-kain", quantity=30, position=2, units_ahead=40
    ),
    ("order.queued", 2): OrderQueued(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=30,
        priority_class="public",
        position=2,
        units_ahead=40,
        estimated_date=NOW.date(),
    ),
    ("order.estimate_moved", 1): OrderEstimateMoved(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        position=2,
        units_ahead=40,
        estimated_date=NOW.date(),
        previous_date=None,
    ),
    ("order.allocated", 1): OrderAllocatedV1(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=20,
        allocated_total=20,
        requested=30,
        lots=(SHARE,),
    ),
    ("order.allocated", 3): OrderAllocated(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=2,
        allocated_total=2,
        requested=2,
        lots=(SHARE,),
        rule="fifo",
        policy_version=3,
        hold_until=NOW,
        programme=ProgrammeShare(programme_id=uuid.uuid4(), unit_price=4500),
    ),
    ("order.allocated", 2): OrderAllocatedV2(
        order_id=uuid.uuid4(),
        sku="masker-kain",
        quantity=20,
        allocated_total=20,
        requested=30,
        lots=(SHARE,),
        rule="reserve:fair_share",
        policy_version=3,
        hold_until=NOW,
    ),
    ("order.expired", 1): OrderExpired(
        order_id=uuid.uuid4(), sku="masker-kain", quantity=20, lots=(SHARE,), hold_until=NOW
    ),
    ("day.summarised", 1): DaySummarised(
        day=NOW.date(),
        timezone="Asia/Jakarta",
        sku="masker-kain",
        received=2000,
        allocated=1990,
        fulfilled=1500,
        expired=10,
        waiting_units=1000,
        waiting_orders=40,
        buyers_unserved=12,
    ),
    ("programme.not_drawn", 1): ProgrammeNotDrawn(
        programme_id=uuid.uuid4(),
        programme_name="Masker gratis warga",
        order_id=uuid.uuid4(),
        code="7K3QD-M9X2A",
        ticket="T-4HW8NR",
        draw_id=uuid.uuid4(),
        seed=12345,
        entrants=40,
        buyer=Buyer(name="Ibu Sari", type="individual", region="Palangka Raya"),
    ),
    ("order.released", 1): OrderReleased(
        order_id=uuid.uuid4(), sku="masker-kain", quantity=20, lots=(SHARE,)
    ),
    ("notification.sent", 1): NotificationSent(
        message_id=uuid.uuid4(), template="order_received", channel="email", order_id=uuid.uuid4()
    ),
    ("notification.failed", 1): NotificationFailed(
        message_id=uuid.uuid4(),
        template="units_sold",
        channel="email",
        reason="mailbox full",
        producer_id=uuid.uuid4(),
    ),
}


def over_the_wire(envelope: Envelope) -> Envelope:
    return Envelope.model_validate_json(envelope.model_dump_json())


def test_every_registered_event_type_has_a_sample_here():
    assert set(SAMPLES) == set(EventPayload.registry)


@pytest.mark.parametrize("key", sorted(SAMPLES), ids=lambda key: f"{key[0]}-v{key[1]}")
def test_event_survives_json_round_trip(key):
    payload = SAMPLES[key]
    sent = Envelope.wrap(payload, hub=HUB, correlation_id="req-1")

    received = over_the_wire(sent)

    assert received == sent
    assert (received.type, received.version) == key
    assert received.read() == payload.upgraded()
    newest = max(v for t, v in EventPayload.registry if t == payload.type)
    assert received.read().version == newest


def test_an_old_order_placed_reads_as_the_newest_with_the_defaults_it_implies():
    old = SAMPLES[("order.placed", 1)]
    envelope = over_the_wire(Envelope.wrap(old, hub=HUB, correlation_id="req-1"))

    read = envelope.read()

    assert isinstance(read, OrderPlaced)
    assert (read.priority_class, read.accept_partial) == ("public", True)
    assert read.buyer_key == old.buyer.key(old.order_id)
    assert (read.buyer.language, read.buyer.channel) == ("id", None)


def test_an_order_placed_v2_reads_as_the_newest_told_in_the_hubs_default_way():
    old = SAMPLES[("order.placed", 2)]
    envelope = over_the_wire(Envelope.wrap(old, hub=HUB, correlation_id="req-1"))

    read = envelope.read()

    assert isinstance(read, OrderPlaced)
    assert read.buyer == Buyer(**old.buyer.model_dump(), language="id", channel=None)
    assert read.model_dump(exclude={"buyer", "code", "programme"}) == old.model_dump(
        exclude={"buyer"}
    )
    assert read.code is None and read.programme is None


def test_an_order_placed_v3_reads_as_the_newest_without_a_code():
    old = SAMPLES[("order.placed", 3)]

    read = over_the_wire(Envelope.wrap(old, hub=HUB, correlation_id="req-1")).read()

    assert read == OrderPlaced(**old.model_dump(), code=None)


def test_the_newest_order_placed_carries_its_code_as_shown_and_refuses_another_shape():
    sent = Envelope.wrap(SAMPLES[("order.placed", 4)], hub=HUB, correlation_id="req-1")
    assert over_the_wire(sent).read().code == "7K3QD-M9X2A"

    for wrong in ("7K3QDM9X2A", "7k3qd-m9x2a", "https://x.example/lacak/7K3QD-M9X2A"):
        forged = sent.model_copy(update={"payload": {**sent.payload, "code": wrong}})
        with pytest.raises(ValidationError):
            forged.read()
    missing = {k: v for k, v in sent.payload.items() if k != "code"}
    with pytest.raises(ValidationError):
        sent.model_copy(update={"payload": missing}).read()


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_order_placed_refuses_a_buyer_with_the_new_fields(version):
    envelope = Envelope.wrap(SAMPLES[("order.placed", version)], hub=HUB, correlation_id="r")
    buyer = {**envelope.payload["buyer"], "language": "en", "channel": "sms"}
    sent = envelope.model_copy(update={"payload": {**envelope.payload, "buyer": buyer}})

    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        sent.read()


def test_an_order_placed_v3_keeps_how_the_buyer_wants_to_be_told():
    sent = Envelope.wrap(SAMPLES[("order.placed", 3)], hub=HUB, correlation_id="req-1")

    buyer = over_the_wire(sent).read().buyer

    assert (buyer.language, buyer.channel) == ("en", "sms")


def test_an_old_producer_registered_reads_as_the_newest_told_in_the_hubs_default_way():
    old = SAMPLES[("producer.registered", 1)]
    envelope = over_the_wire(Envelope.wrap(old, hub=HUB, correlation_id="req-1"))

    read = envelope.read()

    assert read == ProducerRegistered(**old.model_dump(), language="id", channel=None)
    refused = {**envelope.payload, "language": "en"}
    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        envelope.model_copy(update={"payload": refused}).read()


@pytest.mark.parametrize("preference", [{"language": "jv"}, {"channel": "telegram"}])
def test_a_language_or_channel_not_offered_is_refused_in_events(preference):
    with pytest.raises(ValidationError, match="literal_error|Input should be"):
        Buyer(name="A", type="bank", region="R", **preference)
    with pytest.raises(ValidationError, match="literal_error|Input should be"):
        ProducerRegistered(
            **SAMPLES[("producer.registered", 2)].model_dump(exclude=set(preference)),
            **preference,
        )


def test_the_same_buyer_has_the_same_key_across_orders_by_reference_then_phone_then_email():
    by_phone = Buyer(name="A", type="bank", region="R", phone="+6281234567890", email="a@b.id")
    same_phone = Buyer(name="B", type="bank", region="S", phone="+6281234567890")
    by_reference = by_phone.model_copy(update={"reference": "bank-42"})
    by_email = Buyer(name="C", type="agency", region="R", email="A@B.id")

    assert by_phone.key(uuid.uuid4()) == same_phone.key(uuid.uuid4())
    assert by_reference.key(uuid.uuid4()) != by_phone.key(uuid.uuid4())
    assert by_email.key(uuid.uuid4()) == by_email.model_copy(update={"email": "a@b.id"}).key(
        uuid.uuid4()
    )
    anonymous = Buyer(name="D", type="individual", region="R")
    assert anonymous.key(uuid.uuid4()) != anonymous.key(uuid.uuid4())


def test_wrap_starts_a_chain_with_no_cause():
    envelope = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="req-1")

    assert envelope.causation_id is None
    assert envelope.hub == HUB
    assert envelope.correlation_id == "req-1"
    assert envelope.occurred_at.tzinfo is not None


def test_wrap_gives_each_event_a_new_id():
    payload = SAMPLES[("order.placed", 2)]

    first = Envelope.wrap(payload, hub=HUB, correlation_id="req-1")
    second = Envelope.wrap(payload, hub=HUB, correlation_id="req-1")

    assert first.id != second.id


def test_follow_keeps_hub_and_correlation_and_names_its_cause():
    placed = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="req-1")

    queued = placed.follow(SAMPLES[("order.queued", 2)])

    assert queued.hub == placed.hub
    assert queued.correlation_id == placed.correlation_id
    assert queued.causation_id == placed.id
    assert queued.id != placed.id
    assert queued.type == "order.queued"


def test_read_of_an_unknown_type_raises_unknown_event():
    envelope = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="req-1")
    unknown = envelope.model_copy(update={"type": "order.teleported"})

    with pytest.raises(UnknownEvent, match="order.teleported"):
        unknown.read()


def test_read_of_an_unknown_version_raises_unknown_event():
    envelope = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="req-1")
    from_the_future = envelope.model_copy(update={"version": 9})

    with pytest.raises(UnknownEvent, match="version 9"):
        from_the_future.read()


def test_read_of_a_payload_that_does_not_fit_its_model_raises_validation_error():
    envelope = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="req-1")
    broken = envelope.model_copy(update={"payload": {**envelope.payload, "quantity": 0}})

    with pytest.raises(ValidationError):
        broken.read()


def test_payload_refuses_an_unknown_field():
    data = SAMPLES[("order.cancelled", 1)].model_dump()

    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        OrderCancelled(**data, reason="changed my mind")


def test_payload_is_frozen():
    payload = SAMPLES[("order.queued", 2)]

    with pytest.raises(ValidationError):
        payload.position = 1


def test_envelope_refuses_an_unknown_field():
    data = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="r").model_dump()

    with pytest.raises(ValidationError):
        Envelope.model_validate({**data, "priority": "high"})


def test_registry_has_the_model_of_each_type_and_version():
    for (event_type, version), model in EventPayload.registry.items():
        assert (model.type, model.version) == (event_type, version)


def test_defining_an_event_twice_raises_and_leaves_the_registry_as_it_was():
    before = dict(EventPayload.registry)

    with pytest.raises(TypeError, match="defined twice"):

        class OrderPlacedAgain(EventPayload):
            type = "order.placed"
            version = 1

            order_id: uuid.UUID

    assert EventPayload.registry == before
    assert EventPayload.registry[("order.placed", 1)] is OrderPlacedV1


@pytest.mark.parametrize("hub", ["kalteng", "kalteng-palangkaraya", "hub-2"])
def test_envelope_takes_a_short_lowercase_hub_code(hub):
    assert Envelope.wrap(SAMPLES[("order.placed", 2)], hub=hub, correlation_id="r").hub == hub


@pytest.mark.parametrize(
    "hub", ["Kalteng", "k", "kalteng palangkaraya", "-kalteng", "kalteng-", "", "x" * 41]
)
def test_envelope_refuses_a_hub_that_is_not_a_short_lowercase_code(hub):
    with pytest.raises(ValidationError):
        Envelope.wrap(SAMPLES[("order.placed", 2)], hub=hub, correlation_id="r")


@pytest.mark.parametrize("correlation_id", ["", "x" * 65])
def test_envelope_refuses_an_empty_or_overlong_correlation_id(correlation_id):
    with pytest.raises(ValidationError):
        Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id=correlation_id)


def test_envelope_refuses_a_naive_occurred_at():
    data = Envelope.wrap(SAMPLES[("order.placed", 2)], hub=HUB, correlation_id="r").model_dump()

    with pytest.raises(ValidationError):
        Envelope.model_validate({**data, "occurred_at": datetime(2020, 4, 6, 8, 30)})
