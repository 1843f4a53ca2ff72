"""Ordering: the form, the page to check the answers, and the code sent to the phone.

Nothing is kept until the buyer asks for the code: the answers travel in the pages' own hidden
fields (each post checked afresh), so a page sent back with errors, or to change an answer,
loses nothing typed, with JavaScript on or off.
"""

from aiohttp import web

from services.storefront.figures import ProductFigures
from services.storefront.guards import BAD_FORM, NO_PAGE, form_of
from services.storefront.pages.common import FIGURES, code_sent, honeypot_filled
from services.storefront.views import PageError, language, render
from shared import order_form as forms
from shared.problems import Text

routes = web.RouteTableDef()
FORM = "/pesan/{hub}/{sku}"
# Operators choose the hubs that take the site's orders; any other (or none such) gets this,
# the form or a post alike.
NOT_OFFERED = PageError(
    404,
    Text("Hub ini tidak menerima pesanan lewat situs", "This hub takes no orders on this site"),
    Text(
        "Pilih hub dan barang dari halaman depan, atau hubungi loket hub itu.",
        "Choose a hub and a product on the home page, or call that hub's counter.",
    ),
)


async def _product(request: web.Request) -> ProductFigures:
    hub, sku = request.match_info["hub"], request.match_info["sku"]
    figures = await request.app[FIGURES].offered(hub)
    if figures is None:
        raise NOT_OFFERED
    product = next((p for p in figures.products if p.sku == sku), None)
    if product is None:
        raise NO_PAGE
    return product


def _form_page(
    request: web.Request, product: ProductFigures, checked: forms.Checked, status: int = 200
) -> web.Response:
    context = {
        "hub": request.match_info["hub"],
        "product": product,
        "typed": checked.typed,
        "errors": checked.errors,
        "buyer_types": forms.BUYER_TYPE_NAMES,
    }
    return render(request, "order_form.html", context, status=status)


def _blank(request: web.Request) -> forms.Checked:
    typed = dict.fromkeys(forms.FIELDS, "")
    typed |= {"accept_partial": "ya", "language": language(request)}
    return forms.Checked(typed, {}, None)


@routes.get(FORM)
async def order_form(request: web.Request) -> web.Response:
    return _form_page(request, await _product(request), _blank(request))


@routes.post(FORM)
async def answers_to_check(request: web.Request) -> web.Response:
    """The answers back with their errors, or the page to check them."""
    product = await _product(request)
    checked = forms.check(forms.typed_in(await form_of(request)), product.per_buyer_daily_cap)
    if checked.errors:
        return _form_page(request, product, checked, status=400)
    context = {
        "hub": request.match_info["hub"],
        "product": product,
        "typed": checked.typed,
        "order": checked.order,
        "buyer_types": forms.BUYER_TYPE_NAMES,
    }
    return render(request, "check_answers.html", context)


@routes.post(FORM + "/ubah")
async def change_answers(request: web.Request) -> web.Response:
    product = await _product(request)
    return _form_page(
        request, product, forms.Checked(forms.typed_in(await form_of(request)), {}, None)
    )


@routes.post(FORM + "/kode")
async def send_code(request: web.Request) -> web.Response:
    """The checked answers kept with a new phone check, and its code sent."""
    product = await _product(request)
    form = await form_of(request)
    if honeypot_filled(form):
        raise BAD_FORM
    checked = forms.check(forms.typed_in(form), product.per_buyer_daily_cap)
    if checked.errors:
        return _form_page(request, product, checked, status=400)
    hub = request.match_info["hub"]
    new_order = {"hub": hub, "sku": product.sku, **checked.order}
    buyer = checked.order["buyer"]
    return await code_sent(
        request,
        purpose="order",
        phone=buyer["phone"],
        name=buyer["name"],
        hub=hub,
        intent=new_order,
    )
