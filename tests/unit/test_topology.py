"""The bus as declared in shared/topology.py agrees with the consumers and the event contract."""

import importlib

import pytest

from shared.consumer import Consumer, EventHandlers
from shared.events import EventPayload
from shared.topology import QUEUES

SERVICES = ["allocator", "intake", "notifier", "orders"]


def handlers_of(service: str) -> EventHandlers:
    return importlib.import_module(f"services.{service}.consumers").handlers


def handling(event_types) -> EventHandlers:
    async def handle_batch(conn, events):
        raise AssertionError("never called")

    return EventHandlers(frozenset(event_types), handle_batch)


def test_every_service_has_a_queue():
    assert sorted(QUEUES) == SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_consumers_handle_exactly_the_routing_keys_bound_to_their_queue(service):
    assert handlers_of(service).event_types == set(QUEUES[service].routing_keys)


@pytest.mark.parametrize("service", SERVICES)
def test_no_routing_key_is_bound_twice_to_one_queue(service):
    keys = QUEUES[service].routing_keys

    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("service", SERVICES)
def test_every_bound_routing_key_is_a_registered_event_type(service):
    registered_types = {event_type for event_type, _version in EventPayload.registry}

    assert set(QUEUES[service].routing_keys) <= registered_types


@pytest.mark.parametrize("service", SERVICES)
def test_queue_and_dead_letter_queue_are_named_after_the_service(service):
    queue = QUEUES[service]

    assert queue.name == f"{service}.events"
    assert queue.dead_letter_name == f"{service}.dead-letter"


@pytest.mark.parametrize("service", SERVICES)
def test_consumer_accepts_the_services_own_handlers(service):
    consumer = Consumer(
        service=service, pool=None, broker=None, handlers=handlers_of(service), prefetch_count=1
    )

    assert consumer.queue_spec is QUEUES[service]


def test_consumer_refuses_a_handler_for_a_key_its_queue_is_not_bound_to():
    handlers = handling({*handlers_of("allocator").event_types, "order.allocated"})

    with pytest.raises(ValueError, match="do not match"):
        Consumer(service="allocator", pool=None, broker=None, handlers=handlers, prefetch_count=1)


def test_consumer_refuses_handlers_that_miss_a_bound_key():
    handlers = handling(handlers_of("allocator").event_types - {"order.cancelled"})

    with pytest.raises(ValueError, match="order.cancelled"):
        Consumer(service="allocator", pool=None, broker=None, handlers=handlers, prefetch_count=1)


def test_consumer_refuses_another_services_handlers():
    with pytest.raises(ValueError):
        Consumer(
            service="intake",
            pool=None,
            broker=None,
            handlers=handlers_of("orders"),
            prefetch_count=1,
        )
