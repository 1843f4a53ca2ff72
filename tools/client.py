"""A small client for the four services' HTTP APIs, for the demo, the tests and the benchmarks."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp

T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {url} -> {status}: {body}")
        self.status = status
        self.body = body


@dataclass
class HubClient:
    session: aiohttp.ClientSession
    urls: dict[str, str]  # service name -> base URL
    operator_token: str | None = None  # sent by the calls only operators may make
    api_key: str | None = None  # a partner's: the orders API is called with it when set

    def as_operator(self) -> dict[str, str]:
        if self.operator_token is None:
            raise ValueError("this client has no operator token")
        return {"Authorization": f"Bearer {self.operator_token}"}

    def as_partner(self, api_key: str) -> "HubClient":
        """The same client, calling the orders API with a partner's key."""
        return replace(self, api_key=api_key)

    def to_orders(self, idempotency_key: str | None = None) -> dict[str, str]:
        """Headers for the orders API: the partner's key, else the operator token."""
        headers = (
            {"Authorization": f"Bearer {self.api_key}"} if self.api_key else self.as_operator()
        )
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        url = f"{self.urls[service]}{path}"
        async with self.session.request(method, url, json=json, headers=headers) as response:
            body = await response.json(content_type=None)
            if response.status >= 400:
                raise ApiError(method, url, response.status, body)
            return body

    # intake (its writes are for operators: they send the token)

    async def create_hub(
        self, code: str, name: str, timezone: str | None = None, **details: Any
    ) -> dict:
        """A hub whose days run in `timezone` (an IANA name; intake's default when None);
        `details`: any of address, opening_hours and takes_site_orders."""
        body = {"code": code, "name": name, **details}
        if timezone is not None:
            body["timezone"] = timezone
        return await self.call("intake", "POST", "/v1/hubs", json=body, headers=self.as_operator())

    async def update_hub(self, code: str, **changes: Any) -> dict:
        """Any of a hub's address, opening_hours and takes_site_orders (the admin's call)."""
        return await self.call(
            "intake", "PATCH", f"/v1/hubs/{code}", json=changes, headers=self.as_operator()
        )

    async def list_product(self, hub: str, sku: str, name: str, unit_price: int) -> dict:
        body = {"hub": hub, "sku": sku, "name": name, "unit_price": unit_price}
        return await self.call(
            "intake", "POST", "/v1/products", json=body, headers=self.as_operator()
        )

    async def register_producer(self, hub: str, **fields: Any) -> dict:
        """`fields`: name, phone, regency, and any of email, language and channel (left out, the
        service's defaults)."""
        body = {"hub": hub, **fields}
        return await self.call(
            "intake", "POST", "/v1/producers", json=body, headers=self.as_operator()
        )

    async def record_delivery(
        self, hub: str, producer_id: str, sku: str, quantity: int, rejected: int = 0
    ) -> dict:
        body = {
            "hub": hub,
            "producer_id": producer_id,
            "sku": sku,
            "quantity": quantity,
            "rejected": rejected,
        }
        return await self.call(
            "intake", "POST", "/v1/deliveries", json=body, headers=self.as_operator()
        )

    async def delivery(self, delivery_id: str) -> dict:
        path = f"/v1/deliveries/{delivery_id}"
        return await self.call("intake", "GET", path, headers=self.as_operator())

    # orders

    async def catalog(self, hub: str) -> list[dict]:
        path = f"/v1/hubs/{hub}/products"
        return (await self.call("orders", "GET", path, headers=self.to_orders()))["products"]

    async def place_order(
        self,
        hub: str,
        sku: str,
        quantity: int,
        buyer: dict,
        idempotency_key: str | None = None,
        *,
        accept_partial: bool | None = None,
        priority_class: str | None = None,
    ) -> dict:
        """Place an order, under a new Idempotency-Key unless one is given; None leaves a field
        to the service's default (naming a `priority_class` is for operators). `buyer` is sent as
        given: name, type, region, and any of phone, email, reference, language and channel."""
        headers = self.to_orders(idempotency_key or str(uuid.uuid4()))
        body = {"hub": hub, "sku": sku, "quantity": quantity, "buyer": buyer}
        if accept_partial is not None:
            body["accept_partial"] = accept_partial
        if priority_class is not None:
            body["priority_class"] = priority_class
        return await self.call("orders", "POST", "/v1/orders", json=body, headers=headers)

    async def order(self, order_id: str) -> dict:
        return await self.call("orders", "GET", f"/v1/orders/{order_id}", headers=self.to_orders())

    async def order_by_code(self, code: str) -> dict:
        """The order of a code as a person typed it (see shared/order_codes.py)."""
        path = f"/v1/order-codes/{quote(code, safe='')}"
        return await self.call("orders", "GET", path, headers=self.to_orders())

    async def cancel(self, order_id: str) -> dict:
        path = f"/v1/orders/{order_id}/cancel"
        return await self.call("orders", "POST", path, headers=self.to_orders(str(uuid.uuid4())))

    async def fulfil(self, order_id: str) -> dict:
        """Hand the order's held units over (an operator's call)."""
        path = f"/v1/orders/{order_id}/fulfil"
        return await self.call("orders", "POST", path, headers=self.as_operator())

    async def create_partner(self, name: str, hubs: list[str], **fields: Any) -> dict:
        """A partner (an operator's call); the answer holds its `api_key`, shown only here."""
        body = {"name": name, "hubs": hubs, "scopes": ["orders:write", "orders:read"], **fields}
        headers = self.as_operator()
        return await self.call("orders", "POST", "/v1/partners", json=body, headers=headers)

    async def rotate_key(self, partner_id: str, previous_key_valid_seconds: int) -> dict:
        body = {"previous_key_valid_seconds": previous_key_valid_seconds}
        path = f"/v1/partners/{partner_id}/keys"
        return await self.call("orders", "POST", path, json=body, headers=self.as_operator())

    async def revoke_key(self, partner_id: str, prefix: str) -> dict:
        path = f"/v1/partners/{partner_id}/keys/{prefix}"
        return await self.call("orders", "DELETE", path, headers=self.as_operator())

    async def callbacks(self, state: str | None = None, **query: Any) -> dict:
        """The partner's status callbacks, newest first (a page; `next` is the following one)."""
        params = {"state": state, **query} if state else query
        url = f"/v1/callbacks?{urlencode(params)}" if params else "/v1/callbacks"
        return await self.call("orders", "GET", url, headers=self.to_orders())

    async def replay_callback(self, callback_id: str) -> dict:
        path = f"/v1/callbacks/{callback_id}/replay"
        return await self.call("orders", "POST", path, headers=self.to_orders(str(uuid.uuid4())))

    # allocator

    async def stock(self, hub: str, sku: str) -> dict:
        return await self.call("allocator", "GET", f"/v1/hubs/{hub}/products/{sku}/stock")

    async def queue(self, hub: str, sku: str, limit: int = 1000) -> dict:
        path = f"/v1/hubs/{hub}/products/{sku}/queue?limit={limit}"
        return await self.call("allocator", "GET", path, headers=self.as_operator())

    # notifier

    async def policy(self, hub: str, sku: str) -> dict:
        return await self.call("allocator", "GET", f"/v1/hubs/{hub}/products/{sku}/policy")

    async def set_policy(self, hub: str, sku: str, **rules: Any) -> dict:
        return await self.call(
            "allocator",
            "PUT",
            f"/v1/hubs/{hub}/products/{sku}/policy",
            json=rules,
            headers=self.as_operator(),
        )

    async def draws(self, hub: str, sku: str) -> dict:
        path = f"/v1/hubs/{hub}/products/{sku}/draws"
        return await self.call("allocator", "GET", path, headers=self.as_operator())

    async def standing(self, order_id: str) -> dict:
        path = f"/v1/orders/{order_id}/standing"
        return await self.call("allocator", "GET", path, headers=self.as_operator())

    async def messages(self, *, order_id: str | None = None, producer_id: str | None = None):
        query = f"order_id={order_id}" if order_id else f"producer_id={producer_id}"
        path = f"/v1/messages?{query}"
        return (await self.call("notifier", "GET", path, headers=self.as_operator()))["messages"]

    async def opt_out(self, channel: str, **address: str) -> dict:
        """A person's "not by this channel"; `address` is `phone=...` or `email=...`."""
        body = {"channel": channel, **address}
        return await self.call(
            "notifier", "POST", "/v1/opt-outs", json=body, headers=self.as_operator()
        )

    async def opt_back_in(self, opt_out_id: str) -> dict:
        return await self.call(
            "notifier", "DELETE", f"/v1/opt-outs/{opt_out_id}", headers=self.as_operator()
        )

    # set-up helpers

    async def open_hub(self, code: str, sku: str = "masker-kain", **details: Any) -> None:
        """A hub with one product, once the orders service has heard of it; `details` as
        create_hub's."""
        await self.create_hub(code, f"PLUT {code}", **details)
        await self.list_product(code, sku, "Masker kain 3 lapis", 5000)
        await wait_until(lambda: self.catalog(code), what=f"catalog of {code} at orders")


# Where and when the founding hub's buyers collect (a demo's, the quick start's and the tests'
# site hubs): the public site offers a hub only with these set.
FOUNDING_HUB_DETAILS: dict[str, Any] = {
    "address": "Jl. Tjilik Riwut Km 5,5, Palangka Raya, Kalimantan Tengah",
    "opening_hours": [
        *(
            {"day": day, "opens": "08:00", "closes": "15:00"}
            for day in ("mon", "tue", "wed", "thu")
        ),
        {"day": "fri", "opens": "08:00", "closes": "11:30"},
        {"day": "sat", "opens": "08:00", "closes": "12:00"},
    ],
    "takes_site_orders": True,
}


async def wait_until(
    probe: Callable[[], Awaitable[T]], *, what: str, timeout: float = 120.0, interval: float = 0.1
) -> T:
    """Poll `probe` until it answers something truthy; raise after `timeout` seconds: only a
    guard against a sign that will never come, far above any wait on a loaded machine."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise TimeoutError(f"gave up waiting for {what}; last answer: {last!r}")


def new_hub_code(prefix: str = "hub") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
