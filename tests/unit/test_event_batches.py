"""Events in AMQP messages (shared/events/batch.py): a batch is a JSON list of envelopes, an
old message one envelope; each event of a message is read, or found unreadable, on its own."""

import json
import uuid
from dataclasses import dataclass

import orjson

from shared.deliveries import deliveries_of
from shared.events import BATCH_CONTENT_TYPE, Envelope, Unreadable, batch_body, events_in
from shared.events.batch import MAX_EVENTS_PER_MESSAGE, chunks
from shared.outbox import by_key_and_partition
from shared.topology import CONSUMED_ROUTING_KEYS, QUEUES
from tests.support.events import placed


def body_of(event: Envelope) -> bytes:
    return event.model_dump_json().encode()


def test_a_batch_reads_back_as_its_events_in_order():
    events = [placed("batch", 1), placed("batch", 2), placed("batch", 3)]

    read = events_in(batch_body([body_of(e) for e in events]), BATCH_CONTENT_TYPE)

    assert read == events


def test_a_batch_body_is_a_json_list_of_envelopes():
    event = placed("batch", 1)

    assert json.loads(batch_body([body_of(event)])) == [json.loads(body_of(event))]


def test_a_message_of_one_envelope_as_before_batches_is_read_as_one_event():
    event = placed("batch", 1)

    assert events_in(body_of(event), "application/json") == [event]
    assert events_in(body_of(event), None) == [event]


def test_an_unreadable_event_in_a_batch_is_set_apart_with_its_own_bytes_and_id():
    good, other = placed("batch", 1), placed("batch", 2)
    bad = json.loads(body_of(placed("batch", 3))) | {"hub": ""}
    body = batch_body([body_of(good), orjson.dumps(bad), body_of(other)])

    first, broken, last = events_in(body, BATCH_CONTENT_TYPE)

    assert (first, last) == (good, other)
    assert isinstance(broken, Unreadable)
    assert broken.event_id == bad["id"] and orjson.loads(broken.body) == bad
    assert broken.reason.startswith("unreadable event") and "hub" in broken.reason


def test_a_batch_element_without_an_id_is_unreadable_and_claims_none():
    [broken] = events_in(b'[{"type": "order.placed"}]', BATCH_CONTENT_TYPE)

    assert isinstance(broken, Unreadable) and broken.event_id is None


def test_bytes_that_are_no_batch_are_one_unreadable_event():
    for body in (b"{not json", b'{"a": 1}'):
        [broken] = events_in(body, BATCH_CONTENT_TYPE)
        assert isinstance(broken, Unreadable) and broken.body == body
        assert broken.reason.startswith("unreadable event batch")


def test_bytes_that_are_no_envelope_are_one_unreadable_event():
    [broken] = events_in(b"{not an event", "application/json")

    assert isinstance(broken, Unreadable) and broken.body == b"{not an event"
    assert broken.reason.startswith("unreadable event")


def test_messages_are_cut_at_the_bound_and_keep_the_order():
    items = list(range(2 * MAX_EVENTS_PER_MESSAGE + 1))

    cut = chunks(items)

    assert [len(chunk) for chunk in cut] == [MAX_EVENTS_PER_MESSAGE, MAX_EVENTS_PER_MESSAGE, 1]
    assert [item for chunk in cut for item in chunk] == items


def test_the_relay_groups_a_claim_by_routing_key_and_partition_in_stored_order():
    rows = [
        {"id": n, "routing_key": key, "partition": partition, "event_id": uuid.uuid4()}
        for n, (key, partition) in enumerate(
            [
                ("order.placed", 3),
                ("hub.registered", None),
                ("order.placed", 3),
                ("order.placed", 7),
            ]
        )
    ]

    grouped = by_key_and_partition(rows)

    assert list(grouped) == [("order.placed", 3), ("hub.registered", None), ("order.placed", 7)]
    assert [row["id"] for row in grouped[("order.placed", 3)]] == [0, 2]


def test_only_routing_keys_some_queue_binds_are_consumed():
    bound = {key for queue in QUEUES.values() for key in queue.routing_keys}

    assert CONSUMED_ROUTING_KEYS == bound
    assert {"order.placed", "supply.received"} <= CONSUMED_ROUTING_KEYS
    assert "notification.sent" not in CONSUMED_ROUTING_KEYS
    assert "notification.failed" not in CONSUMED_ROUTING_KEYS


@dataclass
class Arrived:
    """What shared/deliveries.py reads of an AMQP message."""

    body: bytes
    content_type: str | None
    message_id: str | None = "message-1"


def test_an_event_of_a_batch_is_parked_under_its_own_id_and_an_old_message_as_it_came():
    good = placed("batch", 1)
    future = json.loads(body_of(placed("batch", 2))) | {"version": 99}
    batch = Arrived(
        batch_body([body_of(good), orjson.dumps(future), b'{"type": "x"}']), BATCH_CONTENT_TYPE
    )
    old = Arrived(body_of(good), "application/json")

    read, unknown, nameless = deliveries_of(batch)
    [alone] = deliveries_of(old)

    assert read.event.envelope == good and read.event.payload.quantity == 1
    assert (read.body, read.message_id) == (None, str(good.id))
    assert isinstance(unknown.event, Unreadable) and "version 99" in unknown.event.reason
    assert unknown.message_id == future["id"]
    assert orjson.loads(unknown.body)["version"] == 99
    assert isinstance(nameless.event, Unreadable) and nameless.message_id == "message-1/2"
    assert (alone.body, alone.message_id) == (old.body, "message-1")


def test_a_message_that_cannot_be_read_at_all_is_one_delivery_to_park():
    class Broken:
        body, message_id = b"[]", "message-1"

        @property
        def content_type(self):  # what no message should do: fail as it is read
            raise RuntimeError("unreadable property")

    [parked] = deliveries_of(Broken())

    assert isinstance(parked.event, Unreadable) and "unreadable message" in parked.event.reason
    assert (parked.body, parked.message_id) == (b"[]", "message-1")
