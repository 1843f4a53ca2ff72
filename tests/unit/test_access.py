"""Each service's RabbitMQ permissions (shared/access.py) against the topology they are read
from: its own queues, and nobody else's."""

import re

import pytest

from shared.access import BROKER_SERVICES, broker_permissions, login_name, own_queues
from shared.topology import DEAD_LETTER_EXCHANGE, EXCHANGE, PARTITION_EXCHANGE, QUEUES
from tools.access import Refused, passwords


def names() -> set[str]:
    everything = {EXCHANGE, DEAD_LETTER_EXCHANGE, PARTITION_EXCHANGE, "", "amq.default"}
    for service in QUEUES:
        everything |= set(own_queues(service))
    return everything


@pytest.mark.parametrize("service", BROKER_SERVICES)
def test_a_service_may_configure_read_and_write_its_own_queues_only(service):
    allowed = broker_permissions(service)
    own = set(own_queues(service))
    for pattern in (allowed.configure, allowed.write, allowed.read):
        matched = {name for name in names() if re.search(pattern, name)}
        assert own <= matched
        assert not (matched - own) & {q for s in QUEUES for q in own_queues(s)}
        assert "" not in matched and "amq.default" not in matched
    configured = {name for name in names() if re.search(allowed.configure, name)}
    assert EXCHANGE not in configured and DEAD_LETTER_EXCHANGE not in configured
    assert {name for name in names() if re.search(allowed.write, name)} >= {EXCHANGE}


def test_only_the_allocator_configures_the_partition_exchange_and_has_partitions():
    for service in BROKER_SERVICES:
        allowed = broker_permissions(service)
        assert bool(re.search(allowed.configure, PARTITION_EXCHANGE)) == (service == "allocator")
    assert {f"allocator.p{p:02d}" for p in range(16)} <= set(own_queues("allocator"))


def test_patterns_match_whole_names():
    allowed = broker_permissions("orders")
    assert not re.search(allowed.read, "orders.events.stolen")
    assert not re.search(allowed.read, "x.orders.events")
    assert login_name("orders") == "plut_orders"


def test_the_admin_step_names_every_password_it_lacks():
    with pytest.raises(Refused, match="ORDERS_AMQP_PASSWORD") as refused:
        passwords("amqp", BROKER_SERVICES, {"INTAKE_AMQP_PASSWORD": "x"})
    assert "INTAKE_AMQP_PASSWORD" not in str(refused.value)
    assert passwords("amqp", ("intake",), {"INTAKE_AMQP_PASSWORD": "x"}) == {"intake": "x"}
