"""What the pages share: the app's keys, who is asking, and the pages every flow may end on."""

import uuid
from datetime import datetime, timedelta

import asyncpg
from aiohttp import web

from services.storefront import checks, codes
from services.storefront.backends import BACKENDS
from services.storefront.checks import Asker, CheckRules
from services.storefront.figures import Figures
from services.storefront.guards import NO_PAGE
from services.storefront.order_reads import OrderReads
from services.storefront.programme_reads import ProgrammeReads
from services.storefront.views import FORM_TOKEN, language, render
from shared import order_form as forms
from shared.guesses import Guesses, source_of, trusted_networks
from shared.problems import Text
from shared.web import DATABASE, SETTINGS

CHECK_RULES = web.AppKey("check_rules", CheckRules)
FIGURES = web.AppKey("figures", Figures)
ORDER_READS = web.AppKey("order_reads", OrderReads)
PROGRAMME_READS = web.AppKey("programme_reads", ProgrammeReads)
PUBLIC_URL = web.AppKey("public_url", str)
# Order codes that opened nothing, per address (pages/tracking.py).
CODE_GUESSES = web.AppKey("code_guesses", Guesses)
HONEYPOT = "situs_web"  # hidden from people; a bot that fills every field fills it


def asker(request: web.Request) -> Asker:
    """Who asks: this browser, and the address it comes from (behind the operator's trusted
    proxies, the one they saw: shared/guesses.py)."""
    return Asker(codes.browser_hash(request[FORM_TOKEN]), address_of(request), language(request))


def address_of(request: web.Request) -> str:
    proxies = trusted_networks(request.app[SETTINGS].trusted_proxies)
    return source_of(request, proxies)


def check_id_in(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["check_id"])
    except ValueError:
        raise NO_PAGE from None


def try_later(request: web.Request, at: datetime) -> web.Response:
    """429 with the time to come back, in the buyer's clock and as Retry-After."""
    seconds = max(1, int((at - datetime.now(at.tzinfo)).total_seconds()) + 1)
    response = render(request, "try_later.html", {"at": at, "seconds": seconds}, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


async def code_sent(
    request: web.Request, *, purpose: str, phone: str, name: str, hub: str, intent: dict
) -> web.Response:
    """A new phone check for `intent`, its code sent: on to the code page, or, over a limit,
    the page that says when to try again."""
    async with request.app[DATABASE].acquire() as conn:
        try:
            check_id = await checks.start(
                conn,
                request.app[BACKENDS],
                request.app[CHECK_RULES],
                asker(request),
                purpose=purpose,
                phone=phone,
                name=name,
                hub=hub,
                intent=intent,
            )
        except checks.TryLater as later:
            return try_later(request, later.at)
    raise web.HTTPSeeOther(f"/kode/{check_id}")


def honeypot_filled(form) -> bool:
    return bool(str(form.get(HONEYPOT, "")).strip())


def phone_typed(form, when_empty: Text = forms.NO_PHONE) -> tuple[str, str | None, Text | None]:
    """The form's phone as typed, in E.164 when it is a mobile number, else the error to show
    beside it."""
    typed = str(form.get("phone", ""))[:64].strip()
    phone = forms.phone_from(typed)
    if phone is not None:
        return typed, phone, None
    return typed, None, when_empty if not typed else forms.BAD_PHONE


def proved(check: asyncpg.Record | None, purpose: str, lasts: timedelta) -> asyncpg.Record:
    """A check of this purpose whose code was typed right less than `lasts` ago; else the page
    not found, as for any check that is not this browser's."""
    if (
        check is None
        or check["purpose"] != purpose
        or check["verified_at"] is None
        or check["now"] - check["verified_at"] > lasts
    ):
        raise NO_PAGE
    return check
