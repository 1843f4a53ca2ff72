"""Who each service is in Postgres and RabbitMQ, and what it may do there: each holds only the
rights it needs (tools/access.py grants them; docs/least-privilege.md says why each).

Pure: names and RabbitMQ's permission patterns, read off the topology (shared/topology.py).

Postgres: a login role per service, the owner of its own schema and of nothing else; no
superuser, no CREATEDB, CREATEROLE or REPLICATION; CONNECT on the database. No service reads
another's schema: what crosses a boundary is an event or an HTTP call (DESIGN.md).

RabbitMQ: a user per service on the bus (the console and the storefront have none), with
- configure: its own queues (its shared queue, its dead-letter queue, the allocator's
  partition queues) and the exchanges only it declares (the allocator's two partition exchanges);
- write: those, plus the events exchange (its relay publishes there) and the dead-letter
  exchange (its consumer dead-letters there, and its queues name it as their DLX);
- read: its own queues (to consume them) and the exchanges its queues are bound to.
The shared exchanges and every other service's queues it may only declare passively, which
needs no permission: the administrators' step declares the whole topology first.
"""

import re
from dataclasses import dataclass

from shared.topology import (
    DEAD_LETTER_EXCHANGE,
    EXCHANGE,
    PARTITION_EXCHANGE,
    QUEUES,
    UNPARTITIONED_EXCHANGE,
)

# Every service with a schema of its own, in the order they are granted.
DATABASE_SERVICES = ("intake", "orders", "allocator", "notifier", "console", "storefront")
# The services on the bus (the console and the storefront act through the others' HTTP APIs).
BROKER_SERVICES = tuple(QUEUES)
DEFAULT_PREFIX = "plut"


def login_name(service: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The service's Postgres role and RabbitMQ user: `plut_orders`."""
    if service not in DATABASE_SERVICES:
        raise ValueError(f"no service {service!r}")
    return f"{prefix}_{service}"


def password_variable(service: str, store: str) -> str:
    """Where the administrators' step and the deployment read a service's password:
    `ORDERS_DB_PASSWORD`, `ORDERS_AMQP_PASSWORD`."""
    return f"{service.upper()}_{store.upper()}_PASSWORD"


@dataclass(frozen=True)
class BrokerPermissions:
    configure: str
    write: str
    read: str


def own_queues(service: str) -> tuple[str, ...]:
    queue = QUEUES[service]
    return (*queue.queue_names, queue.dead_letter_name)


def own_exchanges(service: str) -> tuple[str, ...]:
    """The exchanges only this service declares (and binds): the allocator's partition ones."""
    return (PARTITION_EXCHANGE, UNPARTITIONED_EXCHANGE) if QUEUES[service].partitioned else ()


def _exactly(names: tuple[str, ...]) -> str:
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


def broker_permissions(service: str) -> BrokerPermissions:
    """RabbitMQ's three patterns for the service's user, each matching whole names only."""
    own = (*own_queues(service), *own_exchanges(service))
    shared = (EXCHANGE, DEAD_LETTER_EXCHANGE)
    return BrokerPermissions(
        configure=_exactly(own), write=_exactly((*own, *shared)), read=_exactly((*own, *shared))
    )
