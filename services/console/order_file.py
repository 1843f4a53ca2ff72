"""An agency's spreadsheet of orders (read within bounds by uploads.py): its rows as the counter's
order form would take them, each checked with the form's own rules (shared/order_form.py), every
error named by the spreadsheet's row number and column; and the template to fill in. Pure.

Headers may be in either language, values too (`ya`/`yes`, `Perorangan`/`Individual`/
`individual`). A cell that reads as a formula (`=HYPERLINK(...)`) is refused, not kept: the
name would go on into the centre's messages and exports.
"""

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.console.cells import FORMULA_STARTS, csv_value, inert_text
from services.console.sheet_columns import cell_text, header_of, title_words
from services.console.uploads import Table, UnreadableFile
from shared import order_form
from shared.problems import Text

MAX_ORDERS = 500  # the orders API's most in one batch
# The form's field: its column's name in each language, then other headers taken for it.
COLUMNS = {
    "sku": ("produk", "product", "sku", "kode produk"),
    "quantity": ("jumlah", "quantity", "qty", "jumlah unit"),
    "accept_partial": ("terima sebagian", "accept partial", "sebagian", "partial"),
    "name": ("nama", "name", "nama pembeli", "buyer name"),
    "buyer_type": ("jenis pembeli", "buyer type", "jenis", "type"),
    "region": ("kabupaten/kota", "region", "kabupaten", "kota", "district", "wilayah"),
    "phone": ("nomor hp", "phone", "no hp", "hp", "telepon", "mobile"),
    "email": ("email", "email", "surel", "e-mail"),
    "language": ("bahasa", "language"),
    "channel": ("saluran", "channel"),
}
REQUIRED = ("quantity", "name", "buyer_type", "region", "phone")
_YES = {"ya": "ya", "y": "ya", "yes": "ya", "true": "ya", "1": "ya", "": "ya"}
_NO = {"tidak": "tidak", "t": "tidak", "no": "tidak", "n": "tidak", "false": "tidak", "0": "tidak"}
_BUYER_TYPES = {
    **{code: code for code in order_form.BUYER_TYPES},
    **{name.indonesian.lower(): code for code, name in order_form.BUYER_TYPE_NAMES.items()},
    **{name.english.lower(): code for code, name in order_form.BUYER_TYPE_NAMES.items()},
}
_LANGUAGES = {"": "id", "id": "id", "indonesia": "id", "bahasa indonesia": "id"}
_LANGUAGES |= {"en": "en", "english": "en", "inggris": "en", "bahasa inggris": "en"}
_CHANNELS = {"wa": "whatsapp", "whatsapp": "whatsapp", "sms": "sms", "email": "email", "": ""}
_PHONE_LIKE = re.compile(r"[+-]?[0-9][0-9 ().-]*")
FORMULA = Text(
    "rumus tidak diterima; ketik nilainya saja", "a formula is not taken; type the value itself"
)


NAMES = {field: Text(titles[0], titles[1]) for field, titles in COLUMNS.items()}


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    field: str  # the form's field, whose column is named in the page's language
    message: Text


@dataclass(frozen=True)
class OrderRow:
    row: int
    sku: str
    order: dict[str, Any]  # the orders API's body, less the hub and sku


@dataclass(frozen=True)
class Products:
    """What the hub sells (sku -> its per-buyer daily cap, None: no cap) and the product chosen
    on the page for rows that name none."""

    caps: dict[str, int | None]
    chosen: str = ""


def read_orders(table: Table, products: Products) -> tuple[list[OrderRow], list[RowError]]:
    """The orders of an uploaded file's table, and every error of every row; UnreadableFile
    when the file as a whole cannot be orders (no header, unknown columns, too many rows)."""
    header_at, fields = header_of(table, COLUMNS, REQUIRED, NAMES)
    if "sku" not in fields.values() and products.chosen not in products.caps:
        raise UnreadableFile(
            Text(
                "Pilih produk di halaman ini, atau isi kolom 'produk'",
                "Choose the product on this page, or fill in a 'product' column",
            )
        )
    rows = []
    for number, cells in table:
        typed = {fields[index]: value for index, value in enumerate(cells) if index in fields}
        if number > header_at and any(cell_text(value) for value in typed.values()):
            rows.append((number, typed))  # blank rows (Excel keeps many) are skipped
    if not rows:
        raise UnreadableFile(Text("Berkas tidak berisi pesanan", "The file has no orders"))
    if len(rows) > MAX_ORDERS:
        raise UnreadableFile(
            Text(
                f"Berkas berisi {len(rows)} pesanan; paling banyak {MAX_ORDERS} sekali unggah",
                f"The file holds {len(rows)} orders; at most {MAX_ORDERS} an upload",
            )
        )
    orders, errors = [], []
    for number, cells in rows:
        order = _checked_row(number, cells, products, errors)
        if order is not None:
            orders.append(order)
    errors += _over_cap(orders, products)
    return orders, sorted(errors, key=lambda e: (e.row, list(COLUMNS).index(e.field)))


def _checked_row(
    number: int, cells: dict[str, Any], products: Products, errors: list[RowError]
) -> OrderRow | None:
    typed = {
        name: cell_text(cells.get(name), name)[: order_form.MAX_FIELD_LENGTH] for name in COLUMNS
    }
    formulas = [name for name, value in typed.items() if _is_formula(value)]
    errors += [RowError(number, name, FORMULA) for name in formulas]
    sku = typed.pop("sku") or products.chosen
    wrong_sku = sku not in products.caps
    if wrong_sku and "sku" not in formulas:
        errors.append(
            RowError(
                number,
                "sku",
                Text(
                    f"produk '{inert_text(sku)}' tidak dijual di hub ini",
                    f"product '{inert_text(sku)}' is not sold in this hub",
                ),
            )
        )
    checked = order_form.check(_as_the_form_takes(typed), products.caps.get(sku))
    errors += [
        RowError(number, field, message)
        for field, message in checked.errors.items()
        if field not in formulas
    ]
    if wrong_sku or formulas or checked.order is None:
        return None
    return OrderRow(number, sku, checked.order)


def _is_formula(text: str) -> bool:
    """What a spreadsheet would run; a phone written `+62 812-3456-7890` is no formula."""
    return text.startswith(FORMULA_STARTS) and not _PHONE_LIKE.fullmatch(text)


def _as_the_form_takes(typed: dict[str, str]) -> dict[str, str]:
    """The file's words for the form's choices (`yes`, `Perorangan`, `WA`) as the form's values;
    anything else is left as typed, for the form's checks to name."""

    def choice(field: str, *choices: dict[str, str]) -> str:
        words = title_words(typed[field])
        return next((c[words] for c in choices if words in c), typed[field])

    return {
        **typed,
        "accept_partial": choice("accept_partial", _YES, _NO),
        "buyer_type": choice("buyer_type", _BUYER_TYPES),
        "language": choice("language", _LANGUAGES),
        "channel": choice("channel", _CHANNELS),
    }


def _over_cap(orders: list[OrderRow], products: Products) -> list[RowError]:
    """The product's per-buyer daily cap holds for a buyer's rows together, as it does for their
    orders one by one: the row that goes over it is named, with those before it."""
    errors = []
    taken: dict[tuple[str, str], list[OrderRow]] = defaultdict(list)
    for order in orders:
        cap = products.caps.get(order.sku)
        phone = order.order["buyer"]["phone"]
        before = taken[(order.sku, phone)]
        total = order.order["quantity"] + sum(o.order["quantity"] for o in before)
        if cap is not None and before and total > cap:
            rows = ", ".join(str(o.row) for o in before)
            errors.append(
                RowError(
                    order.row,
                    "quantity",
                    Text(
                        f"dengan baris {rows}, nomor HP ini memesan {total} unit;"
                        f" paling banyak {cap} per pembeli per hari",
                        f"with rows {rows}, this phone orders {total} units;"
                        f" at most {cap} a buyer a day",
                    ),
                )
            )
        before.append(order)
    return errors


def _example(language: str, sku: str) -> list[Any]:
    """The template's one filled row, in the template's language."""
    agency = order_form.BUYER_TYPE_NAMES["agency"].in_language(language)
    accept = "ya" if language == "id" else "yes"
    return [
        sku,
        10,
        accept,
        "Dinas Kesehatan Kota Palangka Raya",
        agency,
        "Palangka Raya",
        "0812 3456 7890",
        "",
        language,
        "whatsapp",
    ]


def _headers(language: str) -> list[str]:
    return [aliases[0 if language == "id" else 1] for aliases in COLUMNS.values()]


def template_xlsx(language: str, sku: str) -> bytes:
    """The headers and an example row; the phone column typed as text (Excel keeps its 0)."""
    book = Workbook()
    sheet = book.active
    sheet.title = Text("Pesanan", "Orders").in_language(language)
    sheet.append(_headers(language))
    sheet.append([csv_value(value) for value in _example(language, sku)])
    phone = list(COLUMNS).index("phone") + 1
    for index, width in enumerate((16, 10, 16, 36, 22, 22, 18, 28, 10, 12), start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        sheet[f"{letter}1"].font = Font(bold=True)
    for (cell,) in sheet.iter_rows(min_row=2, max_row=MAX_ORDERS + 1, min_col=phone, max_col=phone):
        cell.number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv(language: str, sku: str) -> bytes:
    """The same as CSV: UTF-8 with a BOM, so Excel reads its letters right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headers(language))
    writer.writerow([csv_value(value) for value in _example(language, sku)])
    return out.getvalue().encode()
