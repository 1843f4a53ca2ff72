"""An application to a free-mask programme, posted to the orders service with the site's key
(scope `programmes:apply`) for the applicant whose phone the site proved, under the check's
locked row; and the orders service's refusals as the form shows them, beside their field.

The body carries the NIK; it goes to the orders service and nowhere else (no log, no row).
"""

import uuid

import asyncpg

from services.storefront.backends import BackendError, Backends
from services.storefront.store import phone_checks, tracking
from services.storefront.views import PageError
from shared import order_codes
from shared.problems import Text

CLOSED = PageError(
    409,
    Text("Program ini tidak menerima pendaftaran", "This programme takes no applications"),
    Text(
        "Masa pendaftarannya sudah lewat atau belum mulai. Lihat program lain di halaman hub.",
        "Its period is over or has not begun. See the hub's other programmes.",
    ),
)
# The orders API's fields as the form names them.
FIELDS = {
    "recipient.nik": "nik",
    "recipient.name": "name",
    "recipient.region": "region",
    "recipient.type": "buyer_type",
    "quantity": "quantity",
    "sku": "sku",
}
ALREADY_APPLIED = Text(
    "Sudah ada pendaftaran untuk penerima ini di program ini",
    "There is already an application for this recipient in this programme",
)
REFUSED = Text("Pendaftaran ditolak", "The application was refused")


async def apply(
    conn: asyncpg.Connection,
    backends: Backends,
    check: asyncpg.Record,
    programme: dict,
    body: dict,
    language: str,
) -> str | dict[str, Text]:
    """Where the applicant goes next (their application's page), or the form's errors."""
    code = await tracking.code_of_check(conn, check["id"])
    if code is None:
        try:
            made = await backends.post(
                "orders",
                f"/v1/programmes/{programme['id']}/applications",
                body=body,
                headers={
                    # A refusal counts, and the answers may be changed: a new key each time.
                    "Idempotency-Key": f"storefront-programme:{check['id']}:{check['refusals']}",
                    "Accept-Language": language,
                },
            )
        except BackendError as error:
            return await _refused(conn, check, error, programme, body["recipient"]["type"])
        code = order_codes.order_code_from(made["code"])
        await tracking.add(conn, code, uuid.UUID(made["order_id"]), check["id"], check["phone_key"])
    return f"/lacak/{order_codes.shown(code)}?baru=1"


async def _refused(
    conn: asyncpg.Connection,
    check: asyncpg.Record,
    error: BackendError,
    programme: dict,
    kind: str,
) -> dict[str, Text]:
    """A refusal the applicant can mend, beside its field, counted; any other as a page (the
    site's own key or rate refused, the service away: the busy page)."""
    problem = error.problem
    kind_of_problem = str(problem.get("type", "")).rsplit("/", 1)[-1]
    if error.status == 409 and kind_of_problem != "already-applied":
        raise CLOSED
    if error.status not in (403, 409, 422):
        raise error
    await phone_checks.refused(conn, check["id"])
    if kind_of_problem == "already-applied":
        return {"nik" if kind == "individual" else "name": ALREADY_APPLIED}
    errors: dict[str, Text] = {}
    for item in problem.get("errors") or []:
        said = str(item.get("message") or "")
        field = FIELDS.get(str(item.get("field")), "")
        errors.setdefault(field or "form", Text(said, said))
    if not errors:
        said = str(problem.get("detail") or problem.get("title") or "")
        errors[_field_of(error.status, programme, kind)] = Text(said, said) if said else REFUSED
    return errors


def _field_of(status: int, programme: dict, kind: str) -> str:
    """Not eligible: a type or a region the programme does not cover (the form offered only
    those it read a moment before: the programme changed since)."""
    if status != 403:
        return "form"
    return "buyer_type" if kind not in programme["buyer_types"] else "region"
