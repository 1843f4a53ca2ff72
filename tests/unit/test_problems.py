"""Validation errors as problem documents: every bad field named, with a code and a message."""

import uuid
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from services.intake.models import NewDelivery
from services.orders.models import NewOrder
from shared.problems import Problem, Text, from_validation_error, not_found
from shared.web import language_of


def good_order(**changes) -> dict:
    order = {
        "hub": "kalteng-palangkaraya",
        "sku": "masker-kain",
        "quantity": 30,
        "buyer": {"name": "Bank Kalteng", "type": "bank", "region": "Palangka Raya"},
    }
    return {**order, **changes}


def good_buyer(**changes) -> dict:
    return {**good_order()["buyer"], **changes}


def good_delivery(**changes) -> dict:
    delivery = {
        "hub": "kalteng-palangkaraya",
        "producer_id": str(uuid.uuid4()),
        "sku": "masker-kain",
        "quantity": 50,
    }
    return {**delivery, **changes}


def problem_for(model, data: dict) -> Problem:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return from_validation_error(raised.value)


def errors_by_field(document: dict) -> dict[str, dict]:
    return {error["field"]: error for error in document["errors"]}


def test_the_good_examples_are_valid():
    NewOrder.model_validate(good_order())
    NewDelivery.model_validate(good_delivery())


def test_validation_problem_is_422_of_type_validation_error():
    document = problem_for(NewOrder, good_order(quantity=0)).document("id")

    assert document["status"] == 422
    assert document["type"] == "/problems/validation-error"
    assert document["title"] == "Data tidak valid"


def test_every_bad_field_is_named_with_a_dotted_path_and_a_stable_code():
    data = good_order(sku="Masker Kain", quantity="5", buyer=good_buyer(type="person"))

    errors = errors_by_field(problem_for(NewOrder, data).document("id"))

    assert {field: error["code"] for field, error in errors.items()} == {
        "sku": "string_pattern_mismatch",
        "quantity": "int_type",
        "buyer.type": "literal_error",
    }


def test_detail_lists_the_bad_fields():
    data = good_order(quantity=0, buyer=good_buyer(type="person"))

    problem = problem_for(NewOrder, data)

    assert problem.document("id")["detail"] == "Periksa kolom: quantity, buyer.type"
    assert problem.document("en")["detail"] == "Check the fields: quantity, buyer.type"


def test_messages_are_in_indonesian_by_default_and_in_english_on_request():
    problem = problem_for(NewOrder, good_order(quantity=0))

    indonesian = errors_by_field(problem.document("id"))["quantity"]
    english = errors_by_field(problem.document("en"))["quantity"]

    assert indonesian == {"field": "quantity", "code": "greater_than_equal", "message": "minimal 1"}
    assert english["message"] == "must be at least 1"
    assert problem.document("en")["title"] == "Invalid data"


def test_any_language_other_than_english_gets_indonesian():
    problem = problem_for(NewOrder, good_order(quantity=0))

    assert problem.document("fr") == problem.document("id")


@pytest.mark.parametrize("quantity", ["5", 5.5, True], ids=["string", "fraction", "bool"])
def test_quantity_must_be_a_json_integer(quantity):
    errors = errors_by_field(problem_for(NewOrder, good_order(quantity=quantity)).document("id"))

    assert errors["quantity"]["code"] == "int_type"
    assert errors["quantity"]["message"] == "harus bilangan bulat"


def test_a_whole_float_is_the_integer_it_equals():
    """JSON Schema's "integer", which the API document promises, counts 5.0 as one."""
    assert NewOrder.model_validate(good_order(quantity=5.0)).quantity == 5


@pytest.mark.parametrize(
    ("quantity", "code", "message"),
    [
        (0, "greater_than_equal", "must be at least 1"),
        (-3, "greater_than_equal", "must be at least 1"),
        (100_001, "less_than_equal", "must be at most 100000"),
    ],
)
def test_order_quantity_must_be_between_1_and_100000(quantity, code, message):
    document = problem_for(NewOrder, good_order(quantity=quantity)).document("en")

    assert errors_by_field(document)["quantity"] == {
        "field": "quantity",
        "code": code,
        "message": message,
    }


@pytest.mark.parametrize("quantity", [1, 100_000])
def test_order_quantity_bounds_are_inclusive(quantity):
    assert NewOrder.model_validate(good_order(quantity=quantity)).quantity == quantity


def test_a_missing_field_is_required():
    data = good_order()
    del data["sku"]
    problem = problem_for(NewOrder, data)

    assert errors_by_field(problem.document("id"))["sku"]["message"] == "wajib diisi"
    assert errors_by_field(problem.document("en"))["sku"] == {
        "field": "sku",
        "code": "missing",
        "message": "is required",
    }


def test_a_missing_nested_field_is_named_by_its_path():
    buyer = good_buyer()
    del buyer["region"]

    errors = errors_by_field(problem_for(NewOrder, good_order(buyer=buyer)).document("id"))

    assert errors["buyer.region"]["code"] == "missing"


def test_an_unknown_field_is_named():
    errors = errors_by_field(problem_for(NewOrder, good_order(price=1)).document("en"))

    assert errors["price"] == {
        "field": "price",
        "code": "extra_forbidden",
        "message": "is not a known field",
    }


def test_buyer_type_message_lists_the_choices():
    data = good_order(buyer=good_buyer(type="person"))

    error = errors_by_field(problem_for(NewOrder, data).document("en"))["buyer.type"]

    assert error["message"].startswith("must be one of ")
    for choice in ("individual", "agency", "bank", "business"):
        assert choice in error["message"]


def test_a_landline_for_a_buyer_is_refused_as_not_mobile():
    data = good_order(buyer=good_buyer(phone="0536 3221234"))

    problem = problem_for(NewOrder, data)

    assert errors_by_field(problem.document("id"))["buyer.phone"] == {
        "field": "buyer.phone",
        "code": "phone_not_mobile",
        "message": "harus nomor ponsel, bukan telepon rumah",
    }
    assert errors_by_field(problem.document("en"))["buyer.phone"]["message"] == (
        "must be a mobile number"
    )


def test_a_bad_buyer_email_is_named_with_a_message():
    """A bad email has its own code and a message in each language."""
    data = good_order(buyer=good_buyer(email="not-an-email"))

    problem = problem_for(NewOrder, data)

    indonesian = errors_by_field(problem.document("id"))["buyer.email"]
    english = errors_by_field(problem.document("en"))["buyer.email"]
    assert indonesian["code"] == english["code"] == "email_invalid"
    assert english["message"] == "is not a valid email address"
    assert indonesian["message"] == "bukan alamat email yang valid"


def test_more_rejected_than_delivered_is_refused_with_its_own_code():
    problem = problem_for(NewDelivery, good_delivery(quantity=50, rejected=51))

    assert errors_by_field(problem.document("id"))["rejected"] == {
        "field": "rejected",
        "code": "rejected_exceeds_quantity",
        "message": "tidak boleh melebihi jumlah yang diantar",
    }
    assert errors_by_field(problem.document("en"))["rejected"]["message"] == (
        "cannot exceed the quantity delivered"
    )


def test_rejecting_the_whole_delivery_is_allowed():
    assert NewDelivery.model_validate(good_delivery(quantity=50, rejected=50)).rejected == 50


@pytest.mark.parametrize("quantity", ["50", 50.5, 0, 10_001])
def test_delivery_quantity_is_a_strict_integer_from_1_to_10000(quantity):
    errors = errors_by_field(
        problem_for(NewDelivery, good_delivery(quantity=quantity)).document("id")
    )

    assert "quantity" in errors


def test_producer_id_must_be_a_uuid():
    problem = problem_for(NewDelivery, good_delivery(producer_id="siti"))

    error = errors_by_field(problem.document("en"))["producer_id"]
    assert error["code"] == "uuid_parsing"
    assert error["message"] == "must be a UUID"


def test_an_error_without_a_message_of_ours_keeps_pydantics_message():
    problem = problem_for(NewOrder, good_order(buyer=["not", "an", "object"]))

    error = errors_by_field(problem.document("id"))["buyer"]
    assert error["code"] == "model_type"
    assert error["message"] == "harus objek JSON"


def test_not_found_names_what_was_missing_in_both_languages():
    problem = not_found(Text("pesanan", "order"), "abc")

    assert problem.document("id") == {
        "type": "/problems/not-found",
        "title": "pesanan tidak ditemukan",
        "status": 404,
        "detail": "Tidak ada pesanan 'abc'",
    }
    assert problem.document("en")["detail"] == "No order 'abc'"


# --- language_of -------------------------------------------------------------------------------


def request_with(headers: dict) -> SimpleNamespace:
    return SimpleNamespace(headers=headers)


@pytest.mark.parametrize(
    "accept_language",
    ["en", "en-US", "en-GB,en;q=0.9", "EN-us", "  en-AU", "fr, en;q=0.9", "id;q=0.3, en;q=0.8"],
)
def test_language_of_a_client_that_prefers_english_is_english(accept_language):
    assert language_of(request_with({"Accept-Language": accept_language})) == "en"


@pytest.mark.parametrize(
    "accept_language", ["id", "id-ID,en;q=0.5", "jv", "fr-FR", "", "en;q=x", "id, en", "en;q=0"]
)
def test_language_of_any_other_client_is_indonesian(accept_language):
    assert language_of(request_with({"Accept-Language": accept_language})) == "id"


def test_language_of_a_client_that_says_nothing_is_indonesian():
    assert language_of(request_with({})) == "id"


@pytest.mark.parametrize(
    ("buyer", "code", "indonesian", "english"),
    [
        (
            {"channel": "sms"},
            "channel_needs_phone",
            "saluran sms memerlukan nomor ponsel: isi phone",
            "the sms channel needs a mobile number: give phone",
        ),
        (
            {"channel": "email", "phone": "081234567890"},
            "channel_needs_email",
            "saluran email memerlukan alamat email: isi email",
            "the email channel needs an email address: give email",
        ),
    ],
)
def test_a_channel_without_its_contact_is_named_as_buyer_channel(buyer, code, indonesian, english):
    problem = problem_for(NewOrder, good_order(buyer=good_buyer(**buyer)))

    assert errors_by_field(problem.document("id"))["buyer.channel"] == {
        "field": "buyer.channel",
        "code": code,
        "message": indonesian,
    }
    assert errors_by_field(problem.document("en"))["buyer.channel"]["message"] == english
