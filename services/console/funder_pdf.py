"""The funder's report as a PDF an office files (issue 21): the hub's letterhead, the programme,
its budget, the units given per regency and recipient type per day, the producers paid and every
draw with its seed; the date it was made and page numbers at the foot of each page. Bahasa
Indonesia first, English under each heading. Pure: a FunderReport in, bytes out (fpdf2).

fpdf2's core fonts (Helvetica) hold Latin-1 only, and embedding a font would need one in the
image: every text from outside goes through `latin1`, which keeps accented letters Latin-1 has,
takes others to their base letter (ő -> o) and shows anything else as "?", so no name can stop
the report from being made.
"""

import unicodedata
from datetime import date

from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos

from services.console.funder_report import (
    DRAW_KINDS,
    SELECTIONS,
    FunderReport,
    buyer_type,
    buyer_types,
    day_of,
    named,
    products,
    regencies,
    rupiah,
    thousands,
)

MONTHS = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()
_PLAIN = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})
GREY = (90, 90, 90)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(228, 233, 240))
TOTAL = FontFace(emphasis="BOLD")


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


class _Document(FPDF):
    def __init__(self, funder: FunderReport):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        made = funder.generated_at
        self.made = f"{short_date(made.date())} {made:%H:%M} {made.tzname() or ''}".strip()
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


def pdf(funder: FunderReport) -> bytes:
    document = _Document(funder)
    programme = funder.programme
    document.set_title(latin1(f"Laporan program: {programme['name']}"))
    document.set_author(latin1(funder.hub.get("name") or programme["hub"]))
    document.set_creator("PLUT")
    document.add_page()
    _letterhead(document, funder)
    _about(document, funder)
    _budget(document, funder)
    _units(document, funder)
    _producers(document, funder)
    _draws(document, funder)
    _signature(document, funder)
    return bytes(document.output())


def _line(document: FPDF, text: str, size: float, style: str = "", align: Align = Align.L) -> None:
    document.set_font("Helvetica", style=style, size=size)
    document.multi_cell(
        0, size * 0.5, latin1(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _plain(document: FPDF) -> None:
    """The tables' text: upright and black (a table takes the font last set)."""
    document.set_font("Helvetica", size=9)
    document.set_text_color(0, 0, 0)


def _letterhead(document: FPDF, funder: FunderReport) -> None:
    hub = funder.hub
    _line(document, "PUSAT LAYANAN USAHA TERPADU (PLUT)", 10, "B", Align.C)
    _line(document, (hub.get("name") or funder.programme["hub"]).upper(), 15, "B", Align.C)
    if hub.get("address"):
        _line(document, hub["address"], 9, align=Align.C)
    y = document.get_y() + 2
    document.set_line_width(0.8)
    document.line(document.l_margin, y, document.w - document.r_margin, y)
    document.set_line_width(0.2)
    document.line(document.l_margin, y + 1.2, document.w - document.r_margin, y + 1.2)
    document.set_y(y + 6)
    _line(document, "LAPORAN PROGRAM UNTUK PENYANDANG DANA", 13, "B", Align.C)
    document.set_text_color(*GREY)
    _line(document, "Funder's report", 10, "I", Align.C)
    _plain(document)
    document.ln(4)


def _heading(document: FPDF, indonesian: str, english: str) -> None:
    if document.get_y() > document.h - 60:
        document.add_page()  # a heading is never left alone at the foot of a page
    document.ln(3)
    _line(document, indonesian, 11.5, "B")
    document.set_text_color(*GREY)
    _line(document, english, 9, "I")
    _plain(document)
    document.ln(1.5)


def _about(document: FPDF, funder: FunderReport) -> None:
    programme = funder.programme
    period = (
        f"{long_date(day_of(programme['starts_on']))} s.d. "
        f"{long_date(day_of(programme['ends_on']))}"
    )
    rows = [
        ("Program / Programme", programme["name"]),
        ("Penyandang dana / Funder", programme["funder"]),
        ("Periode / Period", period),
        ("Produk dan harga ke produsen / Products and price to producers", products(programme)),
        ("Unit per penerima / Units per recipient", str(programme["units_per_recipient"])),
        ("Kabupaten/kota / Regencies", regencies(programme, "id")),
        ("Jenis penerima / Recipient types", buyer_types(programme, "id")),
        ("Cara seleksi / Selection", _both(SELECTIONS, programme["selection"])),
        ("Permohonan / Applications", str(programme.get("applications", 0))),
    ]
    with document.table(
        col_widths=(38, 62), first_row_as_headings=False, text_align=("LEFT", "LEFT")
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(latin1(label), style=TOTAL)
            row.cell(latin1(value))


def _row(table, cells: list[str]) -> None:
    table.row([latin1(cell) for cell in cells])


def _both(names: dict, code: str) -> str:
    return f"{named(names, code, 'id')} / {named(names, code, 'en')}"


def _budget(document: FPDF, funder: FunderReport) -> None:
    _heading(document, "Anggaran", "Budget")
    budget = funder.report["budget"]
    rows = [
        ("Anggaran seluruhnya / Total budget", budget["total"]),
        ("Terikat pada permohonan diterima / Committed", budget["committed"]),
        ("Terpakai (unit diberikan) / Spent (units given)", budget["spent"]),
        ("Sisa / Left", budget["left"]),
    ]
    with document.table(col_widths=(65, 35), text_align=("LEFT", "RIGHT")) as table:
        _row(table, ["Pos / Item", "Jumlah / Amount"])
        for label, amount in rows:
            _row(table, [label, rupiah(amount)])


def _units(document: FPDF, funder: FunderReport) -> None:
    _heading(
        document,
        "Unit diberikan per kabupaten/kota dan jenis penerima per hari",
        "Units given per regency and recipient type per day",
    )
    given = funder.report["units_by_day"]
    if not given:
        _line(document, "Belum ada unit yang diberikan. / No units given yet.", 10)
        return
    with document.table(
        col_widths=(18, 34, 32, 16), text_align=("LEFT", "LEFT", "LEFT", "RIGHT")
    ) as table:
        _row(table, ["Tanggal / Date", "Kabupaten/kota / Regency", "Jenis / Type", "Unit / Units"])
        for row in given:
            table.row(
                [
                    short_date(day_of(row["day"])),
                    latin1(row["region"]),
                    latin1(buyer_type(row["recipient_type"], "id")),
                    thousands(row["units"]),
                ]
            )
        total = table.row()
        total.cell("Jumlah / Total", colspan=3, style=TOTAL)
        total.cell(thousands(sum(row["units"] for row in given)), style=TOTAL)


def _producers(document: FPDF, funder: FunderReport) -> None:
    _heading(document, "Produsen yang dibayar", "Producers paid")
    paid = funder.report["producers"]
    if not paid:
        _line(document, "Belum ada produsen yang dibayar. / No producer paid yet.", 10)
        return
    with document.table(col_widths=(54, 18, 28), text_align=("LEFT", "RIGHT", "RIGHT")) as table:
        _row(table, ["Produsen / Producer", "Unit / Units", "Dibayar / Paid"])
        for row in sorted(paid, key=lambda row: funder.producer_name(row["producer_id"], "id")):
            name = funder.producer_name(row["producer_id"], "id")
            _row(table, [name, thousands(row["units"]), rupiah(row["amount"])])
        total = table.row()
        total.cell("Jumlah / Total", style=TOTAL)
        total.cell(thousands(sum(row["units"] for row in paid)), style=TOTAL)
        total.cell(rupiah(sum(row["amount"] for row in paid)), style=TOTAL)


def _draws(document: FPDF, funder: FunderReport) -> None:
    _heading(document, "Undian", "Draws")
    draws = funder.report["draws"]
    if not draws:
        _line(document, "Belum ada undian. / No draw yet.", 10)
        return
    with document.table(
        col_widths=(22, 30, 26, 11, 11), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT")
    ) as table:
        _row(table, ["Waktu / At", "Jenis / Kind", "Seed", "Peserta / Entrants", "Menang / Won"])
        for draw in draws:
            at = funder.local(draw["at"])
            table.row(
                [
                    f"{short_date(at.date())} {at:%H:%M}",
                    _both(DRAW_KINDS, draw["kind"]),
                    str(draw["seed"]),
                    str(draw["entrants"]),
                    str(draw["winners"]),
                ]
            )
    document.set_text_color(*GREY)
    _line(
        document,
        "Urutan undian = random.Random(seed).shuffle(kode peserta menurut urutan masuk), CPython; "
        "siapa pun dapat mengulanginya dari data yang diterbitkan. / The drawn order is "
        "random.Random(seed).shuffle(entrant codes in entry order) in CPython; anyone can "
        "replay it from the published data.",
        8,
    )
    document.set_text_color(0, 0, 0)


def _signature(document: FPDF, funder: FunderReport) -> None:
    if document.get_y() > document.h - 55:
        document.add_page()
    document.ln(8)
    left = document.l_margin + document.epw * 0.55
    place = funder.hub.get("name") or funder.programme["hub"]
    for text, size, gap in (
        (f"{place}, {long_date(funder.generated_at.date())}", 10, 5),
        ("Mengetahui / Acknowledged,", 10, 22),
        ("(..................................................)", 10, 5),
    ):
        document.set_x(left)
        document.set_font("Helvetica", size=size)
        document.cell(0, gap, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
