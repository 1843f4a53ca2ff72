"""The orders service as a conversation calls it (`handling.OrdersApi`): with the notifier's own
partner key (scopes orders:write, orders:read, orders:track, orders:cancel-verified and
programmes:apply, as the buyers' site holds: any order is read by its code; one is cancelled
if the key placed it or its buyer's verified phone is the number that wrote, which each cancel
asserts; an application is made for the number that wrote), the correlation id along, and each
write with its Idempotency-Key; and the allocator's public read of a product's policy, for the
per-buyer daily cap. Any answer of 400 or more, or none, is an
`OrdersError` (503 for none)."""

import json
import uuid
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from services.notifier.conversations.handling import OrdersError
from shared.web import CORRELATION_HEADER, current_correlation_id

VERIFIED_PHONE = "Verified-Phone"  # services/orders/api/orders.py
log = structlog.get_logger(__name__)

NOT_SET_UP = {
    "title": "Ordering by chat is not set up",
    "detail": "pemesanan lewat chat belum dibuka / ordering by chat is not open",
}


class OrdersHttp:
    open = True

    def __init__(
        self, session: aiohttp.ClientSession, orders_url: str, key: str, allocator_url: str
    ) -> None:
        self._session = session
        self._orders = orders_url.rstrip("/")
        self._allocator = allocator_url.rstrip("/")
        self._key = key

    async def order(self, code: str) -> dict[str, Any]:
        """Any order, by its code (the key's `orders:track`), with its standing."""
        return await self._call("GET", f"{self._orders}/v1/order-codes/{quote(code, safe='')}")

    async def cancel(
        self, order_id: uuid.UUID, key: str, language: str, phone: str
    ) -> dict[str, Any]:
        """The key's own order, or one whose buyer's verified phone is `phone` (the number that
        wrote: `orders:cancel-verified`); any other is not found (404)."""
        url = f"{self._orders}/v1/orders/{order_id}/cancel"
        try:
            return await self._call(
                "POST", url, key=key, language=language, headers={VERIFIED_PHONE: phone}
            )
        except OrdersError as error:
            if not (error.status == 403 and _missing_scope(error.problem)):
                raise
        # A key made before the scope: its own orders still (refused before the key was kept).
        log.warning("chat orders key lacks orders:cancel-verified: cancels its own orders only")
        return await self._call("POST", url, key=key, language=language)

    async def place(self, order: dict[str, Any], key: str, language: str) -> dict[str, Any]:
        url = f"{self._orders}/v1/orders"
        return await self._call("POST", url, body=order, key=key, language=language)

    async def daily_cap(self, hub: str, sku: str) -> int | None:
        url = f"{self._allocator}/v1/hubs/{hub}/products/{sku}/policy"
        policy = await self._call("GET", url, authorised=False)
        cap = policy.get("per_buyer_daily_cap") if isinstance(policy, dict) else None
        return cap if isinstance(cap, int) else None

    async def programmes(self, hub: str) -> list[dict[str, Any]]:
        url = f"{self._orders}/v1/programmes?hub={quote(hub, safe='')}"
        return (await self._call("GET", url))["programmes"]

    async def programme(self, programme_id: uuid.UUID) -> dict[str, Any]:
        return await self._call("GET", f"{self._orders}/v1/programmes/{programme_id}")

    async def apply(
        self, programme_id: str, application: dict[str, Any], key: str, language: str
    ) -> dict[str, Any]:
        """An application for the number that wrote (the key's `programmes:apply`); its body
        holds a NIK: nothing here logs it."""
        url = f"{self._orders}/v1/programmes/{uuid.UUID(str(programme_id))}/applications"
        return await self._call("POST", url, body=application, key=key, language=language)

    async def _call(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        key: str | None = None,
        language: str | None = None,
        authorised: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        headers = {**(headers or {}), CORRELATION_HEADER: current_correlation_id()}
        if authorised:
            headers["Authorization"] = f"Bearer {self._key}"
        if key is not None:
            headers["Idempotency-Key"] = key
        if language is not None:
            headers["Accept-Language"] = language
        try:
            async with self._session.request(method, url, json=body, headers=headers) as answer:
                raw = await answer.read()
                decoded = json.loads(raw) if raw else None
                if answer.status >= 400:
                    problem = decoded if isinstance(decoded, dict) else {}
                    raise OrdersError(answer.status, problem)
                return decoded
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise OrdersError(503, {"title": repr(error)}) from None


def _missing_scope(problem: dict[str, Any]) -> bool:
    return str(problem.get("type", "")).endswith("/missing-scope")


class NoOrders:
    """The notifier without an orders key: STOP, MULAI and help work; orders cannot be read
    or placed, and the chat says so (a 403, not retried)."""

    open = False

    async def order(self, code: str) -> dict[str, Any]:
        raise OrdersError(403, NOT_SET_UP)

    async def cancel(
        self, order_id: uuid.UUID, key: str, language: str, phone: str
    ) -> dict[str, Any]:
        raise OrdersError(403, NOT_SET_UP)

    async def place(self, order: dict[str, Any], key: str, language: str) -> dict[str, Any]:
        raise OrdersError(403, NOT_SET_UP)

    async def daily_cap(self, hub: str, sku: str) -> int | None:
        return None

    async def programmes(self, hub: str) -> list[dict[str, Any]]:
        raise OrdersError(403, NOT_SET_UP)

    async def programme(self, programme_id: uuid.UUID) -> dict[str, Any]:
        raise OrdersError(403, NOT_SET_UP)

    async def apply(
        self, programme_id: str, application: dict[str, Any], key: str, language: str
    ) -> dict[str, Any]:
        raise OrdersError(403, NOT_SET_UP)
