"""The programme's application form (site and chat): a NIK checked for form, each answer against
what the programme allows, each mistake named by its field; what is right becomes the orders
API's body, the NIK in it as typed without separators and nowhere else."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import nik
from shared import programme_form as forms

NIK = "6271014506900001"  # Kalimantan Tengah, a woman born 5 June 1990, serial 0001
PHONE = "+6281234567890"
PROGRAMME = {
    "buyer_types": ["individual", "health_facility"],
    "regencies": ["Kota Palangka Raya", "Kapuas"],
    "units_per_recipient": 2,
    "products": [{"sku": "masker-kain", "unit_price": 5000}],
}


def answers(**changes: str) -> dict[str, str]:
    typed = {
        "name": "Siti Rahayu",
        "nik": "6271 0145 0690 0001",
        "buyer_type": "individual",
        "region": "kota palangka raya",
        "sku": "",
        "quantity": "2",
        "language": "id",
        "channel": "",
    }
    return {**typed, **changes}


def test_right_answers_become_the_orders_api_body():
    checked = forms.check(answers(), PROGRAMME, PHONE)

    assert checked.errors == {}
    assert checked.application == {
        "sku": "masker-kain",
        "quantity": 2,
        "recipient": {
            "name": "Siti Rahayu",
            "type": "individual",
            "region": "Kota Palangka Raya",
            "phone": PHONE,
            "language": "id",
            "channel": None,
            "nik": NIK,
        },
    }


def test_an_organisation_needs_no_nik_and_none_is_sent():
    checked = forms.check(answers(buyer_type="health_facility", nik="1"), PROGRAMME, PHONE)

    assert checked.errors == {} and "nik" not in checked.application["recipient"]


def test_a_programme_for_one_type_takes_it_without_asking():
    programme = {**PROGRAMME, "buyer_types": ["individual"], "units_per_recipient": 1}

    checked = forms.check(answers(buyer_type="", quantity=""), programme, PHONE)

    assert checked.errors == {}
    assert checked.application["recipient"]["type"] == "individual"
    assert checked.application["quantity"] == 1


@pytest.mark.parametrize(
    ("nik", "why"),
    [
        ("", forms.NO_NIK),
        ("627101450690000", nik.NIK_LENGTH),
        ("62710145069000011", nik.NIK_LENGTH),
        ("62710145069O0001", nik.NIK_LENGTH),
        ("6271014506900001<script>", nik.NIK_LENGTH),
        ("٦٢٧١٠١٤٥٠٦٩٠٠٠٠١", nik.NIK_LENGTH),  # Arabic-Indic digits are no NIK
        ("0971014506900001", nik.NIK_PROVINCE),
        ("9571014506900001", nik.NIK_PROVINCE),
        ("6271013206900001", nik.NIK_DAY),
        ("6271017206900001", nik.NIK_DAY),
        ("6271010006900001", nik.NIK_DAY),
        ("6271014513900001", nik.NIK_MONTH),
        ("6271014500900001", nik.NIK_MONTH),
        ("6271014506900000", nik.NIK_SERIAL),
    ],
)
def test_a_nik_of_no_citizens_form_is_named_beside_its_field(nik, why):
    checked = forms.check(answers(nik=nik), PROGRAMME, PHONE)

    assert checked.errors == {"nik": why} and checked.application is None
    assert checked.typed["nik"] == nik, "what was typed comes back to be mended"


@pytest.mark.parametrize("day", ["01", "31", "41", "71"])
def test_birth_days_of_men_and_women_are_both_a_nik(day):
    assert nik.nik_problem(f"627101{day}06900001") is None


@given(st.text(max_size=40))
def test_whatever_is_typed_the_check_answers_without_failing(typed):
    checked = forms.check(answers(nik=typed, name=typed, region=typed), PROGRAMME, PHONE)

    assert checked.errors or checked.application


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"region": "Kotawaringin Timur"}, "region"),
        ({"region": ""}, "region"),
        ({"buyer_type": "bank"}, "buyer_type"),
        ({"buyer_type": ""}, "buyer_type"),
        ({"quantity": "3"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "²"}, "quantity"),
        ({"name": ""}, "name"),
        ({"name": "<a href='https://jahat.example'>klik</a>"}, "name"),
        ({"name": "Siti 6271 0145 0690 0001"}, "name"),
        ({"language": "jv"}, "language"),
        ({"channel": "email"}, "channel"),
    ],
)
def test_each_mistake_is_named_by_its_field(changes, field):
    checked = forms.check(answers(**changes), PROGRAMME, PHONE)

    assert set(checked.errors) == {field}
    assert checked.errors[field].indonesian and checked.errors[field].english


def test_a_programme_of_several_products_asks_which():
    programme = {**PROGRAMME, "products": [{"sku": "a"}, {"sku": "b"}]}

    assert set(forms.check(answers(sku="c"), programme, PHONE).errors) == {"sku"}
    assert forms.check(answers(sku="b"), programme, PHONE).application["sku"] == "b"


def test_any_regency_where_the_programme_lists_none():
    programme = {**PROGRAMME, "regencies": []}

    checked = forms.check(answers(region="Barito Utara"), programme, PHONE)

    assert checked.application["recipient"]["region"] == "Barito Utara"
