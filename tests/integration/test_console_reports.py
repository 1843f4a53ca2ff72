"""The console's reports and producers' import, against the running services: files opened
with openpyxl as Excel would, imports that write all rows or none."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook

from services.console.accounts import Role
from tools.client import HubClient, wait_until

CSV_HEADERS = "nama,telepon,kabupaten,email,bahasa,saluran\r\n"


async def download(session, path: str) -> tuple[bytes, str]:
    async with session.http.get(path) as response:
        body = await response.read()
        assert response.status == 200, f"GET {path}: {response.status} {body[:1000]!r}"
        return body, response.headers["Content-Disposition"]


async def test_payouts_xlsx_holds_the_deliveries_sold(console_as, client: HubClient, hub):
    siti = await client.register_producer(hub, name="Ibu Siti", phone="081200000001",
                                          regency="Kapuas")  # fmt: skip
    ani = await client.register_producer(hub, name="Ibu Ani", phone="081200000002",
                                         regency="Katingan")  # fmt: skip
    buyer = {"name": "Dinkes Kapuas", "type": "agency", "region": "Kuala Kapuas"}
    order = await client.place_order(hub, "masker-kain", 70, buyer)
    await client.record_delivery(hub, siti["id"], "masker-kain", 50, rejected=2)
    await client.record_delivery(hub, ani["id"], "masker-kain", 30)
    await wait_allocated(client, order["id"], 70)

    session = await console_as(Role.viewer)
    today = datetime.now().date()
    start, end = today - timedelta(days=1), today + timedelta(days=1)
    span = f"dari={start}&sampai={end}"
    body, disposition = await download(session, f"/laporan/pembayaran?{span}&format=xlsx")
    assert f'filename="pembayaran-{hub}-{start}-{end}.xlsx"' in disposition
    book = load_workbook(io.BytesIO(body))
    rows = list(book["Pembayaran"].iter_rows(min_row=2, values_only=True))
    sold = {row[1]: row for row in rows}
    # 48 of Siti's accepted units and 22 of Ani's went to the order, first delivered first.
    assert sold["Ibu Siti"][5] == 48 and sold["Ibu Siti"][7] == 48 * 5000
    assert sold["Ibu Ani"][5] == 22 and sold["Ibu Ani"][7] == 22 * 5000
    assert isinstance(sold["Ibu Siti"][0], datetime)
    assert start <= sold["Ibu Siti"][0].date() <= end
    totals = list(book["Total per produsen"].iter_rows(min_row=2, values_only=True))
    assert sum(row[2] for row in totals) == 70 * 5000

    text, _ = await download(session, f"/laporan/pembayaran?{span}&format=csv")
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Tanggal,Produsen,Telepon,")
    assert text.startswith("\ufeff".encode()) and len(lines) == 3


async def wait_allocated(client: HubClient, order_id: str, units: int) -> None:
    async def done() -> bool:
        return (await client.order(order_id))["allocated"] == units

    await wait_until(done, what="the order's allocation")


async def test_the_queue_export_lists_the_waiting_buyers_in_order(console_as, client, hub):
    for index in range(3):
        buyer = {"name": f"Pembeli {index}", "type": "individual", "region": "Sampit"}
        await client.place_order(hub, "masker-kain", 5, buyer)
    session = await console_as(Role.viewer)
    page = await session.page("/laporan")
    assert "/laporan/impor" not in page  # a viewer is not offered the import

    async def queued() -> bool:
        return (await client.queue(hub, "masker-kain"))["waiting"] == 3

    await wait_until(queued, what="three orders queued")
    body, disposition = await download(session, "/laporan/antrean?produk=masker-kain")
    assert f"antrean-{hub}-masker-kain-" in disposition
    sheet = load_workbook(io.BytesIO(body))["Antrean"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == ["Pembeli 0", "Pembeli 1", "Pembeli 2"]
    assert isinstance(rows[0][10], datetime)


async def test_the_day_report_counts_each_product(console_as, client: HubClient, hub):
    siti = await client.register_producer(hub, name="Ibu Siti", phone="081200000009",
                                          regency="Kapuas")  # fmt: skip
    buyer = {"name": "Toko Budi", "type": "business", "region": "Sampit"}
    order = await client.place_order(hub, "masker-kain", 30, buyer)
    await client.record_delivery(hub, siti["id"], "masker-kain", 20)
    await wait_allocated(client, order["id"], 20)
    session = await console_as(Role.viewer)
    about = await client.call("intake", "GET", f"/v1/hubs/{hub}")
    today = datetime.now(ZoneInfo(about["timezone"])).date()

    body, disposition = await download(session, f"/laporan/hari?tanggal={today}")
    assert f'filename="hari-{hub}-{today}.xlsx"' in disposition
    rows = list(load_workbook(io.BytesIO(body))["Laporan hari"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Tanggal", "Produk", "Nama produk", "Diterima")
    assert rows[1][:9] == (
        datetime(today.year, today.month, today.day), "masker-kain", "Masker kain 3 lapis",
        20, 20, 0, 10, 1, 0,
    )  # fmt: skip
    body, _ = await download(session, f"/laporan/hari?tanggal={today}&format=csv")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[1] == f"{today},masker-kain,Masker kain 3 lapis,20,20,0,10,1,0"


async def test_a_bad_date_is_422_naming_the_field(console_as):
    session = await console_as(Role.viewer)
    async with session.http.get(
        "/laporan/pembayaran?dari=kemarin&sampai=2026-01-01",
        headers={"Accept": "application/json"},
    ) as answer:
        assert answer.status == 422
        assert "dari" in {error["field"] for error in (await answer.json())["errors"]}
    # A range longer than intake reports on: its refusal names the form's field.
    too_long = await session.page("/laporan/pembayaran?dari=2020-01-01&sampai=2026-01-01", 422)
    assert "<code>sampai</code>" in too_long


async def producers_of(client: HubClient, hub: str) -> list[str]:
    answer = await client.call("intake", "GET", f"/v1/producers?hub={hub}&limit=100",
                               headers=client.as_operator())  # fmt: skip
    return sorted(producer["name"] for producer in answer["producers"])


async def upload(session, name: str, data: bytes):
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrf", session.csrf)
    form.add_field("berkas", data, filename=name)
    async with session.http.post("/laporan/impor", data=form, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location"), await answer.text()


def xlsx_of(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_import_with_a_bad_row_imports_nothing_then_the_fixed_file_all(
    console_as, client: HubClient, hub
):
    session = await console_as(Role.staff)
    await session.page("/laporan/impor")
    before = await producers_of(client, hub)
    bad_csv = (
        CSV_HEADERS
        + "Ibu Siti,081211110001,Kapuas,,id,\r\n"
        + ",,,,,\r\n"
        + "Ibu Dewi,bukan-telepon,Katingan,dewi@contoh.id,en,sms\r\n"
    ).encode()
    status, _, html = await upload(session, "produsen.csv", bad_csv)
    assert status == 422
    assert '<td class="number">4</td>' in html  # the spreadsheet's row, blank row counted
    assert "phone" in html
    assert await producers_of(client, hub) == before

    bad_xlsx = xlsx_of([["Name", "Phone", "Regency"], ["Ibu Rina", "081211110003", "Kapuas"],
                        ["Ibu Sri", "", "Kapuas"]])  # fmt: skip
    status, _, html = await upload(session, "produsen.xlsx", bad_xlsx)
    assert status == 422 and '<td class="number">3</td>' in html
    assert await producers_of(client, hub) == before

    fixed = bad_csv.replace(b"bukan-telepon", b"081211110002")
    status, location, _ = await upload(session, "produsen.csv", fixed)
    assert status == 303 and location == "/laporan/impor?diimpor=2"
    assert "<strong>2</strong>" in await session.page(location)
    assert await producers_of(client, hub) == sorted([*before, "Ibu Siti", "Ibu Dewi"])


async def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(console_as):
    session = await console_as(Role.staff)
    await session.page("/laporan/impor")
    status, _, html = await upload(session, "foto.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    assert status == 422 and "bukan XLSX atau CSV" in html
    status, _, html = await upload(
        session, "x.csv", b"nama,telepon,kabupaten,alamat\r\nA,1,B,C\r\n"
    )
    assert status == 422 and "alamat" in html


async def test_a_viewer_may_not_import(console_as):
    session = await console_as(Role.viewer)
    await session.page("/laporan")
    status, _, _ = await upload(session, "p.csv", (CSV_HEADERS + "A,0812,B,,,\r\n").encode())
    assert status == 403
    await session.page("/laporan/impor", status=403)


async def test_staff_download_the_template(console_as):
    session = await console_as(Role.staff)
    body, disposition = await download(session, "/laporan/impor/templat")
    assert "templat-produsen.xlsx" in disposition
    header = [cell.value for cell in load_workbook(io.BytesIO(body)).active[1]]
    assert header == ["nama", "telepon", "kabupaten", "email", "bahasa", "saluran"]


async def test_an_english_speaking_operator_gets_english_files(console_as, hub):
    session = await console_as(Role.viewer)
    session.http.cookie_jar.update_cookies({"plut_lang": "en"})
    assert "Producers&#39; payouts" in await session.page("/laporan")
    today = datetime.now().date()
    body, disposition = await download(
        session, f"/laporan/pembayaran?dari={today}&sampai={today}&format=csv"
    )
    assert f'filename="payouts-{hub}-{today}-{today}.csv"' in disposition
    assert body.decode("utf-8-sig").startswith("Date,Producer,Phone,Regency,Product,")
