"""Allocation work partitioned by (hub, product): which partition a product's events travel in,
and which live allocator replica should take each partition (docs/partitioned-allocation.md).

Pure: no I/O. The partition of a product is a stable hash (crc32, the same in every process and
every release; Python's `hash()` of a string changes per process), so a product's events always
meet in one queue, in the order they were published. Changing PARTITIONS moves products between
queues: it is a topology change like any other (shared/topology.py), never a silent one.

Who takes a partition is rendezvous hashing ("highest random weight") over the live members:
each partition goes to the member with the highest hash of (member, partition). Every member
computes the same answer from the same list, and a member joining or leaving moves only the
partitions it gains or held. It only spreads load: order and exactly-once rest on the queues'
single active consumer and on the inbox, never on members agreeing.
"""

import hashlib
import zlib
from collections.abc import Iterable, Mapping

PARTITIONS = 16
# The events that name a product, and so travel in its partition's queue.
PARTITIONED_KEYS = frozenset(
    {"supply.received", "order.placed", "order.cancelled", "order.fulfilled"}
)
# The AMQP header the relay sets and the partition queues are bound on (shared/topology.py).
PARTITION_HEADER = "partition"


def partition_of(hub: str, sku: str) -> int:
    """The partition of a (hub, product): the same everywhere, always."""
    return zlib.crc32(f"{hub}/{sku}".encode()) % PARTITIONS


def event_partition(routing_key: str, hub: str, payload: Mapping) -> int | None:
    """The partition an event travels in; None for an event that names no product."""
    if routing_key not in PARTITIONED_KEYS:
        return None
    return partition_of(hub, payload["sku"])


def partition_queue(service: str, partition: int) -> str:
    return f"{service}.p{partition:02d}"


def _weight(member: str, partition: int) -> int:
    # Not crc32: it is linear, so members' weights for one partition come out correlated.
    digest = hashlib.blake2b(f"{member}#{partition}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owners(members: Iterable[str], partitions: int = PARTITIONS) -> dict[int, str]:
    """Each partition's member by rendezvous hashing; {} when no member is alive."""
    alive = sorted(set(members))
    if not alive:
        return {}
    return {
        partition: max(alive, key=lambda member: (_weight(member, partition), member))
        for partition in range(partitions)
    }


def owned_by(member: str, members: Iterable[str], partitions: int = PARTITIONS) -> frozenset[int]:
    """The partitions `member` should take among `members` (itself counted as alive)."""
    assigned = owners({member, *members}, partitions)
    return frozenset(p for p, owner in assigned.items() if owner == member)
