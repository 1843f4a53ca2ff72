"""The console's programme forms as the orders API takes them, and its refusals beside the
form's fields."""

from multidict import MultiDict

from services.console.backends import BackendError
from services.console.programme_form import (
    MAX_REGENCIES,
    application_body,
    errors_of,
    programme_body,
    regencies_of,
)

CATALOG = ("masker-kain", "masker-medis")


def programme_form(**changes) -> MultiDict:
    fields = MultiDict(
        {
            "name": " Masker Gratis ",
            "funder": "Dinas Kesehatan",
            "budget": "10000000",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "units_per_recipient": "2",
            "regencies": "Kota Palangka Raya\nKapuas, kapuas \n\n  Barito   Utara",
            "selection": "lottery",
            "price-masker-kain": "5000",
            "price-masker-medis": "7000",
        }
    )
    fields.add("product", "masker-kain")
    fields.add("buyer_type", "individual")
    fields.add("buyer_type", "health_facility")
    for name, value in changes.items():
        fields[name] = value
    return fields


def test_a_programme_form_becomes_the_apis_body():
    typed, body = programme_body(programme_form(), "kalteng", CATALOG)
    assert body == {
        "hub": "kalteng",
        "name": "Masker Gratis",
        "funder": "Dinas Kesehatan",
        "budget": 10_000_000,
        "products": [{"sku": "masker-kain", "unit_price": 5000}],
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "units_per_recipient": 2,
        "regencies": ["Kota Palangka Raya", "Kapuas", "kapuas", "Barito Utara"],
        "buyer_types": ["individual", "health_facility"],
        "selection": "lottery",
    }
    assert typed["products"] == ["masker-kain"] and typed["prices"]["masker-medis"] == "7000"


def test_what_is_not_a_number_or_a_choice_goes_as_typed_or_not_at_all():
    form = programme_form(budget="sepuluh juta", units_per_recipient="", selection="")
    form.add("product", "not-in-the-catalog")
    form.add("buyer_type", "alien")
    _, body = programme_body(form, "kalteng", CATALOG)
    assert body["budget"] == "sepuluh juta"  # for the service to refuse, naming the field
    assert body["units_per_recipient"] is None and body["selection"] is None
    assert [p["sku"] for p in body["products"]] == ["masker-kain"]
    assert body["buyer_types"] == ["individual", "health_facility"]


def test_regencies_are_cut_one_past_the_limit_for_the_service_to_refuse():
    many = "\n".join(f"Kabupaten {n}" for n in range(500))
    assert len(regencies_of(many)) == MAX_REGENCIES + 1
    assert regencies_of("") == []


def test_an_application_form_becomes_the_apis_body_without_empty_optionals():
    form = MultiDict(
        {
            "sku": "masker-kain",
            "quantity": "2",
            "name": "Budi",
            "type": "individual",
            "region": "Kapuas",
            "nik": " 6271 0101 0190 0001 ",
            "phone": "",
            "email": "",
            "language": "id",
            "channel": "",
        }
    )
    typed, body = application_body(form)
    assert body == {
        "sku": "masker-kain",
        "quantity": 2,
        "recipient": {
            "name": "Budi",
            "type": "individual",
            "region": "Kapuas",
            "nik": "6271010101900001",
            "language": "id",
        },
    }
    assert typed["nik"] == "6271 0101 0190 0001"


def test_refusals_land_beside_the_forms_fields():
    refused = BackendError(
        "orders",
        422,
        {
            "title": "Data tidak valid",
            "errors": [
                {"field": "recipient.nik", "message": "NIK harus 16 angka"},
                {"field": "products.0.unit_price", "message": "harus >= 0"},
                {"field": "products.1.sku", "message": "tidak ada"},
                {"field": "budget", "message": "harus > 0"},
            ],
        },
    )
    assert errors_of(refused) == {
        "nik": "NIK harus 16 angka",
        "products": "harus >= 0",
        "budget": "harus > 0",
    }
