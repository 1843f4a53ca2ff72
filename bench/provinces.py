"""Indonesia's 38 provinces, each with a hub of the national day (bench/national_day.py).

Codes are Kemendagri's (Kepmendagri 100.1.1-6117/2022, the six Papua provinces 91-96); the zone
is the province's legal time (WIB Asia/Jakarta, WITA Asia/Makassar, WIT Asia/Jayapura); the
people, in millions, roughly the 2020 census, weight where orders and producers are.
"""

from dataclasses import dataclass

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    slug: str  # short, for hub codes
    capital: str
    timezone: str
    people: float


PROVINCES = (
    Province("11", "Aceh", "aceh", "Banda Aceh", WIB, 5.3),
    Province("12", "Sumatera Utara", "sumut", "Medan", WIB, 14.8),
    Province("13", "Sumatera Barat", "sumbar", "Padang", WIB, 5.5),
    Province("14", "Riau", "riau", "Pekanbaru", WIB, 6.4),
    Province("15", "Jambi", "jambi", "Jambi", WIB, 3.5),
    Province("16", "Sumatera Selatan", "sumsel", "Palembang", WIB, 8.5),
    Province("17", "Bengkulu", "bengkulu", "Bengkulu", WIB, 2.0),
    Province("18", "Lampung", "lampung", "Bandar Lampung", WIB, 9.0),
    Province("19", "Kepulauan Bangka Belitung", "babel", "Pangkalpinang", WIB, 1.5),
    Province("21", "Kepulauan Riau", "kepri", "Tanjungpinang", WIB, 2.1),
    Province("31", "DKI Jakarta", "jakarta", "Jakarta", WIB, 10.6),
    Province("32", "Jawa Barat", "jabar", "Bandung", WIB, 48.3),
    Province("33", "Jawa Tengah", "jateng", "Semarang", WIB, 36.5),
    Province("34", "DI Yogyakarta", "diy", "Yogyakarta", WIB, 3.7),
    Province("35", "Jawa Timur", "jatim", "Surabaya", WIB, 41.0),
    Province("36", "Banten", "banten", "Serang", WIB, 11.9),
    Province("51", "Bali", "bali", "Denpasar", WITA, 4.3),
    Province("52", "Nusa Tenggara Barat", "ntb", "Mataram", WITA, 5.3),
    Province("53", "Nusa Tenggara Timur", "ntt", "Kupang", WITA, 5.3),
    Province("61", "Kalimantan Barat", "kalbar", "Pontianak", WIB, 5.4),
    Province("62", "Kalimantan Tengah", "kalteng", "Palangka Raya", WIB, 2.7),
    Province("63", "Kalimantan Selatan", "kalsel", "Banjarbaru", WITA, 4.1),
    Province("64", "Kalimantan Timur", "kaltim", "Samarinda", WITA, 3.8),
    Province("65", "Kalimantan Utara", "kaltara", "Tanjung Selor", WITA, 0.7),
    Province("71", "Sulawesi Utara", "sulut", "Manado", WITA, 2.6),
    Province("72", "Sulawesi Tengah", "sulteng", "Palu", WITA, 3.0),
    Province("73", "Sulawesi Selatan", "sulsel", "Makassar", WITA, 9.1),
    Province("74", "Sulawesi Tenggara", "sultra", "Kendari", WITA, 2.6),
    Province("75", "Gorontalo", "gorontalo", "Gorontalo", WITA, 1.2),
    Province("76", "Sulawesi Barat", "sulbar", "Mamuju", WITA, 1.4),
    Province("81", "Maluku", "maluku", "Ambon", WIT, 1.8),
    Province("82", "Maluku Utara", "malut", "Sofifi", WIT, 1.3),
    Province("91", "Papua", "papua", "Jayapura", WIT, 1.0),
    Province("92", "Papua Barat", "pabar", "Manokwari", WIT, 0.6),
    Province("93", "Papua Selatan", "pasel", "Merauke", WIT, 0.5),
    Province("94", "Papua Tengah", "pateng", "Nabire", WIT, 1.3),
    Province("95", "Papua Pegunungan", "papeg", "Jayawijaya", WIT, 1.4),
    Province("96", "Papua Barat Daya", "pbd", "Sorong", WIT, 0.6),
)


def chosen(count: int) -> tuple[Province, ...]:
    """`count` provinces: all 38, the most populous alone for one, else spread evenly along the
    codes from Aceh to Papua Barat Daya, so that even three take in WIB, WITA and WIT."""
    if not 1 <= count <= len(PROVINCES):
        raise ValueError(f"between 1 and {len(PROVINCES)} hubs")
    if count == 1:
        return (max(PROVINCES, key=lambda p: p.people),)
    last = len(PROVINCES) - 1
    return tuple(PROVINCES[round(i * last / (count - 1))] for i in range(count))
