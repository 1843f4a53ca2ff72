"""Free-mask programmes in the tests: open one, apply for citizens, draw."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.client import HubClient

REGENCY = "Kota Palangka Raya"


def nik(n: int) -> str:
    """The n-th citizen's NIK (1..9999), of a NIK's form: Kalimantan Tengah (62), Palangka
    Raya (71), district 01, born 15 August 1990, serial n."""
    return f"627101150890{n:04d}"


def citizen(n: int, region: str = REGENCY) -> dict:
    return {"name": f"Warga {n}", "type": "individual", "region": region, "nik": nik(n)}


async def open_programme(client: HubClient, hub: str, **terms: Any) -> dict:
    today = datetime.now(UTC).date()
    body = {
        "hub": hub,
        "name": "Masker Gratis Kalteng",
        "funder": "Dinas Koperasi dan UKM",
        "budget": 10_000,
        "products": [{"sku": "masker-kain", "unit_price": 5000}],
        "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "units_per_recipient": 2,
        "regencies": [REGENCY],
        "buyer_types": ["individual", "health_facility"],
        "selection": "first_come",
        **terms,
    }
    return await client.call(
        "orders", "POST", "/v1/programmes", json=body, headers=client.as_operator()
    )


async def apply(
    client: HubClient, programme_id: str, recipient: dict, quantity: int = 1
) -> tuple[int, dict]:
    """POST an application with the client's key (or the operator token): status and body."""
    url = f"{client.urls['orders']}/v1/programmes/{programme_id}/applications"
    body = {"sku": "masker-kain", "quantity": quantity, "recipient": recipient}
    headers = client.to_orders(str(uuid.uuid4()))
    async with client.session.post(url, json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def draw(client: HubClient, programme_id: str, seed: int | None = None) -> dict:
    body = {} if seed is None else {"seed": seed}
    path = f"/v1/programmes/{programme_id}/draws"
    return await client.call("orders", "POST", path, json=body, headers=client.as_operator())


async def programme(client: HubClient, programme_id: str) -> dict:
    return await client.call("orders", "GET", f"/v1/programmes/{programme_id}")
