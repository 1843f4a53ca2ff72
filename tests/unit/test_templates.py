"""Message templates: every purpose in every language, rendered into what each channel needs."""

import json
import re
import string
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifier.dates import NO_ESTIMATE
from services.notifier.links import buyer_params
from services.notifier.templates import (
    LANGUAGES,
    MissingParameter,
    formatted,
    known_templates,
    load,
    render,
)
from services.notifier.whatsapp_templates import SAMPLE_NAME, SAMPLE_PARAMS, definitions, numbered
from shared.names import harmless

# What the consumers send: a purpose missing here or on disk is caught before a message is.
BUYER_PURPOSES = {
    "order_received",
    "order_allocated",
    "order_partly_allocated",
    "estimate_moved",
    "order_expired",
    "order_cancelled",
    "programme_not_drawn",
}
PRODUCER_PURPOSES = {"delivery_recorded", "units_sold", "units_returned", "daily_summary"}
# What the buyers' site asks for (services/notifier/phone_codes.py).
SITE_PURPOSES = {"phone_code", "window_opened"}
EVERY = [(purpose, language) for purpose in sorted(known_templates()) for language in LANGUAGES]

# What the consumers pass when there is no estimate or no deadline: longer, and worded apart.
UNKNOWNS = {
    "estimate_id": NO_ESTIMATE.indonesian,
    "estimate_en": NO_ESTIMATE.english,
    "moved_id": "berubah",
    "moved_en": "changed",
    "hold_until_id": "tanpa batas waktu",
    "hold_until_en": "no deadline",
}
# Long but possible values: a 40-character product and hub, the longest dates in words.
LONG_TEXTS = {
    "product": "Masker kain katun tiga lapis motif batik",
    "pickup": "Rumah Produksi Bersama PLUT Palangkaraya",
    "estimate_id": NO_ESTIMATE.indonesian,
    "estimate_en": NO_ESTIMATE.english,
    "previous_id": NO_ESTIMATE.indonesian,
    "previous_en": NO_ESTIMATE.english,
    "moved_en": "moved earlier",
    "hold_until_id": "30 September 2026 23.59 WITA",
    "hold_until_en": "30 September 2026 23:59 WITA",
    "day_id": "30 September 2026",
    "day_en": "30 September 2026",
    "programme": "Masker Gratis Warga Kabupaten Kotawaringin Timur",
}
LONG_NAME = "Koperasi Wanita Sejahtera Palangka Raya"

# GSM 03.38's basic alphabet: anything else makes an SMS UCS-2, 70 characters a segment.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑ\u00dc\u00a7¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ONE_SMS, TWO_SMS = 160, 306

# Words that give away the other language in a template's own text.
FOREIGN_WORDS = {
    "id": {"the", "your", "you", "order", "please", "thank", "units", "collect", "queue", "is"},
    "en": {"anda", "pesanan", "barang", "yang", "dan", "untuk", "antrean", "terima", "kami"},
}


def sample(purpose: str, **changes) -> dict:
    return {**SAMPLE_PARAMS[purpose], **changes}


def with_unknowns(purpose: str) -> dict:
    return {key: UNKNOWNS.get(key, value) for key, value in SAMPLE_PARAMS[purpose].items()}


def long_values(purpose: str) -> dict:
    """Every number six digits (money nine), every text as long as it gets."""

    def longest(key, value):
        if type(value) is int:
            return 999_999_999 if key.endswith("_rupiah") else 999_999
        return LONG_TEXTS.get(key, value)

    return {key: longest(key, value) for key, value in SAMPLE_PARAMS[purpose].items()}


def words(template_text: str) -> set[str]:
    """The template's own words, without its placeholders."""
    return set(re.findall(r"[a-z]+", re.sub(r"\$\w+", " ", template_text).lower()))


# The files


def test_every_purpose_the_consumers_send_has_a_file_in_every_language():
    assert known_templates() == BUYER_PURPOSES | PRODUCER_PURPOSES | SITE_PURPOSES
    assert set(SAMPLE_PARAMS) == known_templates()


@pytest.mark.parametrize("purpose", sorted(BUYER_PURPOSES | PRODUCER_PURPOSES | SITE_PURPOSES))
def test_both_languages_use_the_same_placeholders_and_the_short_text_a_subset(purpose):
    indonesian, english = (load(purpose, language) for language in LANGUAGES)

    assert set(indonesian.body.get_identifiers()) == set(english.body.get_identifiers())
    for source in (indonesian, english):
        body = set(source.body.get_identifiers())
        assert set(source.short.get_identifiers()) <= body
        assert set(source.subject.get_identifiers()) <= body


@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_every_body_greets_the_recipient_by_name(purpose, language):
    greeting = {"id": "Halo $name,", "en": "Hello $name,"}[language]

    assert load(purpose, language).body.template.startswith(greeting)


@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_every_buyer_message_and_sms_carries_the_tracking_link_and_no_other_does(purpose, language):
    source = load(purpose, language)
    linked = "tracking" in source.body.get_identifiers()

    assert linked == (purpose in BUYER_PURPOSES)
    assert ("tracking" in source.short.get_identifiers()) == linked
    if linked:
        content = render(purpose, language, SAMPLE_NAME, SAMPLE_PARAMS[purpose])
        link = "https://plut.kalteng.go.id/lacak/7K3QD-M9X2A"
        assert link in content.text and link in content.short and link in content.parameters


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("purpose", sorted(BUYER_PURPOSES))
def test_a_buyer_message_gives_the_order_id_in_the_body_and_its_ref_in_the_sms(purpose, language):
    source = load(purpose, language)

    assert {"order_id", "order_ref"} <= set(source.body.get_identifiers())
    assert "order_ref" in source.short.get_identifiers()


@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_each_language_reads_only_that_language(purpose, language):
    source = load(purpose, language)
    text = "\n".join(s.template for s in (source.subject, source.body, source.short))

    assert not words(text) & FOREIGN_WORDS[language]


def test_an_unknown_template_or_language_is_an_error():
    with pytest.raises(LookupError):
        render("no_such_template", "id", SAMPLE_NAME, {})
    with pytest.raises(LookupError):
        render("../id/order_cancelled", "id", SAMPLE_NAME, sample("order_cancelled"))
    with pytest.raises(ValueError, match="jv"):
        render("order_cancelled", "jv", SAMPLE_NAME, sample("order_cancelled"))


# Rendering


@pytest.mark.parametrize("values", [SAMPLE_PARAMS, {p: with_unknowns(p) for p in SAMPLE_PARAMS}])
@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_every_message_renders_with_what_the_consumers_pass(purpose, language, values):
    content = render(purpose, language, SAMPLE_NAME, values[purpose])

    assert (content.template, content.language) == (purpose, language)
    for form in (content.subject, content.text, content.html, content.short):
        assert form.strip() and "$" not in form.replace("Rp", "")
    assert SAMPLE_NAME in content.text
    assert "None" not in content.text + content.short


def test_a_date_takes_the_recipients_language():
    indonesian = render("order_allocated", "id", SAMPLE_NAME, sample("order_allocated"))
    english = render("order_allocated", "en", SAMPLE_NAME, sample("order_allocated"))

    assert "Batas waktu pengambilan: 30 November 2026 14.00 WIB\n" in indonesian.text
    assert "Collect by: 30 November 2026 14:00 WIB\n" in english.text


def test_units_held_without_deadline_say_so_in_words():
    content = render("order_allocated", "id", SAMPLE_NAME, with_unknowns("order_allocated"))

    assert "Batas waktu pengambilan: tanpa batas waktu\n" in content.text


@pytest.mark.parametrize(
    ("language", "written"),
    [("id", "Jumlah terjual: 2.000 unit"), ("en", "Quantity sold: 2,000")],
)
def test_whole_numbers_are_grouped_the_way_each_language_writes_them(language, written):
    content = render("units_sold", language, SAMPLE_NAME, sample("units_sold", quantity=2000))

    assert written in content.text


@pytest.mark.parametrize(
    ("language", "price", "earned"),
    [
        ("id", "Harga per unit: Rp5.000", "Hasil penjualan: Rp10.000.000"),
        ("en", "Price per unit: Rp5,000", "Amount earned: Rp10,000,000"),
    ],
)
def test_rupiah_are_written_as_money_without_decimals(language, price, earned):
    params = sample("units_sold", quantity=2000, unit_price_rupiah=5000, earned_rupiah=10_000_000)

    content = render("units_sold", language, SAMPLE_NAME, params)

    assert price in content.text and earned in content.text


@pytest.mark.parametrize(
    ("key", "value", "language", "written"),
    [
        ("quantity", 0, "id", "0"),
        ("quantity", 999, "id", "999"),
        ("quantity", 2000, "id", "2.000"),
        ("quantity", 2000, "en", "2,000"),
        ("quantity", 1234567, "id", "1.234.567"),
        ("earned_rupiah", 5000, "id", "Rp5.000"),
        ("earned_rupiah", 5000, "en", "Rp5,000"),
        ("product", "1000 masker", "en", "1000 masker"),
    ],
)
def test_formatted(key, value, language, written):
    assert formatted(key, value, language) == written


@given(st.integers(min_value=0, max_value=10**15))
def test_a_grouped_number_reads_back_as_the_same_number(value):
    indonesian, english = (formatted("quantity", value, language) for language in LANGUAGES)

    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", indonesian)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", english)
    assert int(indonesian.replace(".", "")) == int(english.replace(",", "")) == value


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_param_is_an_error_naming_it(language):
    params = sample("units_sold")
    del params["quantity"]

    with pytest.raises(MissingParameter, match="quantity"):
        render("units_sold", language, SAMPLE_NAME, params)


def test_a_date_given_only_in_the_other_language_is_missing():
    params = sample("order_expired")
    del params["hold_until_id"]

    assert render("order_expired", "en", SAMPLE_NAME, params)
    with pytest.raises(MissingParameter, match="hold_until"):
        render("order_expired", "id", SAMPLE_NAME, params)


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_param_without_a_value_is_an_error_not_a_blank(blank):
    with pytest.raises(MissingParameter, match="pickup"):
        render("order_allocated", "id", SAMPLE_NAME, sample("order_allocated", pickup=blank))
    with pytest.raises(MissingParameter, match="name"):
        render("order_allocated", "id", blank or "", sample("order_allocated"))


@pytest.mark.parametrize("value", [True, 1.5, ["a"]])
def test_a_param_neither_a_whole_number_nor_text_is_refused(value):
    with pytest.raises(TypeError, match="quantity"):
        render("units_sold", "id", SAMPLE_NAME, sample("units_sold", quantity=value))


# WhatsApp


@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_whatsapp_parameters_fill_the_numbered_body_back_into_the_text(purpose, language):
    content = render(purpose, language, SAMPLE_NAME, SAMPLE_PARAMS[purpose])
    body = numbered(load(purpose, language).body)

    filled = re.sub(r"\{\{(\d+)\}\}", lambda m: content.parameters[int(m[1]) - 1], body)

    assert filled == content.text
    assert len(content.parameters) == len(set(re.findall(r"\{\{\d+\}\}", body)))
    assert content.parameters[0] == SAMPLE_NAME


# Any text that leaves something to show once made harmless (one of control characters only is
# blank then: such a message cannot be written, and is given up on).
names = st.text(min_size=1, max_size=60).filter(lambda text: harmless(text).strip())


@given(name=names, product=names)
def test_whatsapp_parameters_are_one_line_whatever_the_values(name, product):
    content = render("order_received", "id", name, sample("order_received", product=product))

    for parameter in content.parameters:
        assert parameter.strip() == parameter and parameter
        assert not re.search(r"[\n\r\t]| {5}", parameter)


@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_whatsapp_bodies_keep_to_metas_rules_for_templates(purpose, language):
    body = numbered(load(purpose, language).body)
    variables = re.findall(r"\{\{\d+\}\}", body)

    assert not re.match(r"\W*\{\{", body) and not re.search(r"\}\}\W*$", body)
    assert not re.search(r"\}\}[\s\W]*\{\{", body), "two variables with no word between"
    assert len(body.split()) >= 3 * len(variables) + 1, "too many variables for its length"
    assert not re.search(r"[*_~`]", body), "plain text: WhatsApp reads these as formatting"
    assert not re.search(r"\t| {5}|\n{3}", body)
    long = render(purpose, language, LONG_NAME, long_values(purpose))
    assert len(long.text) < 1024


def test_the_whatsapp_definitions_print_as_json_for_meta():
    printed = subprocess.run(
        [sys.executable, "-m", "services.notifier.whatsapp_templates"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert json.loads(printed) == definitions()
    assert len(definitions()) == len(EVERY)
    for definition in definitions():
        assert re.fullmatch(r"plut_[a-z_]+", definition["name"])
        assert definition["language"] in LANGUAGES
        one_time_code = definition["name"] == "plut_phone_code"
        assert definition["category"] == ("AUTHENTICATION" if one_time_code else "UTILITY")
        (body,) = definition["components"]
        numbers = [int(n) for n in re.findall(r"\{\{(\d+)\}\}", body["text"])]
        assert sorted(set(numbers)) == list(range(1, len(body["example"]["body_text"][0]) + 1))
        assert "$" not in body["text"]


# SMS


@pytest.mark.parametrize("values", [SAMPLE_PARAMS, {p: with_unknowns(p) for p in SAMPLE_PARAMS}])
@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_a_short_text_with_realistic_values_fits_one_sms_or_two_with_a_tracking_link(
    purpose, language, values
):
    """A buyer's SMS carries their order's tracking link (or, without one, whom to ask): two
    segments then. The others keep to one."""
    short = render(purpose, language, SAMPLE_NAME, values[purpose]).short

    assert len(short) <= (TWO_SMS if purpose in BUYER_PURPOSES else ONE_SMS), short
    if purpose in BUYER_PURPOSES:
        unlinked = {k: v for k, v in values[purpose].items() if k != "tracking"}
        without = render(purpose, language, SAMPLE_NAME, buyer_params(unlinked, None, "")).short
        assert len(without) <= TWO_SMS and set(without) <= GSM7, without


@pytest.mark.parametrize(("purpose", "language"), EVERY)
def test_a_short_text_with_long_values_fits_two_sms_in_gsm7(purpose, language):
    short = render(purpose, language, LONG_NAME, long_values(purpose)).short

    assert len(short) <= TWO_SMS, short
    assert set(short) <= GSM7, set(short) - GSM7


@given(
    every=st.sampled_from(EVERY),
    product=st.text(string.ascii_letters + string.digits + " -", max_size=40).filter(str.strip),
    number=st.integers(min_value=0, max_value=999_999),
)
def test_a_short_text_stays_within_two_gsm7_sms_for_any_plain_product(every, product, number):
    purpose, language = every
    params = {
        key: number if type(value) is int else value for key, value in long_values(purpose).items()
    }

    short = render(purpose, language, LONG_NAME, {**params, "product": product}).short

    assert len(short) <= TWO_SMS and set(short) <= GSM7


# Email HTML


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_html_part_escapes_values_and_names_its_language(language):
    name = "<b>Tono & Sons</b>"

    content = render("order_cancelled", language, name, sample("order_cancelled"))

    assert "&lt;b&gt;Tono &amp; Sons&lt;/b&gt;" in content.html
    assert "<b>" not in content.html
    assert f'<html lang="{language}">' in content.html
    assert f"<title>{content.subject}</title>" in content.html


def test_the_html_part_has_a_paragraph_per_block_and_breaks_within_one():
    content = render("units_sold", "id", SAMPLE_NAME, SAMPLE_PARAMS["units_sold"])

    blocks = content.text.split("\n\n")
    assert content.html.count("<p ") == len(blocks)
    assert "Barang: Masker kain 3 lapis<br>\nJumlah terjual: 1.000 unit<br>" in content.html
    assert "http" not in content.html.replace("http-equiv", "")
