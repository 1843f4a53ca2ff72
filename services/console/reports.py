"""The reports staff take home as spreadsheets (the file they bring back is producer_file.py).
Pure: the services' answers become rows, rows become XLSX bytes or CSV text. The console's
pages and the `plut` CLI gather the answers (through a `Fetch` they pass in) and use the same
functions, so both give the same files.

XLSX cells are real numbers and dates with the formats Excel shows the centre's way; CSV is for
other programs: ISO dates, plain integers, and a BOM so that Excel still reads it as UTF-8.
Every cell of either is written through cells.py, so no name from outside becomes a formula.
"""

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.console.cells import csv_value, xlsx_value
from shared.problems import Text

RUPIAH_FORMAT = '"Rp"#,##0'
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
FORMATS = {"rupiah": RUPIAH_FORMAT, "date": DATE_FORMAT, "datetime": DATETIME_FORMAT}
BOM = "\ufeff"
# The allocator's queue answers at most this many rows a page.
QUEUE_PAGE = 1000
# Order ids per batch read from the orders service: a URL stays well under any server's limit.
ORDERS_BATCH = 100
# A queue of 100,000 is a thousand batches: a few at once, without crowding the orders service.
BATCHES_AT_ONCE = 4


@dataclass(frozen=True)
class Column:
    key: str
    title: Text
    kind: str = "text"  # text | int | rupiah | date | datetime | bool
    width: int = 14
    # A value named here is shown as its words in the operator's language (a code otherwise).
    labels: dict[str, Text] = field(default_factory=dict)

    def label(self, value: Any, language: str) -> Any:
        if isinstance(value, str) and value in self.labels:
            return self.labels[value].in_language(language)
        return value


@dataclass
class Sheet:
    title: Text
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Report:
    name: Text  # the file name's first word
    sheets: list[Sheet]
    # Datetimes are shown in the hub's zone: a spreadsheet has no time zones.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))


# Writing


def _local(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(zone)
    return value


def _as_date(value: Any) -> date | None:
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return value or None


def _sheet_title(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's title."""
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31]


def xlsx(report: Report, language: str) -> bytes:
    """The report as a workbook, streamed row by row (write-only), so a queue of 100,000 rows
    never sits in memory as cells: a bold frozen header, widths, rupiah and date formats."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in report.sheets:
        page = book.create_sheet(_sheet_title(sheet.title.in_language(language)))
        page.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            page.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(page, value=column.title.in_language(language))
            cell.font = bold
            header.append(cell)
        page.append(header)
        for row in sheet.rows:
            cells = []
            for column in sheet.columns:
                value = column.label(row.get(column.key), language)
                if column.kind == "date":
                    value = _as_date(value)
                elif column.kind == "datetime":
                    # Excel has no time zones: the hub's wall clock, without the offset.
                    local = _local(value, report.zone)
                    value = local.replace(tzinfo=None) if local else None
                elif column.kind == "bool":
                    value = _yes_no(value, language)
                cells.append(xlsx_value(page, value, FORMATS.get(column.kind)))
            page.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


YES, NO = Text("ya", "yes"), Text("tidak", "no")


def _yes_no(value: Any, language: str) -> str | None:
    return None if value is None else (YES if value else NO).in_language(language)


def csv_text(report: Report, language: str, sheet: int = 0) -> str:
    """One sheet as CSV (a CSV file has one table): UTF-8 with a BOM, a header row, ISO dates,
    integers without separators."""
    chosen = report.sheets[sheet]
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.title.in_language(language) for column in chosen.columns])
    for row in chosen.rows:
        line = []
        for column in chosen.columns:
            value = column.label(row.get(column.key), language)
            if value is None:
                line.append("")
            elif column.kind == "date":
                line.append(_as_date(value).isoformat())
            elif column.kind == "datetime":
                line.append(_local(value, report.zone).isoformat(timespec="seconds"))
            elif column.kind == "bool":
                line.append(_yes_no(value, language))
            else:
                line.append(csv_value(value))
        writer.writerow(line)
    return out.getvalue()


def file_name(report: Report, language: str, *parts: object, extension: str) -> str:
    """`pembayaran-kalteng-2026-11-01-2026-11-28.xlsx`: only characters safe in any header."""
    stem = "-".join([report.name.in_language(language), *(str(part) for part in parts)])
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem) + "." + extension


# The reports

SKU = Column("sku", Text("Produk", "Product"), width=20)
PRODUCT_NAME = Column("product_name", Text("Nama produk", "Product name"), width=28)

DAY_COLUMNS = (
    Column("day", Text("Tanggal", "Date"), "date", 12),
    SKU,
    PRODUCT_NAME,
    Column("received", Text("Diterima", "Received"), "int"),
    Column("allocated", Text("Dialokasikan", "Allocated"), "int"),
    Column("fulfilled", Text("Diambil", "Collected"), "int"),
    Column("waiting_units", Text("Unit menunggu", "Units waiting"), "int", 16),
    Column("waiting_orders", Text("Pesanan menunggu", "Orders waiting"), "int", 18),
    Column("buyers_unserved", Text("Pembeli belum terlayani", "Buyers unserved"), "int", 24),
)


def day_report(days: dict, catalog: Iterable[dict] = ()) -> Report:
    """allocator GET /v1/hubs/{hub}/days, one row per product and day; `catalog` (orders' GET
    /v1/hubs/{hub}/products) adds the products' names."""
    names = {product["sku"]: product.get("name") for product in catalog}
    rows = [{**row, "product_name": names.get(row["sku"])} for row in days["days"]]
    sheet = Sheet(Text("Laporan hari", "Day report"), DAY_COLUMNS, rows)
    return Report(Text("hari", "day"), [sheet], _zone(days.get("timezone")))


PRODUCER = Column("name", Text("Produsen", "Producer"), width=28)
PRODUCER_ID = Column("producer_id", Text("ID produsen", "Producer id"), width=38)
UNITS_SOLD = Column("units_sold", Text("Unit terjual", "Units sold"), "int")
EARNINGS = Column("earnings", Text("Pendapatan", "Earnings"), "rupiah", 16)
# Units a free-mask programme paid for are paid at its price and marked "Program".
SALE_KINDS = {"sale": Text("Penjualan", "Sale"), "programme": Text("Program", "Programme")}
PAYOUT_COLUMNS = (
    Column("day", Text("Tanggal", "Date"), "date", 12),
    PRODUCER,
    Column("phone", Text("Telepon", "Phone"), width=16),
    Column("regency", Text("Kabupaten", "Regency"), width=22),
    SKU,
    UNITS_SOLD,
    Column("unit_price", Text("Harga satuan", "Unit price"), "rupiah"),
    EARNINGS,
    PRODUCER_ID,
    Column("kind", Text("Jenis penjualan", "Sale kind"), width=16, labels=SALE_KINDS),
    Column("programme_id", Text("ID program", "Programme id"), width=38),
)
TOTAL_COLUMNS = (
    PRODUCER,
    UNITS_SOLD,
    EARNINGS,
    PRODUCER_ID,
    Column("programme_units_sold", Text("Unit program", "Programme units"), "int", 16),
    Column("programme_earnings", Text("Pendapatan program", "Programme earnings"), "rupiah", 20),
)


def payouts_report(payouts: dict, timezone: str | None = None) -> Report:
    """intake GET /v1/payouts: a sheet of producers' days (a programme's sales on rows of their
    own, marked), and a sheet of their totals (with the part programmes paid)."""
    return Report(
        Text("pembayaran", "payouts"),
        [
            Sheet(Text("Pembayaran", "Payouts"), PAYOUT_COLUMNS, list(payouts["rows"])),
            Sheet(
                Text("Total per produsen", "Totals per producer"),
                TOTAL_COLUMNS,
                list(payouts["totals"]),
            ),
        ],  # fmt: skip
        _zone(timezone),
    )


QUEUE_COLUMNS = (
    Column("position", Text("Urutan", "Position"), "int", 9),
    Column("buyer_name", Text("Pembeli", "Buyer"), width=30),
    Column("buyer_type", Text("Jenis pembeli", "Buyer type"), width=14),
    Column("region", Text("Wilayah", "Region"), width=18),
    Column("phone", Text("Telepon", "Phone"), width=16),
    Column("priority_class", Text("Kelas prioritas", "Priority class"), width=16),
    Column("quantity", Text("Dipesan", "Ordered"), "int", 10),
    Column("allocated", Text("Dialokasikan", "Allocated"), "int"),
    Column("forfeited", Text("Hangus", "Forfeited"), "int", 10),
    Column("accept_partial", Text("Terima sebagian", "Accepts part"), "bool", 16),
    Column("placed_at", Text("Waktu pesan", "Placed at"), "datetime", 18),
    Column("order_id", Text("ID pesanan", "Order id"), width=38),
)


def queue_report(queue: Iterable[dict], orders: dict[str, dict], timezone: str | None) -> Report:
    """The allocator's queue rows in order, each with its buyer from the orders service."""
    rows = []
    for waiting in queue:
        buyer = orders.get(str(waiting["order_id"]), {}).get("buyer", {})
        rows.append(
            {
                **waiting,
                "buyer_name": buyer.get("name"),
                "buyer_type": buyer.get("type"),
                "region": buyer.get("region"),
                "phone": buyer.get("phone"),
            }
        )
    sheet = Sheet(Text("Antrean", "Queue"), QUEUE_COLUMNS, rows)
    return Report(Text("antrean", "queue"), [sheet], _zone(timezone))


def _zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "Asia/Jakarta")


# Gathering: the same calls for the console (its Backends) and the CLI (plain HTTP).

# (service, path's segments, query) -> the decoded JSON answer; raises on a refusal. The path
# is segments, each escaped whole by the caller (services/console/backends.py's url_path).
Fetch = Callable[[str, tuple[str, ...], Any], Awaitable[Any]]


async def gather_day(fetch: Fetch, hub: str, day: date) -> Report:
    days = await fetch("allocator", ("v1", "hubs", hub, "days"), {"from": day, "to": day})
    catalog = await fetch("orders", ("v1", "hubs", hub, "products"), None)
    return day_report(days, catalog.get("products", []))


async def gather_payouts(fetch: Fetch, hub: str, start: date, end: date) -> Report:
    payouts = await fetch("intake", ("v1", "payouts"), {"hub": hub, "from": start, "to": end})
    about = await fetch("intake", ("v1", "hubs", hub), None)
    return payouts_report(payouts, about.get("timezone"))


async def gather_queue(fetch: Fetch, hub: str, sku: str) -> Report:
    """Every page of the queue to its end, then the buyers' names in batches."""
    waiting: list[dict] = []
    while True:
        page = await fetch(
            "allocator",
            ("v1", "hubs", hub, "products", sku, "queue"),
            {"limit": QUEUE_PAGE, "offset": len(waiting)},
        )
        waiting += page["orders"]
        if len(page["orders"]) < QUEUE_PAGE:
            break
    orders: dict[str, dict] = {}
    gate = asyncio.Semaphore(BATCHES_AT_ONCE)

    async def batch(start: int) -> None:
        ids = [("id", str(row["order_id"])) for row in waiting[start : start + ORDERS_BATCH]]
        async with gate:
            answer = await fetch("orders", ("v1", "orders"), ids)
        orders.update({str(order["id"]): order for order in answer["orders"]})

    await asyncio.gather(*(batch(start) for start in range(0, len(waiting), ORDERS_BATCH)))
    about = await fetch("intake", ("v1", "hubs", hub), None)
    return queue_report(waiting, orders, about.get("timezone"))
