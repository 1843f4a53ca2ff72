"""The shape of partner keys and what a caller may do, without a server."""

import uuid

import pytest

from services.orders.auth import OPERATOR, READ, Caller, key_hash, key_prefix
from shared.problems import Problem


@pytest.mark.parametrize(
    "key, prefix",
    [
        ("plut_0a1b2c3d4e5f_s3cr-et_with_underscores", "0a1b2c3d4e5f"),
        ("plut_0a1b2c3d4e5f_", None),  # no secret
        ("plut__secret", None),  # no prefix
        ("plut_0a1b2c3d4e5f", None),  # no separator
        ("plut_", None),
    ],
)
def test_a_key_is_found_by_its_prefix(key: str, prefix: str | None):
    assert key_prefix(key) == prefix


def test_the_hash_is_of_the_whole_key():
    assert key_hash("plut_a_b") != key_hash("plut_a_c")
    assert len(key_hash("plut_a_b")) == 32


def test_a_partner_is_held_to_its_hubs_and_the_operator_to_none():
    partner = Caller(uuid.uuid4(), frozenset({READ}), frozenset({"kalteng"}))
    partner.require_hub("kalteng")
    with pytest.raises(Problem) as refused:
        partner.require_hub("kalsel")
    assert refused.value.status == 403 and refused.value.kind == "hub-not-allowed"
    OPERATOR.require_hub("kalsel")


def test_only_the_operator_passes_as_operator():
    OPERATOR.require_operator()
    partner = Caller(uuid.uuid4(), frozenset({READ}), frozenset({"kalteng"}))
    with pytest.raises(Problem) as refused:
        partner.require_operator()
    assert refused.value.status == 403
    assert partner.owner == str(partner.partner_id) and OPERATOR.owner == "operator"
