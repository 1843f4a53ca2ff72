"""What the console writes into a spreadsheet cell: every export's cells go through here.

Names in exports come from outside (a partner's buyer, a producer's name typed at the
counter): `=HYPERLINK("http://evil.example","Klik")` or `=cmd|' /C calc'!A0` would become a
live formula in the centre's Excel. As OWASP advises for CSV injection, text starting with
`=`, `+`, `-`, `@`, TAB or CR gets a leading `'`, which makes a spreadsheet show it as text;
in XLSX the cell is also typed as a string (data_type "s"), never a formula. A plain signed
number as text (`+6281234567890`, `-5`) runs nothing and is left alone; numbers, dates and
money stay what they are.
"""

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)*")


def inert_text(text: str) -> str:
    """`text` as a spreadsheet will show it and never run it."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_value(value: Any) -> Any:
    return inert_text(value) if isinstance(value, str) else value


def xlsx_value(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Any:
    """What to append to a write-only sheet's row for `value`: the value itself where nothing
    is to be said about it (fastest for a 100,000-row export), else a cell."""
    if isinstance(value, str):
        shown = inert_text(value)
        if shown is value:
            return value  # openpyxl types a string not starting with '=' as text
        cell = WriteOnlyCell(sheet, value=shown)
        cell.data_type = "s"
        return cell
    if number_format is None or value is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell
