"""Which placements of one batch act: a key the batch already holds is in flight."""

import uuid

from services.orders.group_commit import Placement, first_of_each_key
from services.orders.models import NewOrder

NEW = NewOrder.model_validate(
    {
        "hub": "kapuas",
        "sku": "masker-kain",
        "quantity": 1,
        "buyer": {"name": "A", "type": "agency", "region": "R"},
    }
)


def placement(owner: str, key: str | None) -> Placement:
    return Placement(NEW, uuid.uuid4(), "c", owner, key, "hash")


async def test_the_first_of_a_key_acts_and_the_rest_are_in_flight():
    first, again, other_owner, other_key, keyless, keyless_too, third = (
        placement("p1", "k"),
        placement("p1", "k"),
        placement("p2", "k"),
        placement("p1", "k2"),
        placement("operator", None),
        placement("operator", None),
        placement("p1", "k"),
    )
    batch = [first, again, other_owner, other_key, keyless, keyless_too, third]

    acting, repeated = first_of_each_key(batch)

    assert acting == [first, other_owner, other_key, keyless, keyless_too]
    assert repeated == [again, third]


async def test_an_empty_batch_has_nothing_to_do():
    assert first_of_each_key([]) == ([], [])
