"""What the console's forms send: their text as the JSON the services take, and a service's
refusal as errors beside the fields that caused them."""

from typing import Any

from services.console.backends import BackendError


def errors_by_field(error: BackendError) -> dict[str, str]:
    """The refusal's field errors, keyed by the form field they name ('hubs.0' -> 'hubs')."""
    return {e["field"].split(".")[0]: e["message"] for e in error.field_errors}


def as_number(text: str) -> Any:
    """A form's digits as the JSON number the APIs take ("1,5" too); anything else as typed, so
    the service refuses it naming the field. Empty: None."""
    text = text.strip()
    if not text:
        return None
    if text.lstrip("-").isdecimal():
        return int(text)
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text
