"""A hub's days start and end in its time zone: `localtime`, `posixrules` and `Factory` were taken
as zones (files of the tz database that are the machine's own setting or no zone at all). Only
canonical IANA names are: Area/Location, or UTC."""

import pytest

from tests.support.attacks import fields_of, refusal
from tools.client import HubClient, new_hub_code

NOT_ZONES = [
    "localtime",
    "posixrules",
    "Factory",
    "posix/Asia/Jakarta",
    "right/Asia/Jakarta",
    "right/UTC",
    "US/Eastern",  # an alias kept for old systems
    "Etc/GMT-7",
    "GMT",
    "asia/jakarta",
    "Asia/Jakarta/../../localtime",
    "Asia/Nowhere",
    "",
]


@pytest.mark.parametrize("timezone", NOT_ZONES)
async def test_a_name_that_is_no_canonical_zone_is_refused_and_no_hub_made(
    client: HubClient, timezone: str
):
    code = new_hub_code("zona")

    error = await refusal(client.create_hub(code, "PLUT Zona", timezone))
    missing = await refusal(client.call("intake", "GET", f"/v1/hubs/{code}"))

    assert error.status == 422 and fields_of(error) == {"timezone": "timezone_unknown"}, error.body
    assert missing.status == 404


@pytest.mark.parametrize("timezone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "UTC"])
async def test_canonical_zones_are_taken(client: HubClient, timezone: str):
    hub = await client.create_hub(new_hub_code("zona"), "PLUT Zona", timezone)
    assert hub["timezone"] == timezone
