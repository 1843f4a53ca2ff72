"""The funder's report of a programme as XLSX and PDF, from the report JSON of the contract:
the workbook read back with openpyxl, the PDF's text extracted with pypdf, as the funder's
office would open them."""

import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.console import funder_pdf, funder_report
from services.console.funder_report import FunderReport, rupiah

PROGRAMME_ID = "7b0c2f0e-1111-4a4a-9a9a-000000000001"
SITI, ANI, GONE = (
    f"{digit * 8}-{digit * 4}-4{digit * 3}-8{digit * 3}-{digit * 12}" for digit in "123"
)
BIG_SEED = 4611686018427387903  # 2**62 - 1: more digits than a spreadsheet's number keeps


def report(**changes) -> dict:
    base = {
        "programme": {
            "id": PROGRAMME_ID,
            "hub": "kalteng",
            "name": "Masker Gratis Desember",
            "funder": "Dinas Kesehatan Provinsi",
            "budget": 10_000_000,
            "products": [{"sku": "masker-kain", "unit_price": 5000}],
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "units_per_recipient": 2,
            "regencies": ["Kota Palangka Raya", "Kapuas"],
            "buyer_types": ["individual", "health_facility"],
            "selection": "lottery",
            "status": "open",
            "budget_committed": 2_000_000,
            "budget_spent": 1_234_567,
            "budget_left": 6_765_433,
            "applications": 12,
            "created_at": "2026-11-30T01:00:00+00:00",
        },
        "budget": {
            "total": 10_000_000,
            "committed": 2_000_000,
            "spent": 1_234_567,
            "left": 6_765_433,
        },  # fmt: skip
        "units_by_day": [
            {"day": "2026-12-02", "region": "Kapuas", "recipient_type": "individual", "units": 4},
            {
                "day": "2026-12-02",
                "region": "Kota Palangka Raya",
                "recipient_type": "health_facility",
                "units": 40,
            },  # fmt: skip
            {"day": "2026-12-03", "region": "Kapuas", "recipient_type": "individual", "units": 2},
        ],
        "producers": [
            {"producer_id": SITI, "units": 30, "amount": 150_000},
            {"producer_id": ANI, "units": 15, "amount": 75_000},
            {"producer_id": GONE, "units": 1, "amount": 5_000},
        ],
        "draws": [
            {
                "id": "44444444-4444-4444-8444-444444444444",
                "at": "2026-12-02T03:00:00+00:00",
                "kind": "lottery",
                "seed": BIG_SEED,
                "entrants": 120,
                "winners": 45,
            },  # fmt: skip
            {
                "id": "55555555-5555-4555-8555-555555555555",
                "at": "2026-12-03T03:00:00+00:00",
                "kind": "all_admitted",
                "seed": 17,
                "entrants": 3,
                "winners": 3,
            },  # fmt: skip
        ],
        "generated_at": "2026-12-05T14:30:00+00:00",
    }
    return {**base, **changes}


HUB = {"code": "kalteng", "name": "PLUT Kalimantan Tengah", "timezone": "Asia/Jakarta",
       "address": "Jl. Tjilik Riwut Km 5, Palangka Raya"}  # fmt: skip
NAMES = {SITI: "Ibu Siti Nurhaliza", ANI: "Ibu Ani Őrs 王"}


def funder(**changes) -> FunderReport:
    return FunderReport(report(**changes), HUB, NAMES)


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_rupiah_is_written_the_centres_way():
    assert rupiah(1_234_567) == "Rp1.234.567"
    assert rupiah(5000) == "Rp5.000"
    assert rupiah(0) == "Rp0"


def test_the_workbook_reads_back_with_the_budget_units_producers_and_draws():
    book = load_workbook(io.BytesIO(funder_report.xlsx(funder(), "id")))

    assert book.sheetnames == ["Program", "Unit per hari", "Produsen dibayar", "Undian"]
    summary = dict(
        zip((c.value for c in book["Program"][1]), (c for c in book["Program"][2]), strict=True)
    )
    assert summary["Program"].value == "Masker Gratis Desember"
    assert summary["Hub"].value == "PLUT Kalimantan Tengah"
    assert summary["Mulai"].value == datetime(2026, 12, 1)
    assert [summary[k].value for k in ("Anggaran", "Terikat", "Terpakai", "Sisa")] == [
        10_000_000, 2_000_000, 1_234_567, 6_765_433]  # fmt: skip
    assert summary["Sisa"].number_format == '"Rp"#,##0'
    assert summary["Seleksi"].value == "Undian"
    assert summary["Jenis penerima"].value == "Perorangan, Fasilitas kesehatan"
    assert summary["Dibuat"].value == datetime(2026, 12, 5, 21, 30)  # the hub's wall clock
    days = list(book["Unit per hari"].iter_rows(min_row=2, values_only=True))
    assert days[1] == (datetime(2026, 12, 2), "Kota Palangka Raya", "Fasilitas kesehatan", 40)
    paid = {row[0]: row for row in book["Produsen dibayar"].iter_rows(min_row=2, values_only=True)}
    assert paid["Ibu Siti Nurhaliza"][1:3] == (30, 150_000)
    assert paid["(produsen tidak dikenal)"][3] == GONE  # a producer intake no longer knows
    draws = list(book["Undian"].iter_rows(min_row=2, values_only=True))
    assert draws[0][0] == datetime(2026, 12, 2, 10, 0)
    assert draws[0][2] == str(BIG_SEED)  # every digit, as text: the draw can be replayed
    assert draws[0][3:5] == (120, 45)
    assert draws[1][1] == "Semua diterima (tanpa undian)"


def test_the_workbook_follows_the_operators_language():
    book = load_workbook(io.BytesIO(funder_report.xlsx(funder(), "en")))
    assert book.sheetnames == ["Programme", "Units per day", "Producers paid", "Draws"]
    assert book["Programme"]["K2"].value == "Lottery"


def test_a_formula_from_outside_stays_text_in_the_workbook():
    NAMES_WITH_FORMULA = {SITI: '=HYPERLINK("http://evil.example","Klik")'}
    unsafe = FunderReport(report(), HUB, NAMES_WITH_FORMULA)
    sheet = load_workbook(io.BytesIO(funder_report.xlsx(unsafe, "id")))["Produsen dibayar"]
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_the_pdf_is_a_document_with_letterhead_budget_units_producers_draws_and_pages():
    text, pages = pdf_text(funder_pdf.pdf(funder()))

    head = text.splitlines()[:6]
    assert head[:3] == ["PUSAT LAYANAN USAHA TERPADU (PLUT)", "PLUT KALIMANTAN TENGAH",
                        "Jl. Tjilik Riwut Km 5, Palangka Raya"]  # fmt: skip
    assert "LAPORAN PROGRAM UNTUK PENYANDANG DANA" in head and "Funder's report" in head
    assert "Penyandang dana / Funder Dinas Kesehatan Provinsi" in text
    assert "Periode / Period 1 Desember 2026 s.d. 31 Desember 2026" in text
    assert "Anggaran\nBudget" in text  # Indonesian first, English under the heading
    for figure in ("Rp10.000.000", "Rp2.000.000", "Rp1.234.567", "Rp6.765.433"):
        assert figure in text
    assert "02-12-2026 Kota Palangka Raya Fasilitas kesehatan 40" in text
    assert "Jumlah / Total 46" in text  # units given, summed
    assert "Ibu Siti Nurhaliza 30 Rp150.000" in text
    assert "Ibu Ani Ors ? 15 Rp75.000" in text  # beyond Latin-1: the base letter, else "?"
    assert "(produsen tidak dikenal) 1 Rp5.000" in text
    assert f"Undian / Lottery {BIG_SEED} 120 45" in text
    assert "Dibuat / Generated: 05-12-2026 21:30 WIB" in text
    assert f"Halaman {pages} dari {pages} / Page {pages} of {pages}" in text


def test_a_long_report_runs_over_pages_each_numbered():
    many = [
        {
            "day": f"2026-12-{day:02d}",
            "region": f"Kabupaten {index}",
            "recipient_type": "individual",
            "units": 1,
        }  # fmt: skip
        for day in range(1, 31)
        for index in range(8)
    ]
    text, pages = pdf_text(funder_pdf.pdf(funder(units_by_day=many)))
    assert pages > 3
    numbers = re.findall(r"Halaman (\d+) dari (\d+)", text)
    assert numbers == [(str(page), str(pages)) for page in range(1, pages + 1)]
    assert f"Jumlah / Total {len(many)}" in text


def test_an_empty_programme_says_so_in_each_section():
    empty = funder(units_by_day=[], producers=[], draws=[])
    text, _ = pdf_text(funder_pdf.pdf(empty))
    assert "Belum ada unit yang diberikan. / No units given yet." in text
    assert "Belum ada produsen yang dibayar. / No producer paid yet." in text
    assert "Belum ada undian. / No draw yet." in text


@pytest.mark.parametrize(
    "hostile",
    ["Ibu \x00Siti\x1b[31m", "王小明", "😷 masker", "a" * 500, "Dinas — “Kesehatan”", "\u202eevil"],
)
def test_any_name_from_outside_still_makes_the_pdf(hostile):
    made = FunderReport(
        report(programme={**report()["programme"], "name": hostile, "funder": hostile}),
        {**HUB, "name": hostile, "address": hostile},
        {SITI: hostile},
    )
    text, _ = pdf_text(funder_pdf.pdf(made))
    assert "Rp1.234.567" in text


def test_the_file_names_are_safe_in_a_header():
    hostile = funder(programme={**report()["programme"], "name": 'Masker "Gratis"\r\n../x'})
    assert funder_report.file_name(hostile, "id", "pdf") == (
        "laporan-program-kalteng-masker-gratis-x-2026-12-05.pdf"
    )
    assert funder_report.file_name(funder(), "en", "xlsx") == (
        "programme-report-kalteng-masker-gratis-desember-2026-12-05.xlsx"
    )
