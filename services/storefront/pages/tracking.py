"""Following orders: `/lacak/<code>` for one order, and "my orders" for every order placed here
with a phone, once a code sent to that phone is typed back.

An unknown code, a malformed one and one that is not the site's all get the very same page, so
the page tells nobody which codes exist. The order's page names nobody: the code is enough to
see the order, not who placed it.
"""

import asyncio
import functools
import uuid
from datetime import timedelta

import segno
from aiohttp import web
from markupsafe import Markup

from services.storefront.guards import BAD_FORM, NO_PAGE, form_of
from services.storefront.pages.common import (
    CODE_GUESSES,
    FIGURES,
    ORDER_READS,
    PROGRAMME_READS,
    PUBLIC_URL,
    address_of,
    asker,
    check_id_in,
    code_sent,
    honeypot_filled,
    phone_typed,
    proved,
)
from services.storefront.store import phone_checks, tracking
from services.storefront.views import PageError, render, render_shared
from shared import order_codes
from shared.problems import Text
from shared.web import DATABASE

routes = web.RouteTableDef()
# How long a typed code keeps "my orders" open in the browser that typed it.
MY_ORDERS_OPEN = timedelta(minutes=30)
MY_ORDERS_SHOWN = 50

UNKNOWN_CODE = PageError(
    404,
    Text("Kode pesanan tidak ditemukan", "Order code not found"),
    Text(
        "Periksa lagi kode pesanan Anda: 10 huruf dan angka, misalnya 7K3QD-M9X2A.",
        "Check your order code again: 10 letters and digits, like 7K3QD-M9X2A.",
    ),
)
STATUS = {
    "queued": Text("Menunggu dalam antrean", "Waiting in the queue"),
    "partially_allocated": Text("Sebagian siap diambil", "Partly ready to collect"),
    "allocated": Text("Siap diambil", "Ready to collect"),
    "fulfilled": Text("Sudah diserahkan", "Handed over"),
    "expired": Text("Kedaluwarsa (tidak diambil)", "Expired (not collected)"),
    "cancelled": Text("Dibatalkan", "Cancelled"),
}
# An application to a free-mask programme not yet admitted: not in the queue, no place in it.
WAITING_FOR_DRAW = Text("Menunggu undian", "Waiting for the draw")
CANCELLABLE = ("queued", "partially_allocated", "allocated")
TOO_MANY_CODES = PageError(
    429,
    Text("Terlalu banyak kode yang salah", "Too many wrong codes"),
    Text(
        "Tunggu sebentar, lalu ketik lagi kode pesanan Anda dengan teliti.",
        "Wait a little, then type your order code again carefully.",
    ),
)
CANCEL_ELSEWHERE = Text(
    "Pesanan ini dibuat di loket atau lewat mitra. Untuk membatalkannya, hubungi loket PLUT"
    " atau mitra tempat Anda memesan.",
    "This order was placed at the counter or through a partner. To cancel it, contact the"
    " PLUT counter or the partner you ordered through.",
)
NO_PHONE = Text(
    "Isi nomor HP yang Anda pakai untuk memesan", "Enter the mobile number you ordered with"
)


@routes.get("/lacak")
async def find_order(request: web.Request) -> web.Response:
    """The box to type a code in; `?kode=` goes to its page."""
    if "kode" in request.query:
        code = order_codes.order_code_from(request.query["kode"])
        raise web.HTTPSeeOther(f"/lacak/{order_codes.shown(code)}" if code else "/lacak/-")
    return render(request, "find_order.html", {})


async def known_order(request: web.Request, *, fresh: bool = False) -> dict:
    """The order of the path's code (read afresh when `fresh`, else perhaps a few seconds old);
    the one same page for any other code. Codes that open nothing slow their sender down as
    wrong credentials do (shared/guesses.py): the orders service leaves that to the site, which
    asks for everyone from one address."""
    address = address_of(request)
    guesses = request.app[CODE_GUESSES]
    wait = guesses.wait_seconds(address)
    if wait > 0:
        raise PageError(429, TOO_MANY_CODES.title, TOO_MANY_CODES.detail, retry_after=wait)
    code = order_codes.order_code_from(request.match_info["code"])
    order = None
    if code is not None:
        order = await request.app[ORDER_READS].of_code(request.app[DATABASE], code, fresh=fresh)
    if order is None:
        guesses.failed(address)
        raise UNKNOWN_CODE
    return order


@routes.get("/lacak/{code}")
async def order_page(request: web.Request) -> web.Response:
    # Right after the buyer placed or cancelled it, the page shows what they just did.
    changed = "baru" in request.query or "batal" in request.query
    order = await known_order(request, fresh=changed)
    # The order's own code, also when a code this site drew before opened it.
    code = order["code"]
    waiting = order.get("programme_status") == "waiting"
    open_ = order["status"] in CANCELLABLE and not waiting
    reads = request.app[ORDER_READS]
    placed_here = open_ and await reads.placed_here(request.app[DATABASE], order)
    context = {
        "code": code,
        "qr": _qr(f"{request.app[PUBLIC_URL]}/lacak/{code}"),
        "order": order,
        "product": await request.app[FIGURES].product(order["hub"], order["sku"]),
        "hub": await request.app[FIGURES].hub(order["hub"]),
        "status": WAITING_FOR_DRAW if waiting else STATUS[order["status"]],
        "waiting": waiting,
        "not_drawn": await _not_drawn(request, order) if waiting else None,
        "new": request.query.get("baru") == "1",
        "cancelled_now": request.query.get("batal") == "1",
        "cancellable": placed_here,
        # Placed at the counter or by a partner: the site does not know whose phone to ask.
        "cancel_elsewhere": CANCEL_ELSEWHERE if open_ and not placed_here else None,
    }
    return render_shared(request, "order.html", context)


async def _not_drawn(request: web.Request, order: dict) -> dict | None:
    """The programme's last draw, when the application entered it and was not drawn: the page
    says so and links to the draw (it stays waiting for the next)."""
    programme_id = uuid.UUID(order["programme_id"])
    draw = await request.app[PROGRAMME_READS].last_draw(programme_id)
    ticket = order.get("programme_ticket")
    if draw is None or ticket not in draw["entrant_tickets"] or ticket in draw["winner_tickets"]:
        return None
    return {"at": draw["at"], "link": f"/program/{programme_id}/undian/{draw['id']}"}


@routes.get("/pesanan-saya")
async def my_orders_form(request: web.Request) -> web.Response:
    return render(request, "my_orders_phone.html", {"typed": "", "error": None, "errors": {}})


@routes.post("/pesanan-saya")
async def my_orders_code(request: web.Request) -> web.Response:
    form = await form_of(request)
    if honeypot_filled(form):
        raise BAD_FORM
    typed, phone, error = phone_typed(form, NO_PHONE)
    if phone is None:
        context = {"typed": typed, "error": error, "errors": {"phone": error}}
        return render(request, "my_orders_phone.html", context, status=400)
    hub = await request.app[FIGURES].first_hub()
    if hub is None:
        raise NO_PAGE  # no hub takes the site's orders: there is nothing to list
    name = Text("Pembeli", "Buyer").in_language(asker(request).language)
    # What a new code for this check needs (it places nothing).
    intent = {"hub": hub, "buyer": {"name": name}}
    return await code_sent(
        request, purpose="my_orders", phone=phone, name=name, hub=hub, intent=intent
    )


@routes.get("/pesanan-saya/{check_id}")
async def my_orders(request: web.Request) -> web.Response:
    check = await phone_checks.one(
        request.app[DATABASE], check_id_in(request), asker(request).browser
    )
    check = proved(check, "my_orders", MY_ORDERS_OPEN)
    order_ids = await tracking.orders_of_phone(
        request.app[DATABASE], check["phone_key"], MY_ORDERS_SHOWN
    )
    reads, figures = request.app[ORDER_READS], request.app[FIGURES]
    orders = await asyncio.gather(*(reads.order(order_id) for order_id in order_ids))
    hubs = {code: await figures.hub(code) for code in {order["hub"] for order in orders}}
    listed = [
        {
            "code": order["code"],
            "order": order,
            "status": (
                WAITING_FOR_DRAW
                if order.get("programme_status") == "waiting"
                else STATUS[order["status"]]
            ),
            "zone": hubs[order["hub"]].timezone if hubs[order["hub"]] else None,
        }
        for order in orders
    ]
    return render(request, "my_orders.html", {"listed": listed})


@functools.lru_cache(maxsize=4096)
def _qr(link: str) -> Markup:
    """The link as an inline SVG QR code, for the counter's scanner to read off the screen.
    Kept: drawing one takes 2-3 ms, most of what an order's page costs."""
    svg = segno.make(link, error="m").svg_inline(scale=4, omitsize=True, title=link)
    return Markup(svg)  # noqa: S704 - made here from our own link, nothing a visitor typed
