"""Reading what a person wrote: keywords in both languages, forgiving case, spacing,
punctuation and one slip in a longer word; an order code after BATAL, with or without its dash."""

import pytest

from services.notifier.conversations.keywords import Intent, one_slip, read


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("STOP", Intent.STOP),
        ("stop", Intent.STOP),
        ("  Stop!! ", Intent.STOP),
        ("*STOP*", Intent.STOP),
        ("berhenti", Intent.STOP),
        ("BERHENTI.", Intent.STOP),
        ("berhentii", Intent.STOP),  # a letter too many
        ("brhenti", Intent.STOP),  # one missing
        ("stpo", Intent.STOP),  # two swapped
        ("MULAI", Intent.START),
        ("mulia", Intent.START),
        ("start", Intent.START),
        ("Status", Intent.STATUS),
        ("statsu", Intent.STATUS),
        ("cek", Intent.STATUS),
        ("CEK pesanan saya", Intent.STATUS),
        ("pesan", Intent.ORDER),
        ("Pesan masker 10", Intent.ORDER),
        ("ORDER", Intent.ORDER),
        ("odrer", Intent.ORDER),
        ("- stop", Intent.STOP),
    ],
)
def test_keywords_are_read_forgivingly(text, intent):
    assert read(text).intent is intent


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "halo",
        "terima kasih",
        "cak",  # three letters: no slip forgiven
        "stopp it now because I am tired of this",  # a sentence, not a command
        "st",
        "x" * 500,
        "12345",
        "apakah masker sudah ada?",
    ],
)
def test_anything_else_is_no_keyword(text):
    assert read(text).intent is Intent.OTHER


@pytest.mark.parametrize(
    "text",
    [
        "BATAL 7K3QD-M9X2A",
        "batal 7k3qd-m9x2a",
        "Batal 7K3QDM9X2A",
        "batal: 7k3qd m9x2a",
        "CANCEL 7K3QD-M9X2A.",
        "batl 7K3QD-M9X2A",
    ],
)
def test_batal_takes_a_code_however_it_is_typed(text):
    said = read(text)
    assert said.intent is Intent.CANCEL
    assert said.code == "7K3QDM9X2A"


@pytest.mark.parametrize("text", ["BATAL", "batal pesanan saya dong", "batal 123"])
def test_batal_without_a_code_asks_for_one(text):
    said = read(text)
    assert said.intent is Intent.CANCEL
    assert said.code is None


def test_one_slip_is_one_edit_and_no_more():
    assert one_slip("stpo", "stop")
    assert one_slip("stop", "sto")
    assert one_slip("satus", "status")
    assert one_slip("tsop", "stop")  # neighbours swapped
    assert not one_slip("stop", "stop")
    assert not one_slip("psot", "stop")  # two letters apart swapped: two edits
    assert not one_slip("sotp", "stpo")
    assert not one_slip("berhen", "berhenti")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ORDER", "en"),
        ("odrer", "en"),  # a slip keeps the word's language
        ("cancel 7K3QD-M9X2A", "en"),
        ("Start", "en"),
        ("PESAN", "id"),
        ("batal 7k3qdm9x2a", "id"),
        ("mulia", "id"),
        ("STOP", None),  # both languages' word
        ("status", None),
        ("halo", None),
    ],
)
def test_a_keyword_only_one_language_has_says_the_language(text, language):
    assert read(text).language == language
