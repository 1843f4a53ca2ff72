"""The home page's figures: one read of the hubs and one per hub however many visitors come at
once, kept for a few seconds, and the last good ones shown while a service is away; a hub the
site's key may not order in left out."""

import asyncio
from collections import Counter

import pytest

from services.storefront.backends import BackendError
from services.storefront.figures import Figures

KALTENG = {
    "code": "kalteng",
    "name": "PLUT Kalteng",
    "timezone": "Asia/Jakarta",
    "address": "Jl. Tjilik Riwut Km 5,5",
    "opening_hours": [{"day": "mon", "opens": "08:00", "closes": "15:00"}],
    "takes_site_orders": True,
}
# Another province's hub, taking site orders, that this site's key is not allowed.
KALSEL = {**KALTENG, "code": "kalsel", "name": "PLUT Kalsel"}
ANSWERS = {
    "/v1/hubs": {"total": 2, "hubs": [KALTENG, KALSEL]},
    "/v1/hubs/kalteng": KALTENG,
    "/v1/hubs/kalteng/products": {
        "products": [
            {"sku": "masker-kain", "name": "Masker kain", "unit_price": 5000},
            {"sku": "sabun", "name": "Sabun", "unit_price": 3000},
        ]
    },
}


class FakeBackends:
    """The services' answers, counted; `away` makes every call fail as an unreachable service."""

    def __init__(self) -> None:
        self.calls: Counter = Counter()
        self.away = False

    async def get(self, service: str, path: str, params: dict | None = None) -> dict:
        self.calls[path] += 1
        await asyncio.sleep(0)  # let the other visitors arrive meanwhile
        if self.away:
            raise BackendError(service, 503, {"title": "away"})
        if path.startswith("/v1/hubs/kalsel/"):
            raise BackendError(service, 403, {"type": "/problems/hub-not-allowed"})
        if path in ANSWERS:
            return ANSWERS[path]
        if path.endswith("/stock"):
            return {"available": 40}
        if path.endswith("/policy"):
            return {"per_buyer_daily_cap": 20}
        offset = (params or {}).get("offset", 0)
        return {"waiting": 3, "orders": [{"estimated_date": f"2026-12-0{offset + 1}"}]}


async def test_a_crowd_of_visitors_costs_one_read_per_hub_and_product():
    backends = FakeBackends()
    figures = Figures(backends, keep_seconds=60)

    seen = await asyncio.gather(*(figures.all() for _ in range(200)))

    assert all(hubs == seen[0] for hubs in seen)
    [hub] = seen[0]
    masker = hub.products[0]
    assert (masker.on_hand, masker.orders_waiting, masker.per_buyer_daily_cap) == (40, 3, 20)
    assert str(masker.estimated_date) == "2026-12-03"  # the last waiting order's
    assert hub.address == "Jl. Tjilik Riwut Km 5,5"
    assert [line.indonesian for line in hub.hours] == ["Senin: 08.00–15.00", "Selasa–Minggu: tutup"]
    assert backends.calls["/v1/hubs"] == 1
    assert backends.calls["/v1/hubs/kalsel/products"] == 1  # refused, and left out
    assert backends.calls["/v1/hubs/kalteng/products/masker-kain/stock"] == 1
    assert backends.calls["/v1/hubs/kalteng/products/masker-kain/queue"] == 2  # head and tail


async def test_kept_figures_stand_in_while_a_service_is_away_and_none_are_made_up():
    backends = FakeBackends()
    figures = Figures(backends, keep_seconds=0)
    first = await figures.all()

    backends.away = True
    assert await figures.all() == first

    fresh = Figures(backends, keep_seconds=0)
    with pytest.raises(BackendError):
        await fresh.all()


async def test_only_offered_hubs_have_products_but_any_hub_says_where_it_is():
    figures = Figures(FakeBackends(), keep_seconds=60)

    assert (await figures.product("kalteng", "sabun")).unit_price == 3000
    assert await figures.offered("kalsel") is None
    assert await figures.product("kalsel", "sabun") is None
    assert await figures.offered("papua") is None
    assert (await figures.hub("kalteng")).address == "Jl. Tjilik Riwut Km 5,5"
    assert await figures.first_hub() == "kalteng"


async def test_an_orders_page_goes_on_without_its_hub_while_intake_is_away():
    backends = FakeBackends()
    backends.away = True
    assert await Figures(backends, keep_seconds=60).hub("kalteng") is None
