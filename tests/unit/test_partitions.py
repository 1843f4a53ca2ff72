"""Partitions of the allocator's work (shared/partitions.py): a product's partition never moves,
and rendezvous hashing gives every partition to exactly one live member, moving few."""

import random
import zlib

import pytest

from shared.events import Envelope, OrderPlaced
from shared.outbox import columns
from shared.partitions import (
    PARTITIONED_KEYS,
    PARTITIONS,
    event_partition,
    owned_by,
    owners,
    partition_of,
)
from shared.topology import QUEUES
from tests.support.events import placed


def test_a_products_partition_is_the_crc32_of_its_hub_and_sku():
    # Fixed figures: a change here moves every product to another queue (a topology change).
    assert [partition_of("kalteng", sku) for sku in ("masker", "sabun", "hand-sanitizer")] == [
        zlib.crc32(f"kalteng/{sku}".encode()) % PARTITIONS
        for sku in ("masker", "sabun", "hand-sanitizer")
    ]
    assert partition_of("kalteng", "masker") == 13
    assert partition_of("kalsel", "masker") == 14


def test_products_spread_over_every_partition():
    hits = {partition_of(f"hub{h}", f"sku{s}") for h in range(20) for s in range(20)}

    assert hits == set(range(PARTITIONS))


def test_only_events_that_name_a_product_have_a_partition():
    assert event_partition("order.placed", "kalteng", {"sku": "masker"}) == 13
    assert event_partition("hub.registered", "kalteng", {"timezone": "Asia/Jakarta"}) is None
    assert PARTITIONED_KEYS <= set(QUEUES["allocator"].routing_keys)


def test_the_outbox_stores_each_events_partition_beside_it():
    order = placed("outbox", 1)
    assert isinstance(order, Envelope) and order.type == OrderPlaced.type

    stored = columns([order])

    assert stored[4] == [partition_of(order.hub, order.payload["sku"])]


def members(count: int) -> list[str]:
    return [f"allocator-{n}" for n in range(count)]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 16, 40])
def test_every_partition_has_exactly_one_live_owner(count):
    assigned = owners(members(count))

    assert sorted(assigned) == list(range(PARTITIONS))
    assert set(assigned.values()) <= set(members(count))
    owned = [owned_by(member, members(count)) for member in members(count)]
    assert sum(len(o) for o in owned) == PARTITIONS
    assert frozenset().union(*owned) == frozenset(range(PARTITIONS))


def test_every_member_computes_the_same_answer_whatever_order_it_reads_them_in():
    names = members(7)
    shuffled = random.Random(1).sample(names, len(names))

    assert owners(names) == owners(shuffled)


def test_no_member_no_owner():
    assert owners([]) == {}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 8])
def test_a_member_joining_takes_partitions_only_from_others_and_moves_nothing_else(count):
    before, after = owners(members(count)), owners(members(count + 1))
    joined = members(count + 1)[-1]

    moved = {p for p in before if before[p] != after[p]}
    assert all(after[p] == joined for p in moved)


@pytest.mark.parametrize("count", [2, 3, 4, 8])
def test_a_member_leaving_gives_away_only_its_own_partitions(count):
    names = members(count)
    before = owners(names)
    gone = names[1]

    after = owners([name for name in names if name != gone])

    moved = {p for p in before if before[p] != after[p]}
    assert moved == {p for p, owner in before.items() if owner == gone}


def test_three_members_share_the_partitions_roughly_evenly():
    counts = [len(owned_by(member, members(3))) for member in members(3)]

    assert min(counts) >= 2, counts
