"""The console's PDF documents' paper: an A4 page with the date made and "Halaman n dari N /
Page n of N" at its foot, headings in Bahasa Indonesia with English under them, and tables.
Every text goes through `latin1` on its way in.

fpdf2's core fonts (Helvetica) hold Latin-1 only, and embedding a font would need one in the
image: `latin1` keeps the accented letters Latin-1 has, takes others to their base letter
(ő -> o), turns control characters into spaces and shows anything else as "?", so no name from
outside can stop a document from being made.
"""

import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date, datetime

from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos
from fpdf.table import Table

MONTHS = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()
_PLAIN = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})
GREY = (90, 90, 90)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(228, 233, 240))
BOLD = FontFace(emphasis="BOLD")
# A heading needs this much room below it (mm), or it starts the next page.
HEADING_ROOM = 60


def latin1(text: object) -> str:
    """`text` as the core fonts can write it (see the module's docstring)."""
    shown = []
    for character in str(text).translate(_PLAIN):
        if unicodedata.category(character).startswith("C") and character != "\n":
            shown.append(" ")
        elif ord(character) < 256:
            shown.append(character)
        else:
            base = unicodedata.normalize("NFKD", character)
            base = "".join(c for c in base if ord(c) < 256 and not unicodedata.combining(c))
            shown.append(base or "?")
    return "".join(shown)


def long_date(day: date) -> str:
    """5 Desember 2026: the way an Indonesian letter dates things."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def short_moment(moment: datetime) -> str:
    return f"{short_date(moment.date())} {moment:%H:%M}"


class Document(FPDF):
    """A4, portrait; `made` (in the hub's zone) at the foot of every page with its number."""

    def __init__(self, made: datetime):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.made = f"{short_moment(made)} {made.tzname() or ''}".strip()
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*GREY)
        half = self.epw / 2
        self.cell(half, 5, latin1(f"Dibuat / Generated: {self.made}"))
        page = f"Halaman {self.page_no()} dari {{nb}} / Page {self.page_no()} of {{nb}}"
        self.cell(half, 5, page, align=Align.R)
        self.set_text_color(0, 0, 0)

    def line_of(self, text: str, size: float, style: str = "", align: Align = Align.L) -> None:
        """A paragraph the width of the page."""
        self.set_font("Helvetica", style=style, size=size)
        self.multi_cell(
            0, size * 0.5, latin1(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def note(self, text: str, size: float = 8) -> None:
        self.set_text_color(*GREY)
        self.line_of(text, size)
        self.plain()

    def plain(self) -> None:
        """The tables' text: upright and black (a table takes the font last set)."""
        self.set_font("Helvetica", size=9)
        self.set_text_color(0, 0, 0)

    def heading(self, indonesian: str, english: str) -> None:
        if self.get_y() > self.h - HEADING_ROOM:
            self.add_page()  # a heading is never left alone at the foot of a page
        self.ln(3)
        self.line_of(indonesian, 11.5, "B")
        self.set_text_color(*GREY)
        self.line_of(english, 9, "I")
        self.plain()
        self.ln(1.5)

    @contextmanager
    def grid(self, widths: Sequence[float], aligns: Sequence[str], headings: bool = True):
        """A table over the page's width (`widths` in parts of it), its heading row repeated
        on every page it runs over."""
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(aligns),
            first_row_as_headings=headings,
            headings_style=HEADINGS,
        ) as table:
            yield table


def row(table: Table, cells: Sequence[object], style: FontFace | None = None) -> None:
    """One row, every cell made safe; `style` (BOLD for a total) on each."""
    line = table.row()
    for cell in cells:
        line.cell(latin1(cell), style=style)
