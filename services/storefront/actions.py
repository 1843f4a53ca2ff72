"""What a right code does: place the order the buyer checked, open "my orders", cancel an
order, or open a programme's application form. Each runs in the transaction that holds the
check's row, with an Idempotency-Key derived from the check, so a second submit of the right
code waits, then finds it done.
"""

import uuid

import asyncpg

from services.storefront.backends import BackendError, Backends
from services.storefront.figures import Figures
from services.storefront.store import phone_checks, tracking
from services.storefront.views import PageError
from shared import order_codes
from shared.problems import Text

NOT_PLACED = Text("Pesanan tidak dapat dibuat", "The order could not be placed")
NOT_CANCELLED = Text("Pesanan tidak dapat dibatalkan", "The order could not be cancelled")
HUB_CLOSED = Text(
    "Hub ini berhenti menerima pesanan lewat situs sejak kode dikirim. Hubungi loket hub itu.",
    "This hub stopped taking orders on this site after the code was sent. Call its counter.",
)


async def act(
    conn: asyncpg.Connection,
    backends: Backends,
    figures: Figures,
    check: asyncpg.Record,
    language: str,
) -> str:
    """Does what the check was for; answers where the buyer goes next."""
    intent = check["intent"]
    if check["purpose"] == "my_orders":
        await phone_checks.verified(conn, check["id"])
        return f"/pesanan-saya/{check['id']}"
    if check["purpose"] == "programme":  # the phone proved: on to the form (pages/applying.py)
        await phone_checks.verified(conn, check["id"])
        return f"/daftar-program/{check['id']}"
    if check["purpose"] == "cancel":
        path = f"/v1/orders/{intent['order_id']}/cancel"
        await _asked(
            backends, path, None, f"storefront-cancel:{check['id']}", language, NOT_CANCELLED
        )
        await phone_checks.verified(conn, check["id"])
        return f"/lacak/{order_codes.shown(intent['code'])}?batal=1"
    code = await tracking.code_of_check(conn, check["id"])
    if code is None:
        # The hub may have closed to the site while the code was on its way.
        if await figures.offered(intent["hub"]) is None:
            raise PageError(409, NOT_PLACED, HUB_CLOSED)
        order = await _asked(
            backends, "/v1/orders", intent, f"storefront:{check['id']}", language, NOT_PLACED
        )
        # The orders service's code, as kept: what the buyer is shown, sent and asked for.
        code = order_codes.order_code_from(order["code"])
        await tracking.add(conn, code, uuid.UUID(order["id"]), check["id"], check["phone_key"])
        await phone_checks.verified(conn, check["id"])
    return f"/lacak/{order_codes.shown(code)}?baru=1"


async def _asked(
    backends: Backends, path: str, body: dict | None, key: str, language: str, failed: Text
) -> dict:
    """The orders service's answer; a refusal the buyer can understand (a buyer type this site
    may not declare, an order already handed over) is a page saying why, and the check stays
    unanswered. A refusal of the site itself (its key, its rate) is the busy page."""
    try:
        return await backends.post(
            "orders",
            path,
            body=body,
            headers={"Idempotency-Key": key, "Accept-Language": language},
        )
    except BackendError as error:
        if error.status in (401, 429) or error.status >= 500:
            raise
        why = str(error.problem.get("detail") or error.problem.get("title") or "")
        raise PageError(error.status, failed, Text(why, why)) from None
