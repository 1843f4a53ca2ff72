"""Why a buyer got what they got, in plain words: Bahasa Indonesia first, English second.

Pure: it turns what the allocator recorded (each allocation's rule and fate, the last skip and
its reason, the order's place) into sentences a buyer can read.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.problems import Text


@dataclass(frozen=True)
class Line:
    rule: str
    text: Text
    quantity: int | None = None
    at: datetime | None = None


_HOW = {
    "fifo": Text(
        "menurut urutan antrean (yang lebih dulu memesan, lebih dulu dilayani)",
        "in queue order (first come, first served)",
    ),
    "fair_share": Text(
        "dari pembagian rata pasokan di antara semua pesanan yang menunggu",
        "from an equal split of the supply among all waiting orders",
    ),
    "lottery": Text("karena terpilih dalam undian", "because the lottery drew your order"),
}


def allocated(
    rule: str, quantity: int, at: datetime, priority_class: str, seed: int | None
) -> Line:
    mode = rule.removeprefix("reserve:")
    how = _HOW.get(mode, Text(mode, mode))
    if rule.startswith("reserve:"):
        how = Text(
            f"dari jatah yang disisihkan untuk kelas '{priority_class}', {how.indonesian}",
            f"from the share reserved for class '{priority_class}', {how.english}",
        )
    if seed is not None:
        how = Text(f"{how.indonesian} (seed undian {seed})", f"{how.english} (lottery seed {seed})")
    return Line(
        rule,
        Text(
            f"Anda menerima {quantity} unit {how.indonesian}.",
            f"You received {quantity} units {how.english}.",
        ),
        quantity,
        at,
    )


def ended(
    state: str, quantity: int, at: datetime | None, hold_until: datetime | None, zone: ZoneInfo
) -> Line | None:
    """What became of units given: held, handed over, expired, or released by a cancel."""
    if state == "held":
        until = _when(hold_until, zone)
        return Line(
            "held",
            Text(
                f"{quantity} unit disimpan untuk Anda; ambil sebelum {until}.",
                f"{quantity} units are held for you; collect them before {until}.",
            ),
            quantity,
            hold_until,
        )
    if state == "fulfilled":
        return Line(
            "fulfilled",
            Text(f"{quantity} unit sudah diserahkan.", f"{quantity} units were handed over."),
            quantity,
            at,
        )
    if state == "expired":
        until = _when(hold_until, zone)
        return Line(
            "expired",
            Text(
                f"{quantity} unit tidak diambil sebelum {until} dan diberikan ke antrean "
                "berikutnya.",
                f"{quantity} units were not collected before {until} and went to the next in line.",
            ),
            quantity,
            at,
        )
    if state == "released":
        return Line(
            "released",
            Text(
                f"{quantity} unit dikembalikan ke stok karena pesanan dibatalkan.",
                f"{quantity} units went back to stock because the order was cancelled.",
            ),
            quantity,
            at,
        )
    return None


def skipped(rule: str, detail: dict, at: datetime) -> Line:
    if rule == "daily_cap":
        text = Text(
            f"Batas {detail.get('cap')} unit per pembeli per hari sudah tercapai; sisa pesanan "
            "menunggu hari berikutnya dan tetap di tempatnya dalam antrean.",
            f"The limit of {detail.get('cap')} units per buyer per day was reached; the rest "
            "waits for the next day and keeps its place in the queue.",
        )
    elif rule == "whole_order":
        text = Text(
            f"Anda hanya mau pesanan utuh ({detail.get('wanted')} unit) dan pasokan terakhir "
            "belum cukup; pesanan tetap di tempatnya dan tidak menghalangi yang di belakangnya.",
            f"You asked for the whole order only ({detail.get('wanted')} units) and the last "
            "supply was not enough; the order keeps its place and does not block those behind.",
        )
    else:  # not_drawn
        text = Text(
            "Pesanan Anda belum terpilih dalam undian terakhir; ia tetap ikut undian berikutnya.",
            "Your order was not drawn in the last lottery; it stays in the next draws.",
        )
    return Line(rule, text, None, at)


def waiting(
    position: int, units_ahead: int, priority_class: str, estimated: date | None, now: datetime
) -> Line:
    if estimated is None:
        when = Text(
            "perkiraan tanggal belum dapat dihitung (belum ada pasokan dalam seminggu terakhir)",
            "no date can be estimated yet (no supply in the last week)",
        )
    else:
        when = Text(
            f"perkiraan dilayani {estimated.isoformat()}", f"expected by {estimated.isoformat()}"
        )
    return Line(
        "waiting",
        Text(
            f"Pesanan Anda di urutan ke-{position} (kelas '{priority_class}'), dengan "
            f"{units_ahead} unit di depan Anda; {when.indonesian}.",
            f"Your order is number {position} in the queue (class '{priority_class}'), with "
            f"{units_ahead} units ahead of it; {when.english}.",
        ),
        at=now,
    )


def cancelled(at: datetime | None) -> Line:
    return Line("cancelled", Text("Pesanan dibatalkan.", "The order was cancelled."), at=at)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
