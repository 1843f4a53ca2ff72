"""The order form's checks: each mistake named by its field, in both languages; what is right
becomes the orders API's body; nothing typed is changed on the way back."""

import pytest

from shared import order_form as forms
from shared.events import CLASS_OF_BUYER_TYPE


def answers(**changes: str) -> dict[str, str]:
    typed = {
        "quantity": "12",
        "accept_partial": "tidak",
        "name": "Puskesmas Pahandut",
        "buyer_type": "health_facility",
        "region": "Palangka Raya",
        "phone": "0812 3456 7890",
        "email": "",
        "language": "en",
        "channel": "sms",
    }
    return {**typed, **changes}


def test_right_answers_become_the_orders_api_body():
    checked = forms.check(answers(), cap=None)

    assert checked.errors == {}
    assert checked.order == {
        "quantity": 12,
        "accept_partial": False,
        "buyer": {
            "name": "Puskesmas Pahandut",
            "type": "health_facility",
            "region": "Palangka Raya",
            "phone": "+6281234567890",
            "email": None,
            "language": "en",
            "channel": "sms",
        },
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": ""}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1,5"}, "quantity"),
        ({"quantity": "٣"}, "quantity"),  # a digit, but not one the API takes
        ({"accept_partial": "mungkin"}, "accept_partial"),
        ({"name": ""}, "name"),
        ({"buyer_type": "programme"}, "buyer_type"),
        ({"region": ""}, "region"),
        ({"phone": ""}, "phone"),
        ({"phone": "021 555 1234"}, "phone"),  # a landline gets no WhatsApp nor SMS
        ({"phone": "+1 202 555 0100"}, "phone"),
        ({"email": "sari@"}, "email"),
        ({"language": "jv"}, "language"),
        ({"channel": "pigeon"}, "channel"),
        ({"channel": "email", "email": ""}, "channel"),
    ],
)
def test_each_mistake_is_named_by_its_field_in_both_languages(changes, field):
    checked = forms.check(answers(**changes), cap=None)

    assert set(checked.errors) == {field} and checked.order is None
    message = checked.errors[field]
    assert message.indonesian and message.english and message.indonesian != message.english
    assert checked.typed == answers(**changes)  # given back as typed


def test_the_per_buyer_cap_bounds_the_quantity_and_says_so():
    assert forms.check(answers(quantity="20"), cap=20).errors == {}

    error = forms.check(answers(quantity="21"), cap=20).errors["quantity"]

    assert "20" in error.indonesian and "20" in error.english


def test_an_overlong_answer_is_cut_before_it_is_checked():
    typed = forms.typed_in({"name": "x" * 10_000, "unknown": "y"})

    assert len(typed["name"]) == forms.MAX_FIELD_LENGTH and set(typed) == set(forms.FIELDS)
    assert "name" in forms.check(typed, cap=None).errors


def test_the_form_offers_every_buyer_type_the_orders_api_knows():
    assert set(forms.BUYER_TYPES) == set(CLASS_OF_BUYER_TYPE)
