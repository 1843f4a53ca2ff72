"""What the hub says in a chat, in Bahasa Indonesia and English: each reply built from plain
facts. Names from the hub's records (hubs, products, buyers) go in made harmless, as in the
templates (`templates.shown`). Pure: no I/O.
"""

from dataclasses import dataclass
from datetime import date, datetime

from services.notifier.conversations.replies import Button, Reply, Row
from services.notifier.dates import estimate_in_words, time_in_words
from services.notifier.links import NO_LINK, tracking_link
from services.notifier.templates import shown
from shared.problems import Text

HELP = Text(
    "Halo, ini PLUT Kalimantan Tengah. Balas dengan:\n"
    "PESAN - pesan masker\n"
    "PROGRAM - daftar program masker gratis\n"
    "STATUS - pesanan Anda\n"
    "BATAL <kode> - batalkan pesanan\n"
    "STOP - berhenti menerima pesan WhatsApp (MULAI untuk lagi)",
    "Hello, this is PLUT Central Kalimantan. Reply with:\n"
    "ORDER - order masks\n"
    "PROGRAM - apply to a free-mask programme\n"
    "STATUS - your orders\n"
    "CANCEL <code> - cancel an order\n"
    "STOP - no more WhatsApp messages (START to have them again)",
)
SMS_HELP = Text(
    "PLUT: balas STATUS untuk pesanan Anda, STOP untuk berhenti menerima SMS, MULAI untuk lagi.",
    "PLUT: reply STATUS for your orders, STOP for no more SMS, START to have them again.",
)
STOPPED = Text(
    "Baik, nomor ini tidak akan menerima pesan {channel} dari PLUT lagi; kabar pesanan Anda "
    "dikirim lewat saluran lain. Balas MULAI untuk menerimanya lagi.",
    "Done: this number gets no more {channel} messages from PLUT; news of your orders goes by "
    "another way. Reply START to have them again.",
)
STARTED = Text(
    "Baik, nomor ini menerima pesan {channel} dari PLUT lagi.",
    "Done: this number gets {channel} messages from PLUT again.",
)
SLOW_DOWN = Text(
    "Pesan Anda terlalu banyak dalam semenit; sebagian tidak dibaca. Tunggu sebentar, lalu "
    "kirim lagi.",
    "Too many messages in a minute; some were not read. Wait a moment, then send again.",
)
NO_ORDERS = Text(
    "Tidak ada pesanan terbuka untuk nomor ini. Balas PESAN untuk memesan.",
    "There are no open orders for this number. Reply ORDER to place one.",
)
ORDERS_AWAY = Text(
    "Maaf, data pesanan sedang tidak bisa dibaca. Coba lagi beberapa menit lagi.",
    "Sorry, orders cannot be read just now. Try again in a few minutes.",
)
ORDERS_CLOSED = Text(
    "Maaf, pesanan belum bisa dilihat atau dibuat lewat chat. Hubungi PLUT atau buka situs PLUT.",
    "Sorry, orders cannot be seen or placed by chat yet. Contact PLUT or use the PLUT site.",
)
CODE_WANTED = Text(
    "Tulis BATAL lalu kode pesanan Anda, misalnya: BATAL 7K3QD-M9X2A",
    "Write CANCEL and your order's code, for example: CANCEL 7K3QD-M9X2A",
)
NOT_FOUND = Text(
    "Pesanan {code} tidak ditemukan untuk nomor ini.",
    "No order {code} was found for this number.",
)
NOT_CANCELLABLE = Text(
    "Pesanan {code} tidak dapat dibatalkan lagi ({status}).",
    "Order {code} can no longer be cancelled ({status}).",
)
CONFIRM_CANCEL = Text(
    "Batalkan pesanan {code} ({quantity} {product})?",
    "Cancel order {code} ({quantity} {product})?",
)
CANCELLED = Text("Pesanan {code} dibatalkan.", "Order {code} is cancelled.")
NOT_CANCELLED = Text(
    "Maaf, pesanan {code} tidak dapat dibatalkan: {why}",
    "Sorry, order {code} could not be cancelled: {why}",
)
# The orders service cancels for a number only an order whose number PLUT checked: one placed
# by chat or on the buyers' site; the counter's and partners' were typed in, not checked.
NOT_CANCELLABLE_BY_CHAT = Text(
    "Pesanan {code} tidak dapat dibatalkan lewat chat: nomor HP-nya tidak diperiksa PLUT saat"
    " dipesan (lewat loket atau mitra). Batalkan di tempat Anda memesannya.",
    "Order {code} cannot be cancelled by chat: PLUT did not check its phone number when it was"
    " placed (at the counter or through a partner). Cancel it where you placed it.",
)
NOTHING_CHANGED = Text("Baik, tidak ada yang diubah.", "All right, nothing was changed.")
EXPIRED = Text(
    "Pilihan itu sudah kedaluwarsa. Balas PESAN untuk memesan dari awal.",
    "That choice has expired. Reply ORDER to start again.",
)
YES_CANCEL = Text("Ya, batalkan", "Yes, cancel")
NO_KEEP = Text("Tidak", "No")
CHOOSE_HUB = Text("Pilih hub tempat Anda mengambil pesanan:", "Choose the hub you collect from:")
HUBS = Text("Pilih hub", "Choose a hub")
NO_HUBS = Text("Maaf, belum ada hub yang menerima pesanan.", "Sorry, no hub takes orders yet.")
CHOOSE_PRODUCT = Text("Pilih produk di {hub}:", "Choose a product at {hub}:")
PRODUCTS = Text("Pilih produk", "Choose a product")
NO_PRODUCTS = Text("Maaf, {hub} belum punya produk.", "Sorry, {hub} has no products yet.")
QUANTITY = Text(
    "Berapa {product} yang Anda pesan? Balas dengan angka 1 sampai {most}.",
    "How many {product} do you want? Reply with a number from 1 to {most}.",
)
BAD_QUANTITY = Text(
    "Jumlah harus bilangan bulat dari 1 sampai {most}. Balas dengan angka saja, misalnya 10.",
    "The quantity must be a whole number from 1 to {most}. Reply with a number, like 10.",
)
CAP = Text(
    "Satu pembeli paling banyak {most} sehari, agar semua kebagian.",
    "One buyer may have at most {most} a day, so that everyone gets some.",
)
CONFIRM_ORDER = Text(
    "Pesan {quantity} {product}, diambil di {hub}, atas nama {name}?",
    "Order {quantity} {product}, collected at {hub}, in the name of {name}?",
)
YES_ORDER = Text("Ya, pesan", "Yes, order")
PLACED = Text(
    "Pesanan Anda diterima. Kode: {code}\n{standing}\nLacak: {tracking}",
    "Your order is in. Code: {code}\n{standing}\nTrack it: {tracking}",
)
NOT_PLACED = Text(
    "Maaf, pesanan tidak dapat dibuat: {why}",
    "Sorry, the order could not be placed: {why}",
)
LINE = Text(
    "{code}: {quantity} {product}, {status}",
    "{code}: {quantity} {product}, {status}",
)
QUEUED = Text(
    "antrean ke-{position}, perkiraan {estimate}",
    "number {position} in the queue, expected {estimate}",
)
QUEUED_SOMEWHERE = Text("dalam antrean, perkiraan {estimate}", "queued, expected {estimate}")
HELD = Text(
    "{allocated} disiapkan sampai {until}",
    "{allocated} held for you until {until}",
)
TRACK = Text("lacak: {tracking}", "track: {tracking}")
# A programme's application not yet admitted: not in the queue (`handling.facts_of`).
WAITING_FOR_DRAW = "waiting_for_draw"
OPEN = frozenset({"queued", "partially_allocated", "allocated", WAITING_FOR_DRAW})
STATUS_WORDS = {
    WAITING_FOR_DRAW: Text("menunggu undian", "waiting for the draw"),
    "fulfilled": Text("sudah diambil", "collected"),
    "expired": Text("kedaluwarsa", "expired"),
    "cancelled": Text("dibatalkan", "cancelled"),
}
CHANNEL_NAMES = {"whatsapp": "WhatsApp", "sms": "SMS"}


@dataclass(frozen=True)
class OrderFacts:
    """An order as a chat tells it: the orders API's answer and the hub's clock."""

    code: str
    quantity: int
    product: str
    status: str
    allocated: int
    waiting: int
    position: int | None
    estimate: date | None
    hold_until: datetime | None
    timezone: str | None


def said(text: Text, language: str, **facts: object) -> str:
    return text.in_language(language).format(**facts)


def reply(text: Text, language: str, **facts: object) -> Reply:
    return Reply(said(text, language, **facts))


def help_reply(channel: str, language: str) -> Reply:
    return Reply((SMS_HELP if channel == "sms" else HELP).in_language(language))


def link(site: str, code: str, language: str) -> str:
    return str(tracking_link(site, code)) if site else NO_LINK.in_language(language)


def standing(order: OrderFacts, language: str) -> str:
    """Where an open order stands: its place and estimate, what is held and until when."""
    parts = []
    if order.status == WAITING_FOR_DRAW:
        return STATUS_WORDS[WAITING_FOR_DRAW].in_language(language)
    if order.waiting > 0:
        estimate = estimate_in_words(order.estimate).in_language(language)
        if order.position is not None:
            parts.append(said(QUEUED, language, position=order.position, estimate=estimate))
        else:
            parts.append(said(QUEUED_SOMEWHERE, language, estimate=estimate))
    if order.allocated > 0 and order.hold_until is not None:
        until = time_in_words(order.hold_until, order.timezone).in_language(language)
        parts.append(said(HELD, language, allocated=order.allocated, until=until))
    if not parts:
        parts.append(
            STATUS_WORDS.get(order.status, Text(order.status, order.status)).in_language(language)
        )
    return "; ".join(parts)


def status_reply(orders: list[OrderFacts], site: str, language: str) -> Reply:
    if not orders:
        return reply(NO_ORDERS, language)
    lines = [
        said(
            LINE,
            language,
            code=o.code,
            quantity=o.quantity,
            product=shown(o.product),
            status=standing(o, language),
        )
        + "\n"
        + said(TRACK, language, tracking=link(site, o.code, language))
        for o in orders
    ]
    return Reply("\n\n".join(lines))


def confirm_cancel(order: OrderFacts, order_id: str, language: str) -> Reply:
    text = said(
        CONFIRM_CANCEL,
        language,
        code=order.code,
        quantity=order.quantity,
        product=shown(order.product),
    )
    buttons = (
        Button(f"cancel:{order_id}", YES_CANCEL.in_language(language)),
        Button("keep", NO_KEEP.in_language(language)),
    )
    return Reply(text, buttons=buttons)


def hub_list(hubs: list[tuple[str, str]], language: str) -> Reply:
    if not hubs:
        return reply(NO_HUBS, language)
    rows = tuple(Row(f"hub:{code}", shown(name), code) for code, name in hubs)
    return Reply(
        CHOOSE_HUB.in_language(language), rows=rows, list_button=HUBS.in_language(language)
    )


def product_list(hub: str, products: list[tuple[str, str]], language: str) -> Reply:
    if not products:
        return reply(NO_PRODUCTS, language, hub=shown(hub))
    rows = tuple(Row(f"sku:{sku}", shown(name), sku) for sku, name in products)
    text = said(CHOOSE_PRODUCT, language, hub=shown(hub))
    return Reply(text, rows=rows, list_button=PRODUCTS.in_language(language))


def ask_quantity(product: str, most: int, cap: int | None, language: str) -> Reply:
    text = said(QUANTITY, language, product=shown(product), most=most)
    if cap is not None and cap == most:
        text += "\n" + said(CAP, language, most=cap)
    return Reply(text)


def confirm_order(quantity: int, product: str, hub: str, name: str, language: str) -> Reply:
    text = said(
        CONFIRM_ORDER,
        language,
        quantity=quantity,
        product=shown(product),
        hub=shown(hub),
        name=shown(name),
    )
    buttons = (
        Button("order:yes", YES_ORDER.in_language(language)),
        Button("order:no", NO_KEEP.in_language(language)),
    )
    return Reply(text, buttons=buttons)


def placed(order: OrderFacts, site: str, language: str) -> Reply:
    return reply(
        PLACED,
        language,
        code=order.code,
        standing=standing(order, language),
        tracking=link(site, order.code, language),
    )


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel)
