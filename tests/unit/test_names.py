"""What a name may hold (shared/names.py): Indonesian names and titles pass; control characters
and anything a messaging app would make a link do not, and are shown harmless when older data
holds them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.names import harmless, looks_like_link, refused_character

NAMES = [
    "Ibu Sari Wulandari",
    "Budi Santoso, S.Kom., M.Si.",
    "Dr.Ir. H. Ahmad Yani, M.Ag.",
    "PT. Maju Jaya Tbk.",
    "Hj.Siti Aminah",
    "Koperasi Sejahtera Bersama",
    "Jl. Tjilik Riwut Km.5",
    "Puskesmas Pahandut",
    "Toko Murah dot com",
    "O'Neil-Putri",
    "Dinas Kesehatan Kab. Kapuas",
    "Ni Luh Putu Ayu",
    "Ibu Sari // Toko Masker",
]
LINKS = [
    "https://promo.example",
    "HTTP://X",
    "www.evil.id",
    "bit.ly/abc",
    "wa.me/62812",
    "@tokomurah",
    "sari@contoh.id",
    "promo-masker.com",
    "evil\uff0ecom",
    "mailto:x",
    "javascript:alert(1)",
    "ftp://files",
    "//jahat.example",
    "<a href=//jahat.example>Klik</a>",
]


@pytest.mark.parametrize("name", NAMES)
def test_names_and_titles_are_names(name: str):
    assert not looks_like_link(name) and refused_character(name) is None
    assert harmless(name) == name


@pytest.mark.parametrize("name", LINKS)
def test_links_addresses_and_handles_are_not(name: str):
    assert looks_like_link(name)
    shown = harmless(name)
    assert not looks_like_link(shown.replace("[.]", " ").replace("[at]", " ").replace("[:]", " "))


@pytest.mark.parametrize(
    ("name", "character"),
    [("a\nb", "U+000A"), ("a\rb", "U+000D"), ("a\u2028b", "U+2028"), ("a\u202eb", "U+202E")],
)
def test_the_first_refused_character_is_named(name: str, character: str):
    assert refused_character(name) == character


@given(st.text(max_size=80))
def test_what_a_message_shows_never_holds_a_refused_character(text: str):
    assert refused_character(harmless(text)) is None
