"""Bulk orders at the counter (`/loket/pesanan-massal`): an agency's XLSX or CSV places every
row as an order (taken by the staff member, queued like any other), or, with one bad row, none,
the page naming each bad row by the spreadsheet's number and column; the templates download
and come back as orders; a double submit places the file once."""

import io
import re
from urllib.parse import urlencode

import aiohttp
from openpyxl import load_workbook

from services.console.accounts import Role
from tests.integration.test_console_reports import xlsx_of
from tools.client import HubClient, wait_until

PAGE = "/loket/pesanan-massal"
SKU = "masker-kain"
HEADER_EN = ["product", "quantity", "accept partial", "name", "buyer type", "region", "phone"]
HEADER_ID = ["jumlah", "nama", "jenis pembeli", "kabupaten/kota", "nomor hp", "saluran", "bahasa"]


def agency_rows(count: int) -> list[list]:
    """Rows under HEADER_EN: the health office's staff, each their own phone."""
    return [
        [SKU, 2, "yes", f"Pegawai Dinkes {n}", "Individual", "Palangka Raya", f"0812 7000 {n:04d}"]
        for n in range(1, count + 1)
    ]


def nonce_in(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, "the page has no nonce"
    return found.group(1)


async def upload(
    session, name: str, data: bytes, *, sku: str = "", nonce: str | None = None
) -> tuple[int, str]:
    if nonce is None:
        nonce = nonce_in(await session.page(PAGE))
    form = aiohttp.FormData()
    form.add_field("csrf", session.csrf)
    form.add_field("nonce", nonce)
    form.add_field("sku", sku)
    form.add_field("berkas", io.BytesIO(data), filename=name)
    async with session.http.post(PAGE, data=form, allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def orders_at(client: HubClient, hub: str) -> list[dict]:
    """The hub's orders as the orders service holds them."""
    query = urlencode({"hub": hub, "q": "0812", "limit": 200})
    answer = await client.call("orders", "GET", f"/v1/orders?{query}", headers=client.to_orders())
    return answer["orders"]


def placed_ids(page: str) -> list[str]:
    return re.findall(r'data-order="([0-9a-f-]{36})"', page)


async def test_an_agencys_xlsx_places_every_row_taken_by_the_staff_member(
    console_as, client: HubClient, hub
):
    session = await console_as(Role.staff)
    rows = agency_rows(3)
    rows[1][4] = "health_facility"
    file = xlsx_of([HEADER_EN, rows[0], [], rows[1], rows[2]])  # a blank row is skipped

    status, page = await upload(session, "dinkes.xlsx", file)

    assert status == 200, page[:3000]
    assert re.search(r'data-figure="placed">3<', page)
    ids = placed_ids(page)
    assert len(ids) == 3
    # Each listed with the spreadsheet row it came from.
    assert [int(n) for n in re.findall(r'<td class="number">(\d+)</td>', page)] == [2, 4, 5]
    orders = {order["id"]: order for order in await orders_at(client, hub)}
    assert set(orders) == set(ids)
    assert orders[ids[1]]["priority_class"] == "health"
    assert orders[ids[0]]["buyer"]["phone"] == "+6281270000001"
    assert orders[ids[0]]["quantity"] == 2 and orders[ids[0]]["accept_partial"] is True

    order_page = await session.page(f"/pesanan/{ids[2]}")
    assert "Diterima oleh Uji staff di loket" in order_page
    assert f'href="/loket/pesanan/{ids[0]}"' in page
    assert "Pegawai Dinkes 1" in await session.page(f"/loket/pesanan/{ids[0]}")

    async def queued():
        listed = {row["order_id"] for row in (await client.queue(hub, SKU))["orders"]}
        return set(ids) <= listed

    await wait_until(queued, what="the bulk orders in the allocator's queue")


async def test_a_csv_from_indonesian_excel_with_the_product_chosen_on_the_page(
    console_as, client: HubClient, hub
):
    """Excel set to Indonesian saves with semicolons; the product is chosen on the page."""
    session = await console_as(Role.staff)
    lines = [
        ";".join(HEADER_ID),
        "5;Puskesmas Pahandut;Fasilitas kesehatan;Palangka Raya;0812 7100 0001;sms;id",
        "1;Bapak Yusuf;perorangan;Kapuas;+62 812 7100 0002;;en",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode()

    status, page = await upload(session, "pesanan.csv", data, sku=SKU)

    assert status == 200, page[:3000]
    assert len(placed_ids(page)) == 2
    orders = sorted(await orders_at(client, hub), key=lambda order: order["quantity"])
    assert [o["quantity"] for o in orders] == [1, 5]
    assert orders[1]["buyer"]["type"] == "health_facility"
    assert orders[1]["buyer"]["channel"] == "sms"
    assert orders[0]["buyer"]["language"] == "en" and orders[0]["sku"] == SKU


async def test_one_bad_row_places_nothing_and_the_page_names_every_bad_row(
    console_as, client: HubClient, hub
):
    session = await console_as(Role.staff)
    rows = agency_rows(5)
    rows[1][6] = "12345"  # row 3: the phone
    rows[3][1] = "banyak"  # row 5: the quantity
    rows[3][4] = "alien"  # row 5: the buyer type
    rows[4][3] = '@HYPERLINK("http://jahat.example","Klik")'  # row 6: a formula

    status, page = await upload(session, "dinkes.xlsx", xlsx_of([HEADER_EN, *rows]))

    assert status == 422, page[:3000]
    assert "3 baris bermasalah; tidak ada pesanan yang dicatat" in page
    listed = re.findall(r'<tr data-row="(\d+)"><td class="number">\d+</td><td><code>([^<]+)<', page)
    assert listed == [
        ("3", "nomor hp"),
        ("5", "jumlah"),
        ("5", "jenis pembeli"),
        ("6", "nama"),
    ], listed
    assert "Isi nomor HP Indonesia yang benar" in page
    assert "rumus tidak diterima" in page
    assert "jahat.example" not in page.split('role="alert"')[1].split("</section>")[0]
    assert await orders_at(client, hub) == []

    # Fixed, the same form places all five at once.
    rows[1][6], rows[3][1], rows[3][4], rows[4][3] = "0812 7000 0002", 4, "bank", "Bu Ani"
    status, page = await upload(
        session, "dinkes.xlsx", xlsx_of([HEADER_EN, *rows]), nonce=nonce_in(page)
    )
    assert status == 200, page[:3000]
    assert len(await orders_at(client, hub)) == 5


async def test_the_per_buyer_cap_holds_across_a_files_rows(console_as, client: HubClient, hub):
    await client.set_policy(hub, SKU, per_buyer_daily_cap=3)
    session = await console_as(Role.staff)
    rows = agency_rows(3)
    rows[2][6] = rows[0][6]  # the same phone as row 2: 2 + 2 > 3

    status, page = await upload(session, "dinkes.xlsx", xlsx_of([HEADER_EN, *rows]))

    assert status == 422, page[:3000]
    assert re.findall(r'<tr data-row="(\d+)">', page) == ["4"]
    assert "dengan baris 2" in page and "paling banyak 3" in page
    assert await orders_at(client, hub) == []


async def test_a_double_submit_places_the_file_once(console_as, client: HubClient, hub):
    session = await console_as(Role.staff)
    nonce = nonce_in(await session.page(PAGE))
    file = xlsx_of([HEADER_EN, *agency_rows(4)])

    first = await upload(session, "dinkes.xlsx", file, nonce=nonce)
    second = await upload(session, "dinkes.xlsx", file, nonce=nonce)

    assert first[0] == second[0] == 200
    assert placed_ids(first[1]) == placed_ids(second[1])
    assert len(await orders_at(client, hub)) == 4


async def test_the_templates_download_and_come_back_as_an_order(console_as, client: HubClient, hub):
    session = await console_as(Role.staff)
    page = await session.page(PAGE)
    assert f'href="{PAGE}/templat?format=xlsx"' in page
    assert f'href="{PAGE}/templat?format=csv"' in page

    async with session.http.get(f"{PAGE}/templat?format=xlsx") as answer:
        assert answer.status == 200
        assert "attachment" in answer.headers["Content-Disposition"]
        xlsx = await answer.read()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["produk", "jumlah", "terima sebagian", "nama"]
    assert sheet["G2"].value == "0812 3456 7890" and sheet["G2"].number_format == "@"

    async with session.http.get(f"{PAGE}/templat?format=csv") as answer:
        assert answer.status == 200 and answer.content_type == "text/csv"
        csv = await answer.read()
    assert csv.startswith(b"\xef\xbb\xbfproduk,jumlah,")
    assert csv.decode("utf-8-sig").splitlines()[1].startswith(f"{SKU},10,ya,")

    status, placed = await upload(session, "templat.xlsx", xlsx)
    assert status == 200, placed[:3000]
    status, placed = await upload(session, "templat.csv", csv)
    assert status == 200, placed[:3000]
    orders = await orders_at(client, hub)
    assert len(orders) == 2
    assert {o["buyer"]["type"] for o in orders} == {"agency"}
    assert {o["buyer"]["phone"] for o in orders} == {"+6281234567890"}


async def test_a_viewer_may_not_upload(console_as, client: HubClient, hub):
    staff = await console_as(Role.staff)
    nonce = nonce_in(await staff.page(PAGE))
    viewer = await console_as(Role.viewer)
    await viewer.page(PAGE, status=403)
    await viewer.page("/")
    status, _ = await upload(
        viewer, "dinkes.xlsx", xlsx_of([HEADER_EN, *agency_rows(1)]), nonce=nonce
    )
    assert status == 403
    assert await orders_at(client, hub) == []
