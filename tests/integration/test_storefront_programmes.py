"""The buyers' site's door to the free-mask programmes against the real stack: a citizen proves
their phone, applies with their NIK and finds the application waiting for the draw; what the
orders service refuses shows beside its field; the form stands up to forged posts and markup;
and the NIK is never kept by the site, in its tables or its log."""

import uuid

from tests.support.programme_site import (
    TRACKING,
    application_answers,
    applied,
    new_nik,
    proved_phone,
    site_programme,
)
from tests.support.programmes import apply, citizen, draw
from tests.support.storefront import Visitor, new_phone
from tools.client import wait_until


async def test_a_citizen_applies_on_the_site_and_the_application_waits_for_the_draw(
    site, visitor, whatsapp, client
):
    programme = await site_programme(client, site)
    status, page = await visitor.get(f"/program/{site.hub}")
    assert status == 200 and programme["name"] in page
    assert f'href="/program/{site.hub}/{programme["id"]}"' in page

    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    status, page, location = await applied(visitor, form, application_answers(new_nik()))

    assert status == 303 and TRACKING.match(location), (status, page)
    status, page = await visitor.get(location)
    assert status == 200 and "Pendaftaran diterima" in page
    assert "Menunggu undian" in page and "Menunggu dalam antrean" not in page
    applications = await client.call(
        "orders",
        "GET",
        f"/v1/programmes/{programme['id']}/applications",
        headers=client.as_operator(),
    )
    [application] = applications["applications"]
    assert (application["status"], application["quantity"]) == ("waiting", 2)
    assert application["code"] == TRACKING.match(location).group(1)
    # Sent again (back, double click): the same application, nothing more.
    again, _, elsewhere = await visitor.post(form + "/kirim", application_answers(new_nik()))
    assert again == 303 and elsewhere.startswith("/lacak/")


async def test_a_nik_of_no_citizens_form_and_one_already_applied_are_told_beside_the_nik(
    site, whatsapp, client
):
    programme = await site_programme(client, site)
    nik = new_nik()
    first, second = Visitor(site), Visitor(site)
    try:
        form = await proved_phone(first, whatsapp, programme, new_phone())
        await first.get(form)
        status, page, _ = await first.post(form, application_answers("6271013206900001"))
        assert status == 400 and 'id="nik-error"' in page and "tanggal lahir" in page
        assert 'value="6271013206900001"' in page, "what was typed comes back to be mended"
        status, _, _ = await applied(first, form, application_answers(nik))
        assert status == 303

        form = await proved_phone(second, whatsapp, programme, new_phone())
        status, page, _ = await applied(second, form, application_answers(nik))
    finally:
        await first.close()
        await second.close()

    assert status == 400 and "<title>Galat:" in page
    assert 'id="nik-error"' in page and "Sudah ada pendaftaran" in page
    assert 'href="#nik"' in page


async def test_a_region_outside_the_programme_is_refused_beside_its_field(
    site, visitor, whatsapp, client
):
    programme = await site_programme(client, site)
    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    await visitor.get(form)

    status, page, _ = await visitor.post(form, application_answers(new_nik(), region="Kapuas"))

    assert status == 400 and 'id="region-error"' in page


async def test_a_forged_post_applies_nothing(site, visitor, whatsapp, client):
    programme = await site_programme(client, site)
    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    visitor.token = "forged-" + "x" * 40

    status, page, _ = await visitor.post(form + "/kirim", application_answers(new_nik()))

    assert status == 403 and "Formulir sudah kedaluwarsa" in page
    assert (await client.call(
        "orders", "GET", f"/v1/programmes/{programme['id']}/applications",
        headers=client.as_operator(),
    ))["applications"] == []  # fmt: skip


async def test_another_browser_cannot_open_or_send_a_proved_phones_form(
    site, visitor, whatsapp, client
):
    programme = await site_programme(client, site)
    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    stranger = Visitor(site)
    try:
        status, _ = await stranger.get(form)
        await stranger.get(f"/program/{site.hub}/{programme['id']}")  # a form token of its own
        sent, _, _ = await stranger.post(form + "/kirim", application_answers(new_nik()))
    finally:
        await stranger.close()

    assert status == sent == 404


async def test_markup_in_the_answers_is_never_echoed_as_markup(site, visitor, whatsapp, client):
    programme = await site_programme(client, site)
    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    await visitor.get(form)
    markup = '"><script>alert(1)</script>'

    checked = await visitor.post(form, application_answers(new_nik(), name=markup))
    refused = await visitor.post(form, application_answers(markup, region=markup, quantity=markup))

    assert checked[0] == 200 and refused[0] == 400
    for _, page, _ in (checked, refused):
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'id="nik-error"' in refused[1] and 'id="quantity-error"' in refused[1]


async def test_the_nik_is_kept_nowhere_by_the_site_nor_in_its_log(
    site, visitor, whatsapp, client, database
):
    programme = await site_programme(client, site)
    nik = new_nik()
    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    status, _, location = await applied(visitor, form, application_answers(nik))
    assert status == 303
    await visitor.get(location)

    tables = await database.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'storefront'"
    )
    for table in tables:
        rows = await database.fetchval(
            f'SELECT count(*) FROM storefront."{table["table_name"]}" t'  # noqa: S608
            " WHERE t::text LIKE '%' || $1 || '%'",
            nik,
        )
        assert rows == 0, f"the NIK is in storefront.{table['table_name']}"

    async def logged() -> str | None:
        text = site.process.log_path.read_text()
        return text if "/daftar-program/{check_id}/kirim" in text else None

    log = await wait_until(logged, what="the application's request logged")
    assert nik not in log


async def test_five_refusals_close_the_form_until_a_new_code(site, visitor, whatsapp, client):
    programme = await site_programme(client, site)
    taken = new_nik()
    other = Visitor(site)
    try:
        form = await proved_phone(other, whatsapp, programme, new_phone())
        assert (await applied(other, form, application_answers(taken)))[0] == 303
    finally:
        await other.close()
    form = await proved_phone(visitor, whatsapp, programme, new_phone())

    for _ in range(5):
        status, page, _ = await applied(visitor, form, application_answers(taken))
        assert status == 400 and "Sudah ada pendaftaran" in page
    status, page = await visitor.get(form)

    assert status == 403 and "Terlalu banyak pendaftaran yang ditolak" in page


async def test_a_passed_over_application_waits_and_links_the_published_draw(site, visitor, client):
    programme = await site_programme(client, site, budget=5000, units_per_recipient=1)
    applied = {}
    for n in (1, 2):  # a programme of its own: any NIK is new to it
        status, application = await apply(client, programme["id"], citizen(n))
        assert status == 201
        applied[application["ticket"]] = application
    drawn = await draw(client, programme["id"], seed=20261205)
    [passed_over] = set(drawn["entrant_tickets"]) - set(drawn["winner_tickets"])
    code = applied[passed_over]["code"]

    status, page = await visitor.get(f"/lacak/{code}")
    assert status == 200 and "Menunggu undian" in page and "Belum terpilih" in page
    assert "Nomor undian Anda" in page and passed_over in page  # to find it in the draw
    link = f"/program/{programme['id']}/undian/{drawn['id']}"
    assert f'href="{link}"' in page

    status, page = await visitor.get(link)
    assert status == 200 and "20261205" in page
    assert passed_over in page and drawn["winner_tickets"][0] in page
    assert "random.Random(seed).shuffle" in page
    # Tickets only: no applicant's code (which opens their order) nor order id on the page.
    for application in applied.values():
        for secret in (application["code"], application["code"].replace("-", "")):
            assert secret not in page, secret
        assert application["order_id"] not in page


async def test_made_up_paths_and_markup_in_a_programme_are_harmless(site, visitor, client):
    markup = '<script>alert(1)</script> "Gratis"'
    programme = await site_programme(client, site, name=markup, funder=markup)

    status, page = await visitor.get(f"/program/{site.hub}")
    assert status == 200 and "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for path in (
        f"/program/{site.hub}/not-a-programme",
        f"/program/{site.hub}/{uuid.uuid4()}",
        f"/program/no-such-hub/{programme['id']}",
        f"/program/{programme['id']}/undian/{uuid.uuid4()}",
        f"/program/{programme['id']}/undian/../../v1/partners",
        "/daftar-program/not-a-check",
        f"/daftar-program/{uuid.uuid4()}",
    ):
        status, page = await visitor.get(path)
        assert status == 404, (path, status)
        assert "<!doctype html>" in page


async def test_an_applicant_who_reads_english_applies_in_english_and_is_told_in_it(
    site, visitor, whatsapp, client
):
    programme = await site_programme(client, site)
    await visitor.get(f"/bahasa?ke=en&next=/program/{site.hub}")
    status, page = await visitor.get(f"/program/{site.hub}")
    assert status == 200 and "Free-mask programmes" in page and "Apply" in page

    form = await proved_phone(visitor, whatsapp, programme, new_phone())
    _, page = await visitor.get(form)
    assert "Type of recipient" in page and "Jenis penerima" not in page
    status, page, _ = await visitor.post(form, application_answers("12", language="en"))
    assert status == 400 and "Error:" in page and "A NIK is 16 digits" in page
    status, _, location = await applied(
        visitor, form, application_answers(new_nik(), language="en")
    )
    assert status == 303

    _, page = await visitor.get(location)
    assert "Application received" in page and "Waiting for the draw" in page
    applications = await client.call(
        "orders",
        "GET",
        f"/v1/programmes/{programme['id']}/applications",
        headers=client.as_operator(),
    )
    assert len(applications["applications"]) == 1
