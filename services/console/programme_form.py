"""The console's programme forms as the orders API takes them (issue 21): opening a programme,
and an application filed at the counter for a walk-in. Pure: the form's text in, the JSON body
and the text to show again out; the orders service checks every field and names the one it
refuses, which `errors_of` puts beside the form's field.

Nothing is judged here that the service judges: what is not a number is sent as typed, so the
answer names the field in the operator's language.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from services.console.backends import BackendError
from services.console.forms import as_number
from shared.order_form import BUYER_TYPES

# Any field's text is cut here: no programme's name or list of regencies is longer.
MAX_FIELD = 2000
MAX_REGENCIES = 100
PROGRAMME_FIELDS = (
    "name",
    "funder",
    "budget",
    "starts_on",
    "ends_on",
    "units_per_recipient",
    "regencies",
    "selection",
)
SELECTIONS = ("lottery", "first_come")
RECIPIENT_FIELDS = ("name", "type", "region", "phone", "email", "nik", "language", "channel")
APPLICATION_FIELDS = ("sku", "quantity", *RECIPIENT_FIELDS)
# Left empty, these are not sent: the service's own default applies.
OPTIONAL_RECIPIENT = ("phone", "email", "nik", "language", "channel")


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:MAX_FIELD] if isinstance(value, str) else ""


def _all(form: Any, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes); a form without them, none."""
    values = form.getall(name, []) if hasattr(form, "getall") else []
    return [value[:MAX_FIELD] for value in values if isinstance(value, str)]


def price_field(sku: str) -> str:
    return f"price-{sku}"


def regencies_of(typed: str) -> list[str]:
    """One regency a line (or comma-separated), blanks and repeats left out."""
    seen: dict[str, None] = {}
    for part in typed.replace(",", "\n").splitlines():
        if part.strip():
            seen.setdefault(" ".join(part.split()), None)
    return list(seen)[: MAX_REGENCIES + 1]  # one over: the service says there are too many


def programme_body(
    form: Any, hub: str, catalog: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what to show again, the POST /v1/programmes body). `catalog`: the hub's skus, the only
    products offered (a sku from elsewhere in the form is no product of this form)."""
    typed: dict[str, Any] = {name: _text(form, name) for name in PROGRAMME_FIELDS}
    offered = list(catalog)
    chosen = [sku for sku in _all(form, "product") if sku in offered]
    prices = {sku: _text(form, price_field(sku)) for sku in offered}
    types = [kind for kind in _all(form, "buyer_type") if kind in BUYER_TYPES]
    typed |= {"products": chosen, "prices": prices, "buyer_types": types}
    body = {
        "hub": hub,
        "name": typed["name"],
        "funder": typed["funder"],
        "budget": as_number(typed["budget"]),
        "products": [{"sku": sku, "unit_price": as_number(prices[sku])} for sku in chosen],
        "starts_on": typed["starts_on"] or None,
        "ends_on": typed["ends_on"] or None,
        "units_per_recipient": as_number(typed["units_per_recipient"]),
        "regencies": regencies_of(typed["regencies"]),
        "buyer_types": types,
        "selection": typed["selection"] or None,
    }
    return typed, body


def application_body(form: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """(what to show again, the POST /v1/programmes/{id}/applications body)."""
    typed = {name: _text(form, name) for name in APPLICATION_FIELDS}
    recipient: dict[str, Any] = {
        name: typed[name]
        for name in RECIPIENT_FIELDS
        if typed[name] or name not in OPTIONAL_RECIPIENT
    }
    if "nik" in recipient:
        recipient["nik"] = "".join(recipient["nik"].split())  # as read out: "6271 0101 ..."
    body = {"sku": typed["sku"], "quantity": as_number(typed["quantity"]), "recipient": recipient}
    return typed, body


def errors_of(error: BackendError) -> dict[str, str]:
    """The refusal's field errors by the form's field: `recipient.nik` -> `nik`,
    `products.0.unit_price` -> `products`; the first message of a field is kept."""
    shown: dict[str, str] = {}
    for refused in error.field_errors:
        field = str(refused.get("field", "")).removeprefix("recipient.").split(".")[0]
        shown.setdefault(field, str(refused.get("message", "")))
    return shown
