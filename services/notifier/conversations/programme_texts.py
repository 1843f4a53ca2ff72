"""What the hub says in a chat about its free-mask programmes, in Bahasa Indonesia and English.
Programme names and regencies come from the orders service and go in made harmless, as names
do in every reply (`templates.shown`). Pure: no I/O."""

from services.notifier.conversations.replies import Reply, Row
from services.notifier.conversations.texts import link, reply, said
from services.notifier.templates import shown
from shared.problems import Text

CHOOSE = Text(
    "Program masker gratis yang buka pendaftaran. Pilih satu untuk mendaftar:",
    "Free-mask programmes open for applications. Choose one to apply:",
)
PROGRAMMES = Text("Pilih program", "Choose a programme")
NONE_OPEN = Text(
    "Saat ini tidak ada program masker gratis yang buka pendaftaran.",
    "No free-mask programme takes applications just now.",
)
NOT_BY_CHAT = Text(
    "Program {programme} bukan untuk perorangan: lembaga mendaftar lewat situs PLUT atau loket.",
    "The programme {programme} is not for individuals: organisations apply on the PLUT site or"
    " at the counter.",
)
ASK_NAME = Text(
    "Mendaftar {programme}. Ketik nama lengkap Anda sesuai KTP.",
    "Applying to {programme}. Type your full name as on your KTP.",
)
BAD_NAME = Text(
    "Ketik nama dengan huruf biasa, tanpa tautan atau tanda aneh.",
    "Type the name in plain letters, without links or odd signs.",
)
ASK_REGION = Text(
    "Ketik kabupaten/kota tempat tinggal Anda.", "Type the district or city you live in."
)
ASK_LISTED_REGION = Text(
    "Ketik kabupaten/kota tempat tinggal Anda. Program ini untuk: {regencies}.",
    "Type the district or city you live in. This programme is for: {regencies}.",
)
NOT_COVERED = Text(
    "Program ini hanya untuk: {regencies}. Ketik salah satunya.",
    "This programme is only for: {regencies}. Type one of them.",
)
ASK_QUANTITY = Text(
    "Berapa unit yang Anda perlukan? Ketik angka 1 sampai {most}.",
    "How many units do you need? Type a number from 1 to {most}.",
)
ASK_NIK = Text(
    "Terakhir, ketik NIK Anda (16 angka di KTP). NIK tidak kami simpan; hanya untuk memastikan"
    " satu pendaftaran per orang.",
    "Last, type your NIK (the 16 digits on your KTP). We do not keep it; it only makes sure of"
    " one application per person.",
)
NIK_TOO_EARLY = Text(
    "NIK ditanyakan paling akhir. Jawab dulu pertanyaan sebelumnya.",
    "The NIK comes last. Answer the question before it first.",
)
BAD_NIK = Text("{why}. Ketik lagi NIK Anda.", "{why}. Type your NIK again.")
WAITING = Text(
    "Pendaftaran Anda diterima. Kode pendaftaran: {code} (rahasia, jangan dibagikan). Nomor"
    " undian Anda: {ticket}; hasil undian diumumkan dengan nomor ini. Status: menunggu undian;"
    " kami kabari bila Anda terpilih. Lacak: {tracking}",
    "Your application is in. Application code: {code} (secret, do not share it). Your draw"
    " ticket: {ticket}; the draw is published by this ticket. Status: waiting for the draw; we"
    " tell you if you are drawn. Track: {tracking}",
)
ADMITTED = Text(
    "Pendaftaran Anda diterima dan masuk antrean. Kode pendaftaran: {code}. Kami kabari saat"
    " barang siap diambil. Lacak: {tracking}",
    "Your application is in, and in the queue. Application code: {code}. We tell you when it"
    " is ready to collect. Track: {tracking}",
)
NOT_APPLIED = Text("Pendaftaran tidak diterima: {why}", "The application was not accepted: {why}")


def programme_list(programmes: list[dict], language: str) -> Reply:
    if not programmes:
        return reply(NONE_OPEN, language)
    rows = tuple(
        Row(f"prog:{p['id']}", shown(p["name"]), shown(p.get("funder") or "")) for p in programmes
    )
    return Reply(
        CHOOSE.in_language(language), rows=rows, list_button=PROGRAMMES.in_language(language)
    )


def regencies(programme: dict) -> str:
    return ", ".join(shown(regency) for regency in programme["regencies"])


def applied(application: dict, site: str, language: str) -> Reply:
    code = application["code"]
    text = ADMITTED if application.get("status") == "admitted" else WAITING
    ticket = application.get("ticket", "")
    return Reply(
        said(text, language, code=code, ticket=ticket, tracking=link(site, code, language))
    )
