"""Finding an order by its code (shared/order_codes.py): what a buyer reads over the phone,
types at the counter or opens as a link.

The code is the buyer's key to their order, so a partner asking with codes that open nothing
is slowed down like one guessing credentials (shared/guesses.py), and an unknown code answers
as another partner's order does. Not counted: the operators, who may read every order anyway,
and a key with `orders:track` (the centre's own site, which slows each of its visitors down by
their address): both ask for many people from one address, whom one mistyping or guessing
person would otherwise lock out.
"""

from aiohttp import web

from services.orders import examples
from services.orders.api.orders import with_standing
from services.orders.auth import MISSING_SCOPE, Caller, as_tracker
from services.orders.models import OrderWithStanding
from services.orders.store.orders import order_by_code
from shared.guesses import GUESSES, check_source
from shared.openapi import documented
from shared.order_codes import order_code_from, shown
from shared.problems import Text, not_found
from shared.web import DATABASE, SETTINGS

routes = web.RouteTableDef()

BY_CODE = "/v1/order-codes/{code}"
SECRET_ROUTES = frozenset({BY_CODE})  # logged as the template: a code opens its order

ORDER_CODE = Text("kode pesanan", "order code")


@routes.get(BY_CODE)
@documented(
    operation_id="getOrderByCode",
    summary=Text("Pesanan menurut kodenya", "An order by its code"),
    description=Text(
        "Kode seperti yang diketik orang: huruf kecil, spasi, tanda hubung dan huruf yang mirip"
        " (I, L sebagai 1; O sebagai 0) diterima. Operator dan kunci bercakupan orders:track"
        " membuka pesanan mana pun; kunci lain (orders:read) hanya pesanannya sendiri. Kode yang"
        " tidak dikenal dijawab sama seperti pesanan mitra lain (404), dan terlalu banyak kode"
        " salah dari satu alamat diperlambat (429).",
        "The code as a person types it: lower case, spaces, dashes and the look-alikes (I, L as"
        " 1; O as 0) are taken. Operators and keys with the orders:track scope open any order;"
        " other keys (orders:read) only their own. An unknown code answers as another partner's"
        " order does (404), and too many wrong codes from one address are slowed down (429).",
    ),
    examples={200: examples.ORDER_WITH_STANDING},
    answers={200: OrderWithStanding},
    auth="partner",
    guard=as_tracker,
    path={"code": str},
    problems=(MISSING_SCOPE,),
)
async def get_order_by_code(request: web.Request, caller: Caller) -> web.Response:
    typed = request.match_info["code"]
    source = check_source(request, request.app[SETTINGS].trusted_proxies)
    code = order_code_from(typed)
    order = None
    if code is not None:
        partner_id = None if caller.tracks_any else caller.partner_id
        async with request.app[DATABASE].acquire() as conn:
            order = await order_by_code(conn, code, partner_id)
    if order is None:
        if not caller.tracks_any:
            request.app[GUESSES].failed(source)
        raise not_found(ORDER_CODE, shown(code) if code is not None else typed)
    return await with_standing(request, order)
