"""Free-mask programmes on the buyers' site for the doors' tests: one opened by an admin at a
site's hub, and an applicant's path through the site without a browser."""

import re
import uuid

from tests.support.programmes import open_programme
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.storefront import Site, Visitor, codes_sent
from tools.client import HubClient

# Kalimantan Tengah, a woman born 5 June 1990; the serial makes it the test's own.
NIK_FRONT = "627101450690"
_CHECK_FORM = re.compile(r"^/daftar-program/[0-9a-f-]{36}$")
TRACKING = re.compile(r"^/lacak/([0-9A-Z]{5}-[0-9A-Z]{5})\?baru=1$")


def new_nik() -> str:
    """A NIK of a citizen's form nobody else in the run uses."""
    return NIK_FRONT + f"{uuid.uuid4().int % 9999 + 1:04d}"


async def site_programme(client: HubClient, site: Site, **terms) -> dict:
    """A lottery programme at the site's hub, open today, for citizens and health facilities
    of Kota Palangka Raya, two units each, with a budget far beyond the tests' applications."""
    name = f"Masker Gratis {uuid.uuid4().hex[:6]}"
    terms = {"name": name, "budget": 1_000_000, "selection": "lottery", **terms}
    return await open_programme(client, site.hub, **terms)


def application_answers(nik: str, **answers: str) -> dict[str, str]:
    return {
        "name": "Ibu Siti Rahayu",
        "nik": nik,
        "buyer_type": "individual",
        "region": "Kota Palangka Raya",
        "quantity": "2",
        "language": "id",
        "channel": "",
        **answers,
    }


async def proved_phone(
    visitor: Visitor, whatsapp: WhatsAppCloudStub, programme: dict, phone: str
) -> str:
    """The programme's page, the phone's code typed: the application form's path."""
    path = f"/program/{visitor.site.hub}/{programme['id']}"
    status, page = await visitor.get(path)
    assert status == 200 and programme["name"] in page, page
    status, page, code_page = await visitor.post(path, {"phone": phone})
    assert status == 303, (status, page)
    [code] = await codes_sent(whatsapp, phone)
    status, page, form = await visitor.post(code_page, {"kode": code})
    assert status == 303 and _CHECK_FORM.match(form), (status, form, page)
    return form


async def applied(visitor: Visitor, form: str, answers: dict[str, str]) -> tuple[int, str, str]:
    """The form filled in, the answers checked and sent: (status, page, where it goes)."""
    status, page = await visitor.get(form)
    assert status == 200, page
    status, page, _ = await visitor.post(form, answers)
    assert status == 200 and f'action="{form}/kirim"' in page, page  # the answers to check
    return await visitor.post(form + "/kirim", answers)
