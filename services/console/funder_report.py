"""The funder's report of a free-mask programme (issue 21), from the orders service's report
(GET /v1/programmes/{id}/report), the hub's name and address and the producers' names (both
intake's). Pure: the answers become a `FunderReport`, and that becomes XLSX bytes here (through
reports.py, as every export) or PDF bytes (funder_pdf.py).

Seeds are 62-bit numbers: a spreadsheet keeps 15 digits of a number, so a seed is written as
text, or nobody could replay the draw from the file.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.console import reports
from services.console.reports import Column, Report, Sheet
from shared import formats
from shared.order_form import BUYER_TYPE_NAMES
from shared.problems import Text

NAME = Text("laporan-program", "programme-report")
SELECTIONS = {
    "lottery": Text("Undian", "Lottery"),
    "first_come": Text("Siapa cepat dia dapat", "First come, first served"),
}
DRAW_KINDS = {
    "lottery": Text("Undian", "Lottery"),
    "all_admitted": Text("Semua diterima (tanpa undian)", "All admitted (no lottery needed)"),
}
EVERY_REGENCY = Text("Semua kabupaten/kota", "Every regency")
UNKNOWN_PRODUCER = Text("(produsen tidak dikenal)", "(unknown producer)")


@dataclass(frozen=True)
class FunderReport:
    report: dict[str, Any]  # the orders service's answer, as the contract has it
    hub: dict[str, Any]  # intake's hub: name, address, timezone
    producer_names: dict[str, str] = field(default_factory=dict)  # producer id -> name

    @property
    def programme(self) -> dict[str, Any]:
        return self.report["programme"]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hub.get("timezone") or "Asia/Jakarta")

    @property
    def generated_at(self) -> datetime:
        return self.local(self.report["generated_at"])

    def local(self, moment: str) -> datetime:
        return datetime.fromisoformat(moment).astimezone(self.zone)

    def producer_name(self, producer_id: Any, language: str) -> str:
        known = self.producer_names.get(str(producer_id))
        return known or UNKNOWN_PRODUCER.in_language(language)


# Words and figures, shared by both files


def rupiah(amount: int) -> str:
    """1234567 -> "Rp1.234.567": the centre's way, in either language of the report."""
    return formats.rupiah(amount, "id")


def thousands(count: int) -> str:
    """12345 -> "12.345"."""
    return formats.number(count, "id")


def named(names: dict[str, Text], value: str, language: str) -> str:
    """A code's name in `language`; a code the console does not know, as it is."""
    return names[value].in_language(language) if value in names else value


def buyer_type(value: str, language: str) -> str:
    return named(BUYER_TYPE_NAMES, value, language)


def regencies(programme: dict[str, Any], language: str) -> str:
    return ", ".join(programme.get("regencies") or []) or EVERY_REGENCY.in_language(language)


def buyer_types(programme: dict[str, Any], language: str) -> str:
    return ", ".join(buyer_type(kind, language) for kind in programme.get("buyer_types", []))


def products(programme: dict[str, Any]) -> str:
    return ", ".join(
        f"{product['sku']} @ {rupiah(product['unit_price'])}"
        for product in programme.get("products", [])
    )


def file_name(funder: FunderReport, language: str, extension: str) -> str:
    """laporan-program-kalteng-masker-gratis-2026-12-05.pdf: safe in any header."""
    slug = re.sub(r"[^a-z0-9]+", "-", funder.programme["name"].lower()).strip("-")[:40]
    report = Report(NAME, [])
    parts = [funder.programme["hub"], slug or "program", funder.generated_at.date()]
    return reports.file_name(report, language, *parts, extension=extension)


# XLSX

PROGRAMME_COLUMNS = (
    Column("name", Text("Program", "Programme"), width=30),
    Column("funder", Text("Penyandang dana", "Funder"), width=28),
    Column("hub_name", Text("Hub", "Hub"), width=24),
    Column("starts_on", Text("Mulai", "Starts"), "date", 12),
    Column("ends_on", Text("Selesai", "Ends"), "date", 12),
    Column("budget", Text("Anggaran", "Budget"), "rupiah", 16),
    Column("committed", Text("Terikat", "Committed"), "rupiah", 16),
    Column("spent", Text("Terpakai", "Spent"), "rupiah", 16),
    Column("left", Text("Sisa", "Left"), "rupiah", 16),
    Column("units_per_recipient", Text("Unit per penerima", "Units per recipient"), "int", 18),
    Column("selection", Text("Seleksi", "Selection"), width=22),
    Column("products", Text("Produk dan harga", "Products and price"), width=30),
    Column("regencies", Text("Kabupaten/kota", "Regencies"), width=30),
    Column("buyer_types", Text("Jenis penerima", "Recipient types"), width=30),
    Column("applications", Text("Permohonan", "Applications"), "int"),
    Column("generated_at", Text("Dibuat", "Generated"), "datetime", 18),
    Column("id", Text("ID program", "Programme id"), width=38),
)
DAY_COLUMNS = (
    Column("day", Text("Tanggal", "Date"), "date", 12),
    Column("region", Text("Kabupaten/kota", "Regency"), width=26),
    Column("recipient_type", Text("Jenis penerima", "Recipient type"), width=22),
    Column("units", Text("Unit diberikan", "Units given"), "int", 16),
)
PRODUCER_COLUMNS = (
    Column("name", Text("Produsen", "Producer"), width=28),
    Column("units", Text("Unit", "Units"), "int", 10),
    Column("amount", Text("Dibayar", "Paid"), "rupiah", 16),
    Column("producer_id", Text("ID produsen", "Producer id"), width=38),
)
DRAW_COLUMNS = (
    Column("at", Text("Waktu", "At"), "datetime", 18),
    Column("kind", Text("Jenis", "Kind"), width=28),
    Column("seed", Text("Seed", "Seed"), width=22),
    Column("entrants", Text("Peserta", "Entrants"), "int", 10),
    Column("winners", Text("Pemenang", "Winners"), "int", 10),
    Column("id", Text("ID undian", "Draw id"), width=38),
)


def spreadsheet(funder: FunderReport, language: str) -> Report:
    programme, budget = funder.programme, funder.report["budget"]
    summary = {
        **programme,
        "hub_name": funder.hub.get("name") or programme["hub"],
        "budget": budget["total"],
        "committed": budget["committed"],
        "spent": budget["spent"],
        "left": budget["left"],
        "selection": named(SELECTIONS, programme["selection"], language),
        "products": products(programme),
        "regencies": regencies(programme, language),
        "buyer_types": buyer_types(programme, language),
        "generated_at": funder.report["generated_at"],
    }
    days = [
        {**row, "recipient_type": buyer_type(row["recipient_type"], language)}
        for row in funder.report["units_by_day"]
    ]
    paid = [
        {**row, "name": funder.producer_name(row["producer_id"], language)}
        for row in funder.report["producers"]
    ]
    draws = [
        {**draw, "kind": named(DRAW_KINDS, draw["kind"], language), "seed": str(draw["seed"])}
        for draw in funder.report["draws"]
    ]
    sheets = [
        Sheet(Text("Program", "Programme"), PROGRAMME_COLUMNS, [summary]),
        Sheet(Text("Unit per hari", "Units per day"), DAY_COLUMNS, days),
        Sheet(Text("Produsen dibayar", "Producers paid"), PRODUCER_COLUMNS, paid),
        Sheet(Text("Undian", "Draws"), DRAW_COLUMNS, draws),
    ]
    return Report(NAME, sheets, funder.zone)


def xlsx(funder: FunderReport, language: str) -> bytes:
    return reports.xlsx(spreadsheet(funder, language), language)


def day_of(value: str) -> date:
    return date.fromisoformat(value[:10])


# Gathering: the report from orders, the hub and the producers' names from intake.

PRODUCERS_PAGE = 1000


async def gather(fetch: reports.Fetch, programme_id: str) -> FunderReport:
    """`fetch` as reports.py's: the console's Backends, or the CLI's plain HTTP."""
    report = await fetch("orders", ("v1", "programmes", programme_id, "report"), None)
    hub_code = report["programme"]["hub"]
    hub = await fetch("intake", ("v1", "hubs", hub_code), None)
    wanted = {str(row["producer_id"]) for row in report["producers"]}
    names: dict[str, str] = {}
    offset = 0
    while wanted - names.keys():
        query = {"hub": hub_code, "limit": PRODUCERS_PAGE, "offset": offset}
        page = await fetch("intake", ("v1", "producers"), query)
        names |= {str(p["id"]): p["name"] for p in page["producers"] if str(p["id"]) in wanted}
        offset += len(page["producers"])
        if len(page["producers"]) < PRODUCERS_PAGE:
            break
    return FunderReport(report, hub, names)
