"""The buyers' site as the tests drive it: its own process beside the shared stack, for a hub of
its own with a partner key of its own; and a visitor without a browser, who keeps cookies,
sends the form token back like a form would, and reads the code from the WhatsApp stand-in.

Each visitor comes from an address of its own (the site trusts X-Forwarded-For here, as it
would behind the proxy), and each test uses phones of its own, so the hourly limits of one test
never reach another. One site serves the whole run (tests/conftest.py): its hub never keeps
units on hand (deliveries are of exactly what waits), so every new order waits in the queue.
"""

import asyncio
import re
import secrets
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from shared.events import CLASS_OF_BUYER_TYPE
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import Stack, free_port
from tests.support.stack_env import OPERATOR_TOKEN
from tools.client import FOUNDING_HUB_DETAILS, HubClient, new_hub_code, wait_until
from tools.local_services import ServiceProcess

_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
_CODE_PAGE = re.compile(r"^/kode/[0-9a-f-]{36}$")
CODE_TEMPLATE = "plut_phone_code"


@dataclass(frozen=True)
class Site:
    url: str
    hub: str
    sku: str
    process: ServiceProcess


@asynccontextmanager
async def running_site(
    stack: Stack, log_dir: Path, site_env: dict[str, str] | None = None, **partner_fields
):
    """A storefront for a new hub with one product, taking the site's orders with the founding
    hub's address and hours, its partner key made as any partner's (with `partner_fields` given
    to the orders API), and `site_env` over its settings. Other tests' site hubs take site
    orders too: this site's key may not order there, so it leaves them out."""
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        hub = new_hub_code("site")
        await client.open_hub(hub, **FOUNDING_HUB_DETAILS)
        # The centre's own site may declare every buyer type, open any order by its code and
        # cancel for the buyer whose phone it checked, as the README has operators set.
        fields = {
            "buyer_types": list(CLASS_OF_BUYER_TYPE),
            "scopes": [
                "orders:write",
                "orders:read",
                "orders:track",
                "orders:cancel-verified",
                "programmes:apply",
            ],
        } | partner_fields
        partner = await client.create_partner(f"Situs {hub}", [hub], **fields)
    process = ServiceProcess(
        name="storefront",
        port=free_port(),
        env={
            **stack["storefront"].env,
            "STOREFRONT_PARTNER_KEY": partner["api_key"],
            "STOREFRONT_CODE_SECRET": secrets.token_urlsafe(32),
            "TRUSTED_PROXIES": "127.0.0.1",  # the tests stand in for a proxy
            "FIGURES_KEEP_SECONDS": "0.2",
            "SECURE_COOKIES": "false",  # plain HTTP on loopback
            "OPERATOR_TOKEN": "",  # the site acts with the staff's and viewers' tokens only
            **(site_env or {}),
        },
        log_path=log_dir / f"storefront-{hub}.log",
    )
    process.start()
    try:
        await process.wait_ready()
        yield Site(process.url, hub, "masker-kain", process)
    finally:
        await asyncio.to_thread(process.stop)


async def deliver_what_waits(client: HubClient, site: Site) -> int:
    """A delivery of exactly the units the hub's queue waits for: every waiting order is served
    and nothing is left on hand, so the next order placed waits in the queue as a new one would.
    Call it once the order to be served shows in the queue."""
    waiting = (await client.queue(site.hub, site.sku))["orders"]
    units = sum(o["quantity"] - o["allocated"] - o["forfeited"] for o in waiting)
    assert units > 0, "nothing waits in the queue"
    producer = await client.register_producer(
        site.hub, name="Ibu Ratna Produsen", phone=new_phone(), regency="Kapuas"
    )
    await client.record_delivery(site.hub, producer["id"], site.sku, units)
    return units


async def waiting_order(client: HubClient, site: Site, quantity: int) -> dict:
    """An agency's order through the orders API (not the site), once it waits in the queue."""
    buyer = {
        "name": f"Dinas Kesehatan {uuid.uuid4().hex[:6]}",
        "type": "agency",
        "region": "Kapuas",
    }
    placed = await client.place_order(site.hub, site.sku, quantity, buyer)

    async def queued() -> bool:
        waiting = (await client.queue(site.hub, site.sku))["orders"]
        return any(o["order_id"] == placed["id"] for o in waiting)

    await wait_until(queued, what=f"order {placed['id']} in the queue")
    return placed


async def allocated(client: HubClient, order: dict) -> None:
    async def served() -> bool:
        return (await client.order(order["id"]))["status"] == "allocated"

    await wait_until(served, what=f"order {order['id']} allocated")


async def served_once(stack: Stack, site: Site) -> None:
    """One order served by a delivery of its size: the hub has a week's supply to estimate new
    orders' dates by, and holds none."""
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        first = await waiting_order(client, site, 2)
        await deliver_what_waits(client, site)
        await allocated(client, first)


def new_phone() -> str:
    """A mobile number nobody else in the run uses, in E.164."""
    return "+62812" + str(uuid.uuid4().int)[:8]


def new_address() -> str:
    octets = secrets.token_bytes(3)
    return "10." + ".".join(str(b) for b in octets)


class Visitor:
    def __init__(self, site: Site, address: str | None = None):
        self.site = site
        self.address = address or new_address()
        self.http = aiohttp.ClientSession(
            site.url,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={"Accept": "text/html", "X-Forwarded-For": self.address},
        )
        self.token = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(path) as response:
            return response.status, self._keep(await response.text())

    async def post(self, path: str, fields: dict) -> tuple[int, str, str]:
        """(status, page, where it redirects to) for the form posted with the page's token."""
        async with self.http.post(
            path, data={"csrf": self.token, **fields}, allow_redirects=False
        ) as response:
            page = self._keep(await response.text())
            return response.status, page, response.headers.get("Location", "")

    def _keep(self, page: str) -> str:
        if found := _TOKEN.search(page):
            self.token = found.group(1)
        return page

    @property
    def form_path(self) -> str:
        return f"/pesan/{self.site.hub}/{self.site.sku}"

    async def ask_for_code(self, phone: str, **answers: str) -> str:
        """The form filled in and checked, and the code asked for: the code page's path."""
        fields = order_answers(phone, **answers)
        status, page = await self.get(self.form_path)
        assert status == 200, page
        status, page, _ = await self.post(self.form_path, fields)
        assert status == 200 and "Periksa pesanan Anda" in page, page
        status, page, location = await self.post(self.form_path + "/kode", fields)
        assert status == 303 and _CODE_PAGE.match(location), (status, page)
        return location


def order_answers(phone: str, **answers: str) -> dict[str, str]:
    return {
        "quantity": "3",
        "accept_partial": "ya",
        "name": "Ibu Sari Lestari",
        "buyer_type": "individual",
        "region": "Palangka Raya",
        "phone": phone,
        "email": "",
        "language": "id",
        "channel": "",
        **answers,
    }


async def codes_sent(whatsapp: WhatsAppCloudStub, phone: str, count: int = 1) -> list[str]:
    """The codes the phone has received by WhatsApp, oldest first, once there are `count`."""

    async def arrived() -> list[str]:
        found = [d.parameters[-1] for d in whatsapp.to(phone) if d.template == CODE_TEMPLATE]
        return found if len(found) >= count else []

    return await wait_until(arrived, what=f"{count} code(s) to {phone[:6]}…")
