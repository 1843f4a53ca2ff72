"""The funder's report as a PDF an office files (issue 21): the hub's letterhead, the programme,
its budget, the units given per regency and recipient type per day, the producers paid and every
draw with its seed; the date it was made and page numbers at the foot of each page (pdf_pages.py).
Bahasa Indonesia first, English under each heading. Pure: a FunderReport in, bytes out (fpdf2).
"""

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
from services.console.pdf_pages import (
    BOLD,
    Document,
    latin1,
    long_date,
    row,
    short_date,
    short_moment,
)

REPLAY = (
    "Urutan undian = random.Random(seed).shuffle(nomor undian peserta menurut urutan masuk), "
    "CPython; siapa pun dapat mengulanginya dari data yang diterbitkan. / The drawn order is "
    "random.Random(seed).shuffle(entrant draw tickets in entry order) in CPython; anyone can "
    "replay it from the published data."
)


def pdf(funder: FunderReport) -> bytes:
    document = Document(funder.generated_at)
    programme = funder.programme
    document.set_title(latin1(f"Laporan program: {programme['name']}"))
    document.set_author(latin1(_place(funder)))
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


def _place(funder: FunderReport) -> str:
    return funder.hub.get("name") or funder.programme["hub"]


def _both(names: dict, code: str) -> str:
    return f"{named(names, code, 'id')} / {named(names, code, 'en')}"


def _letterhead(document: Document, funder: FunderReport) -> None:
    document.line_of("PUSAT LAYANAN USAHA TERPADU (PLUT)", 10, "B", Align.C)
    document.line_of(_place(funder).upper(), 15, "B", Align.C)
    if funder.hub.get("address"):
        document.line_of(funder.hub["address"], 9, align=Align.C)
    y = document.get_y() + 2
    right = document.w - document.r_margin
    document.set_line_width(0.8)
    document.line(document.l_margin, y, right, y)
    document.set_line_width(0.2)
    document.line(document.l_margin, y + 1.2, right, y + 1.2)
    document.set_y(y + 6)
    document.line_of("LAPORAN PROGRAM UNTUK PENYANDANG DANA", 13, "B", Align.C)
    document.set_text_color(90, 90, 90)
    document.line_of("Funder's report", 10, "I", Align.C)
    document.plain()
    document.ln(4)


def _about(document: Document, funder: FunderReport) -> None:
    programme = funder.programme
    starts, ends = day_of(programme["starts_on"]), day_of(programme["ends_on"])
    rows = [
        ("Program / Programme", programme["name"]),
        ("Penyandang dana / Funder", programme["funder"]),
        ("Periode / Period", f"{long_date(starts)} s.d. {long_date(ends)}"),
        ("Produk dan harga ke produsen / Products and price to producers", products(programme)),
        ("Unit per penerima / Units per recipient", programme["units_per_recipient"]),
        ("Kabupaten/kota / Regencies", regencies(programme, "id")),
        ("Jenis penerima / Recipient types", buyer_types(programme, "id")),
        ("Cara seleksi / Selection", _both(SELECTIONS, programme["selection"])),
        ("Permohonan / Applications", thousands(programme.get("applications", 0))),
    ]
    with document.grid((38, 62), ("LEFT", "LEFT"), headings=False) as table:
        for label, value in rows:
            line = table.row()
            line.cell(latin1(label), style=BOLD)
            line.cell(latin1(value))


def _budget(document: Document, funder: FunderReport) -> None:
    document.heading("Anggaran", "Budget")
    budget = funder.report["budget"]
    with document.grid((65, 35), ("LEFT", "RIGHT")) as table:
        row(table, ["Pos / Item", "Jumlah / Amount"])
        row(table, ["Anggaran seluruhnya / Total budget", rupiah(budget["total"])])
        row(table, ["Terikat pada permohonan diterima / Committed", rupiah(budget["committed"])])
        row(table, ["Terpakai (unit diberikan) / Spent (units given)", rupiah(budget["spent"])])
        row(table, ["Sisa / Left", rupiah(budget["left"])], BOLD)


def _units(document: Document, funder: FunderReport) -> None:
    document.heading(
        "Unit diberikan per kabupaten/kota dan jenis penerima per hari",
        "Units given per regency and recipient type per day",
    )
    given = funder.report["units_by_day"]
    if not given:
        document.line_of("Belum ada unit yang diberikan. / No units given yet.", 10)
        return
    with document.grid((18, 34, 32, 16), ("LEFT", "LEFT", "LEFT", "RIGHT")) as table:
        row(table, ["Tanggal / Date", "Kabupaten/kota / Regency", "Jenis / Type", "Unit / Units"])
        for units in given:
            day = short_date(day_of(units["day"]))
            kind = buyer_type(units["recipient_type"], "id")
            row(table, [day, units["region"], kind, thousands(units["units"])])
        total = table.row()
        total.cell("Jumlah / Total", colspan=3, style=BOLD)
        total.cell(thousands(sum(units["units"] for units in given)), style=BOLD)


def _producers(document: Document, funder: FunderReport) -> None:
    document.heading("Produsen yang dibayar", "Producers paid")
    paid = funder.report["producers"]
    if not paid:
        document.line_of("Belum ada produsen yang dibayar. / No producer paid yet.", 10)
        return
    named_rows = sorted(
        ((funder.producer_name(p["producer_id"], "id"), p) for p in paid), key=lambda n: n[0]
    )
    with document.grid((54, 18, 28), ("LEFT", "RIGHT", "RIGHT")) as table:
        row(table, ["Produsen / Producer", "Unit / Units", "Dibayar / Paid"])
        for name, producer in named_rows:
            row(table, [name, thousands(producer["units"]), rupiah(producer["amount"])])
        units, amount = sum(p["units"] for p in paid), sum(p["amount"] for p in paid)
        row(table, ["Jumlah / Total", thousands(units), rupiah(amount)], BOLD)


def _draws(document: Document, funder: FunderReport) -> None:
    document.heading("Undian", "Draws")
    draws = funder.report["draws"]
    if not draws:
        document.line_of("Belum ada undian. / No draw yet.", 10)
        return
    aligns = ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT")
    with document.grid((22, 30, 26, 11, 11), aligns) as table:
        row(table, ["Waktu / At", "Jenis / Kind", "Seed", "Peserta / Entrants", "Menang / Won"])
        for draw in draws:
            at = short_moment(funder.local(draw["at"]))
            kind = _both(DRAW_KINDS, draw["kind"])
            row(table, [at, kind, draw["seed"], thousands(draw["entrants"]),
                        thousands(draw["winners"])])  # fmt: skip
    document.note(REPLAY)


def _signature(document: Document, funder: FunderReport) -> None:
    if document.get_y() > document.h - 55:
        document.add_page()
    document.ln(8)
    left = document.l_margin + document.epw * 0.55
    document.set_font("Helvetica", size=10)
    for text, height in (
        (f"{_place(funder)}, {long_date(funder.generated_at.date())}", 5),
        ("Mengetahui / Acknowledged,", 22),
        ("(..................................................)", 5),
    ):
        document.set_x(left)
        document.cell(0, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
