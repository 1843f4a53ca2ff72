"""Free-mask programmes in the console, against the running services: an admin opens one with
its form, staff file applications for walk-ins at the counter, the admin runs the draw and the
funder's report is downloaded as XLSX and PDF and read back; viewers and staff can neither open
a programme nor run a draw."""

import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.console.accounts import Role
from tools.client import HubClient, wait_until

SKU = "masker-kain"
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')
_PROGRAMME = re.compile(r"/program/([0-9a-f-]{36})\?selesai=buka")


def nonce_in(html: str) -> str:
    found = _NONCE.search(html)
    assert found, "the form has no nonce"
    return found.group(1)


def nik(serial: int) -> str:
    """A NIK of good form: Central Kalimantan (62), Palangka Raya (71), born 15-08-1990."""
    return f"627101150890{serial:04d}"


def programme_form(**changes: str) -> dict:
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    return {
        "name": "Masker Gratis Uji",
        "funder": "Dinas Kesehatan Provinsi",
        "budget": "50000",  # ten masks at Rp5.000
        "starts_on": str(today),
        "ends_on": str(today + timedelta(days=30)),
        "units_per_recipient": "2",
        "regencies": "Kapuas\nKota Palangka Raya",
        "product": SKU,
        f"price-{SKU}": "5000",
        "buyer_type": "individual",
        "selection": "lottery",
        **changes,
    }


async def open_programme(admin, **changes: str) -> str:
    nonce = nonce_in(await admin.page("/program/baru"))
    response = await admin.submit("/program/baru", {"nonce": nonce, **programme_form(**changes)})
    assert response.status == 303, response.status
    found = _PROGRAMME.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


async def apply(client: HubClient, programme_id: str, serial: int, quantity: int = 2) -> dict:
    body = {
        "sku": SKU,
        "quantity": quantity,
        "recipient": {
            "name": f"Warga {serial}",
            "type": "individual",
            "region": "Kapuas",
            "nik": nik(serial),
        },  # fmt: skip
    }
    path = f"/v1/programmes/{programme_id}/applications"
    headers = client.to_orders(str(uuid.uuid4()))
    return await client.call("orders", "POST", path, json=body, headers=headers)


async def programmes_at(client: HubClient, hub: str) -> list[dict]:
    answer = await client.call("orders", "GET", f"/v1/programmes?hub={hub}")
    return answer["programmes"]


async def download(session, path: str) -> tuple[bytes, str, str]:
    async with session.http.get(path) as response:
        body = await response.read()
        assert response.status == 200, f"GET {path}: {response.status} {body[:500]!r}"
        return body, response.headers["Content-Disposition"], response.content_type


async def test_an_admin_opens_a_programme_that_every_operator_reads(console_as, client, hub):
    admin = await console_as(Role.admin)
    programme_id = await open_programme(admin)

    opened = await admin.page(f"/program/{programme_id}?selesai=buka")
    assert "Program dibuka." in opened and "Rp50.000" in opened
    viewer = await console_as(Role.viewer)
    listed = await viewer.page("/program")
    assert "Masker Gratis Uji" in listed and "Rp50.000" in listed
    assert 'href="/program/baru"' not in listed  # nothing offered a viewer cannot do
    page = await viewer.page(f"/program/{programme_id}")
    assert "Dinas Kesehatan Provinsi" in page and "Kapuas, Kota Palangka Raya" in page
    assert "/undi" not in page  # no "Draw now" for a viewer
    [made] = await programmes_at(client, hub)
    assert made["budget"] == 50_000 and made["products"] == [{"sku": SKU, "unit_price": 5000}]
    assert made["buyer_types"] == ["individual"] and made["selection"] == "lottery"


@pytest.mark.parametrize("role", [Role.viewer, Role.staff])
async def test_only_an_admin_may_open_a_programme_or_run_a_draw(console_as, client, hub, role):
    admin = await console_as(Role.admin)
    programme_id = await open_programme(admin)
    await apply(client, programme_id, 1)
    other = await console_as(role)

    await other.page("/program/baru", status=403)
    await other.page("/program")  # for its CSRF token
    refused = await other.submit("/program/baru", programme_form(name="Program Gelap"))
    assert refused.status == 403
    page = await other.page(f"/program/{programme_id}")
    assert "Undi sekarang" not in page
    forged = await other.submit(f"/program/{programme_id}/undi", {"nonce": "x.y"})
    assert forged.status == 403

    assert [p["name"] for p in await programmes_at(client, hub)] == ["Masker Gratis Uji"]
    draws = await client.call("orders", "GET", f"/v1/programmes/{programme_id}/draws")
    assert draws["draws"] == []


async def test_a_wrong_programme_comes_back_with_each_error_beside_its_field(console_as, hub):
    admin = await console_as(Role.admin)
    nonce = nonce_in(await admin.page("/program/baru"))
    form = programme_form(budget="0", units_per_recipient="nol", name="Program <b>Salah</b>")
    form["nonce"] = nonce
    form["ends_on"] = "2020-01-01"

    async with admin.http.post("/program/baru", data={"csrf": admin.csrf, **form}) as response:
        status, html = response.status, await response.text()

    assert status == 422, html[:2000]
    assert 'id="budget-error"' in html and 'id="units_per_recipient-error"' in html
    assert "Ada masalah" in html and "<title>Galat: " in html
    assert 'value="Program &lt;b&gt;Salah&lt;/b&gt;"' in html  # kept, and never markup


async def test_the_counter_files_applications_the_admin_draws_and_the_report_shows_it(
    console_as, client, hub
):
    admin = await console_as(Role.admin)
    programme_id = await open_programme(admin)
    staff = await console_as(Role.staff)
    form_path = f"/program/{programme_id}/permohonan"
    fields = {"sku": SKU, "quantity": "2", "name": "Ibu Walk-in", "type": "individual",
              "region": "Kapuas", "nik": "6271 0115 0890 0001", "language": "id"}  # fmt: skip

    nonce = nonce_in(await staff.page(form_path))
    filed = await staff.submit(form_path, {"nonce": nonce, **fields})
    assert filed.status == 303, filed.status
    again = await staff.submit(form_path, {"nonce": nonce, **fields})  # a double submit
    assert again.headers["Location"] == filed.headers["Location"]
    shown = await staff.page(filed.headers["Location"])
    assert "Permohonan dicatat" in shown and "menunggu" in shown
    assert "6271011508900001" not in shown  # the NIK is nobody's to read back
    # The counter tells the recipient their draw ticket, to find themselves in the draw.
    [counter_ticket] = set(re.findall(r'data-figure="ticket">(T-[0-9A-Z]{6})<', shown))
    assert "Nomor undian" in shown

    twice = {"nonce": nonce_in(await staff.page(form_path)), **fields}
    async with staff.http.post(form_path, data={"csrf": staff.csrf, **twice}) as response:
        assert response.status == 409, response.status  # the same NIK, once per programme
    bad = {"nonce": nonce_in(await staff.page(form_path)), **fields, "nik": "1234"}
    async with staff.http.post(form_path, data={"csrf": staff.csrf, **bad}) as response:
        status, html = response.status, await response.text()
    assert status == 422 and 'id="nik-error"' in html

    applied = [await apply(client, programme_id, serial) for serial in range(2, 9)]
    # 8 applicants of 2 units (Rp10.000) each for Rp50.000
    page = await admin.page(f"/program/{programme_id}")
    drawn = await admin.submit(f"/program/{programme_id}/undi", {"nonce": nonce_in(page)})
    assert drawn.status == 303, drawn.status

    [draw] = (await client.call("orders", "GET", f"/v1/programmes/{programme_id}/draws"))["draws"]
    assert draw["kind"] == "lottery" and draw["entrants"] == 8 and draw["winners"] == 5
    page = await admin.page(f"/program/{programme_id}")
    assert str(draw["seed"]) in page and "Undian" in page
    published = await staff.page(f"/program/{programme_id}/undian/{draw['id']}")
    assert published.count("<li><code>") == 8 and published.count("terpilih") == 5
    assert counter_ticket in published and all(a["ticket"] in published for a in applied)
    listed = await client.call(
        "orders",
        "GET",
        f"/v1/programmes/{programme_id}/applications",
        headers=client.as_operator(),
    )
    for application in listed["applications"]:  # the draw as published: tickets, no codes
        code = application["code"]
        assert code not in published and code.replace("-", "") not in published
        assert application["order_id"] not in published

    body, disposition, media = await download(staff, f"/program/{programme_id}/laporan?format=xlsx")
    assert re.search(r'filename="laporan-program-[a-z0-9-]+-masker-gratis-uji-[0-9-]+\.xlsx"',
                     disposition) and media.endswith("spreadsheetml.sheet")  # fmt: skip
    book = load_workbook(io.BytesIO(body))
    [summary] = book["Program"].iter_rows(min_row=2, values_only=True)
    assert summary[0] == "Masker Gratis Uji" and summary[5] == 50_000
    assert summary[6] == 50_000 and summary[8] == 0  # five winners of Rp10.000 committed
    [row] = book["Undian"].iter_rows(min_row=2, values_only=True)
    assert row[2] == str(draw["seed"]) and row[3:5] == (8, 5)

    body, disposition, media = await download(staff, f"/program/{programme_id}/laporan")
    assert media == "application/pdf" and disposition.endswith('.pdf"')
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "LAPORAN PROGRAM UNTUK PENYANDANG DANA" in text and f"PLUT {hub}".upper() in text
    assert "Committed Rp50.000" in text and "Sisa / Left Rp0" in text
    assert f"Undian / Lottery {draw['seed']} 8 5" in text
    assert "Halaman 1 dari" in text


async def test_units_given_and_producers_paid_reach_the_report(console_as, client, hub):
    admin = await console_as(Role.admin)
    programme_id = await open_programme(admin, selection="first_come")
    applied = await apply(client, programme_id, 1)
    assert applied["status"] == "admitted"
    maker = await client.register_producer(hub, name="Ibu Penjahit Program",
                                           phone="081299887766", regency="Kapuas")  # fmt: skip
    await client.record_delivery(hub, maker["id"], SKU, 2)

    async def held() -> bool:
        return (await client.order(applied["order_id"]))["allocated"] == 2

    await wait_until(held, what="the admitted application's units held")
    await client.fulfil(applied["order_id"])

    async def reported() -> dict | None:
        path = f"/v1/programmes/{programme_id}/report"
        report = await client.call("orders", "GET", path, headers=client.as_operator())
        return report if report["producers"] and report["units_by_day"] else None

    await wait_until(reported, what="the units given and their producer in the report")
    viewer = await console_as(Role.viewer)  # reading the report is every operator's
    body, _, _ = await download(viewer, f"/program/{programme_id}/laporan?format=pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Ibu Penjahit Program 2 Rp10.000" in text
    assert "Kapuas Perorangan 2" in text
    book = load_workbook(io.BytesIO((await download(viewer, f"/program/{programme_id}"
                                                    "/laporan?format=xlsx"))[0]))  # fmt: skip
    [paid] = book["Produsen dibayar"].iter_rows(min_row=2, values_only=True)
    assert paid[:3] == ("Ibu Penjahit Program", 2, 10_000) and paid[3] == maker["id"]


async def test_made_up_paths_formats_and_nonces_are_refused_and_change_nothing(
    console_as, client, hub
):
    admin = await console_as(Role.admin)
    programme_id = await open_programme(admin)
    staff = await console_as(Role.staff)
    unknown = uuid.uuid4()

    await staff.page(f"/program/{unknown}", status=404)
    await staff.page("/program/..%2F..%2Fv1%2Fpartners", status=404)
    await staff.page(f"/program/{programme_id}/undian/{unknown}", status=404)
    async with staff.http.get(f"/program/{programme_id}/laporan?format=exe") as response:
        assert response.status == 422, response.status
    fields = {"sku": SKU, "quantity": "1", "name": "Warga", "type": "individual",
              "region": "Kapuas", "nik": nik(77)}  # fmt: skip
    await staff.page(f"/program/{programme_id}/permohonan")
    for forged in ("", "x.y", nonce_in(await admin.page(f"/program/{programme_id}/permohonan"))):
        async with staff.http.post(
            f"/program/{programme_id}/permohonan",
            data={"csrf": staff.csrf, "nonce": forged, **fields},
            allow_redirects=False,
        ) as response:
            assert response.status == 403, (forged, response.status)  # another's or none
    path = f"/v1/programmes/{programme_id}/applications"
    listed = await client.call("orders", "GET", path, headers=client.as_operator())
    assert listed["applications"] == []


async def test_a_draw_with_no_one_waiting_is_refused_on_the_page_in_either_language(
    console_as, client
):
    admin = await console_as(Role.admin)
    programme_id = await open_programme(admin)
    page = await admin.page(f"/program/{programme_id}")
    assert "Undi sekarang" not in page  # no one waits: no button
    nonce = nonce_in(await admin.page("/program/baru"))

    async with admin.http.post(
        f"/program/{programme_id}/undi", data={"csrf": admin.csrf, "nonce": nonce}
    ) as response:
        status, html = response.status, await response.text()

    assert status == 409, html[:2000]
    assert "Belum ada pendaftar yang menunggu undian" in html and "<title>Galat: " in html
    draws = await client.call("orders", "GET", f"/v1/programmes/{programme_id}/draws")
    assert draws["draws"] == []
    admin.http.cookie_jar.update_cookies({"plut_lang": "en"})
    english = await admin.page(f"/program/{programme_id}")
    assert "Funder&#39;s report" in english and "Download PDF" in english
    assert "No draw yet." in english and "Committed" in english
