"""Reports as spreadsheets, and producers' files read back: written, then opened with openpyxl
as Excel would."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.console import producer_file, reports
from services.console.producer_file import read_producers
from services.console.uploads import UnreadableFile, read_table

PAYOUTS = {
    "hub": "KALTENG",
    "from": "2026-11-01",
    "to": "2026-11-28",
    "rows": [
        {
            "producer_id": "p1",
            "name": "Ibu Siti",
            "phone": "081234567890",
            "regency": "Kapuas",
            "day": "2026-11-02",
            "sku": "masker-kain",
            "units_sold": 40,
            "unit_price": 5000,
            "earnings": 200000,
        },
        {
            "producer_id": "p1",
            "name": "Ibu Siti",
            "phone": "081234567890",
            "regency": "Kapuas",
            "day": "2026-11-03",
            "sku": "masker-kain",
            "units_sold": 10,
            "unit_price": 5000,
            "earnings": 50000,
        },
    ],
    "totals": [{"producer_id": "p1", "name": "Ibu Siti", "units_sold": 50, "earnings": 250000}],
}


def opened(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_payouts_xlsx_has_a_bold_frozen_header_rupiah_and_real_dates():
    book = opened(reports.xlsx(reports.payouts_report(PAYOUTS, "Asia/Jakarta"), "id"))
    assert book.sheetnames == ["Pembayaran", "Total per produsen"]
    sheet = book["Pembayaran"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Tanggal", "Produsen", "Telepon"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 28
    first = sheet[2]
    assert first[0].value == datetime(2026, 11, 2)
    assert first[0].number_format == "dd/mm/yyyy"
    assert first[0].is_date
    assert first[7].value == 200000
    assert first[7].number_format == '"Rp"#,##0'
    assert first[2].value == "081234567890"  # a phone stays text
    totals = book["Total per produsen"]
    assert [c.value for c in totals[2]][:3] == ["Ibu Siti", 50, 250000]


PROGRAMME_ID = "5f0c7f52-8d7e-4a51-9f61-0d1f1d3b6a10"
WITH_PROGRAMME = {
    **PAYOUTS,
    "rows": [
        {**PAYOUTS["rows"][0], "kind": "sale", "programme_id": None},
        {
            **PAYOUTS["rows"][1],
            "kind": "programme",
            "programme_id": PROGRAMME_ID,
            "unit_price": 4500,
            "earnings": 45000,
        },
    ],
    "totals": [
        {
            **PAYOUTS["totals"][0],
            "earnings": 245000,
            "programme_units_sold": 10,
            "programme_earnings": 45000,
        }
    ],
}


def test_programme_sales_are_marked_on_their_rows_and_totalled_apart():
    for language, sale, programme in (("id", "Penjualan", "Program"), ("en", "Sale", "Programme")):
        book = opened(reports.xlsx(reports.payouts_report(WITH_PROGRAMME), language))
        payouts, totals = book.worksheets
        assert [c.value for c in payouts[1]][-2:] == (
            ["Jenis penjualan", "ID program"] if language == "id" else ["Sale kind", "Programme id"]
        )
        rows = [[c.value for c in row] for row in payouts.iter_rows(min_row=2)]
        assert [(r[5], r[6], r[7], r[9], r[10]) for r in rows] == [
            (40, 5000, 200000, sale, None),
            (10, 4500, 45000, programme, PROGRAMME_ID),
        ]
        assert [c.value for c in totals[2]][-2:] == [10, 45000]
        assert totals[2][5].number_format == '"Rp"#,##0'
    text = reports.csv_text(reports.payouts_report(WITH_PROGRAMME), "id")
    assert text.splitlines()[2].endswith(f",Program,{PROGRAMME_ID}")


def test_the_header_and_sheet_titles_follow_the_operator_language():
    book = opened(reports.xlsx(reports.payouts_report(PAYOUTS), "en"))
    assert book.sheetnames == ["Payouts", "Totals per producer"]
    assert book["Payouts"]["A1"].value == "Date"


def test_queue_datetimes_are_the_hubs_wall_clock_with_a_date_format():
    queue = [
        {
            "position": 1,
            "order_id": "o1",
            "priority_class": "public",
            "quantity": 5,
            "allocated": 0,
            "forfeited": 0,
            "accept_partial": True,
            "placed_at": "2026-11-28T02:05:00+00:00",
        }
    ]
    orders = {"o1": {"buyer": {"name": "Budi", "type": "individual", "region": "Sampit"}}}
    report = reports.queue_report(queue, orders, "Asia/Jakarta")
    sheet = opened(reports.xlsx(report, "id"))["Antrean"]
    row = [cell for cell in sheet[2]]
    assert row[1].value == "Budi"
    assert row[9].value == "ya"
    assert row[10].value == datetime(2026, 11, 28, 9, 5)
    assert row[10].number_format == "dd/mm/yyyy hh:mm"
    text = reports.csv_text(report, "en")
    assert "2026-11-28T09:05:00+07:00" in text


def test_csv_has_a_bom_a_header_iso_dates_and_plain_integers():
    text = reports.csv_text(reports.payouts_report(PAYOUTS), "id")
    assert text.startswith("\ufeffTanggal,Produsen,")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1].startswith("2026-11-02,Ibu Siti,081234567890,Kapuas,masker-kain,40,5000,200000")


def test_day_report_names_the_products():
    days = {
        "hub": "H",
        "timezone": "Asia/Jakarta",
        "days": [
            {
                "day": "2026-11-28",
                "sku": "masker-kain",
                "received": 100,
                "allocated": 90,
                "fulfilled": 10,
                "expired": 0,
                "waiting_units": 50,
                "waiting_orders": 4,
                "buyers_unserved": 3,
                "final": False,
            }
        ],
    }
    report = reports.day_report(days, [{"sku": "masker-kain", "name": "Masker kain"}])
    sheet = opened(reports.xlsx(report, "id"))["Laporan hari"]
    assert [c.value for c in sheet[2]][1:5] == ["masker-kain", "Masker kain", 100, 90]


def test_file_names_are_safe_and_in_the_operators_language():
    report = reports.payouts_report(PAYOUTS)
    name = reports.file_name(
        report, "id", "KALTENG", date(2026, 11, 1), "2026-11-28", extension="xlsx"
    )
    assert name == "pembayaran-KALTENG-2026-11-01-2026-11-28.xlsx"
    assert reports.file_name(report, "en", 'a"b', extension="csv") == "payouts-a_b.csv"


def xlsx_of(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_reading_an_xlsx_with_indonesian_headers_skips_blank_rows():
    data = xlsx_of(
        [
            ["Nama", "Telepon", "Kabupaten", "Email", "Bahasa", "Saluran"],
            ["Ibu Siti", 81234567890, "Kapuas", None, "id", None],
            [None, None, None, None, None, None],
            ["Ibu Dewi", "081298765432", "Katingan", "dewi@contoh.id", "en", "sms"],
        ]
    )
    rows = read_producers(read_table(data))
    assert [row.row for row in rows] == [2, 4]
    assert rows[0].fields == {
        "name": "Ibu Siti",
        "phone": "081234567890",
        "regency": "Kapuas",
        "language": "id",
    }
    assert rows[1].fields["channel"] == "sms"


def test_reading_a_csv_with_english_headers_any_case_and_semicolons():
    data = "\ufeffNAME;Phone;regency\r\nIbu Siti;0812;Kapuas\r\n;;\r\nIbu Ani;0813;Kapuas\r\n"
    rows = read_producers(read_table(data.encode()))
    assert [(row.row, row.fields["name"]) for row in rows] == [(2, "Ibu Siti"), (4, "Ibu Ani")]


def test_unknown_headers_are_named():
    with pytest.raises(UnreadableFile) as refused:
        read_producers(read_table(b"nama,telepon,kabupaten,alamat\nA,1,K,jalan\n"))
    assert "'alamat'" in refused.value.message.indonesian
    assert "'alamat'" in refused.value.message.english


def test_missing_required_columns_are_named():
    with pytest.raises(UnreadableFile) as refused:
        read_producers(read_table(b"nama,email\nA,a@b.id\n"))
    message = refused.value.message
    assert "telepon" in message.indonesian and "regency" in message.english


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\x00\x01\x02binary", b"PK\x03\x04not really a zip", b"", b"\n\n"],
)
def test_a_file_that_is_neither_xlsx_nor_csv_is_refused(data):
    with pytest.raises(UnreadableFile):
        read_producers(read_table(data))


def test_the_template_reads_back_as_its_headers():
    book = opened(producer_file.template("id"))
    assert [c.value for c in book.active[1]] == list(producer_file.TEMPLATE_HEADERS["id"])
    with pytest.raises(UnreadableFile, match="no producers"):
        read_producers(read_table(producer_file.template("en")))


async def test_the_queue_is_read_to_its_end_and_buyers_in_batches():
    waiting = [
        {"position": i, "order_id": f"o{i}", "priority_class": "public", "quantity": 1,
         "allocated": 0, "forfeited": 0, "accept_partial": False,
         "placed_at": "2026-11-28T01:00:00+00:00"}
        for i in range(1, 2501)
    ]  # fmt: skip
    asked: list[tuple[str, tuple[str, ...], object]] = []

    async def fetch(service, path, query):
        asked.append((service, path, query))
        if path[-1] == "queue":
            return {"orders": waiting[query["offset"] : query["offset"] + query["limit"]]}
        if path == ("v1", "orders"):
            return {"orders": [{"id": v, "buyer": {"name": f"B {v}"}} for _, v in query]}
        return {"code": "H", "timezone": "Asia/Makassar"}

    report = await reports.gather_queue(fetch, "H", "masker-kain")
    rows = report.sheets[0].rows
    assert [row["position"] for row in rows] == list(range(1, 2501))
    assert rows[-1]["buyer_name"] == "B o2500"
    assert sum(1 for _, path, _ in asked if path[-1] == "queue") == 3
    assert sum(1 for _, path, _ in asked if path == ("v1", "orders")) == 25
    assert str(report.zone) == "Asia/Makassar"


def test_intakes_row_numbers_become_the_spreadsheets():
    from services.console.pages.reports import sheet_rows

    rows = [
        producer_file.ImportRow(2, {}),
        producer_file.ImportRow(5, {}),
        producer_file.ImportRow(6, {}),
    ]
    errors = [{"row": 3, "field": "phone", "message": "x"}, {"row": 1, "field": "name"}]
    assert [(e["row"], e["field"]) for e in sheet_rows(errors, rows)] == [
        (2, "name"),
        (6, "phone"),
    ]
