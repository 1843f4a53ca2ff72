"""Producers registered from a file (the console reads a spreadsheet into rows): every row is
checked first, and either all are registered, each as one registration with its event, or none
is and the answer names every bad row. A file sent again after it was imported is refused
(`phone_taken` on every row), so a retry never registers anyone twice."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.intake.handlers import UnitOfWork
from services.intake.handlers.hubs import require_hub
from services.intake.handlers.problems import phone_taken
from services.intake.handlers.producers import register_producer
from services.intake.models import NewProducer, ProducerDetails
from services.intake.records import Producer
from services.intake.store import Taken
from shared.problems import Kind, Problem, Text, from_validation_error

ROWS_INVALID = Kind(
    422, "rows-invalid", Text("Ada baris yang tidak valid", "Some rows are not valid")
)


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based
    field: str | None  # None: the row as a whole (not an object)
    code: str
    message: Text


@dataclass
class RowsProblem(Problem):
    """422 with `rows`: [{row, field, code, message}], every error of every row."""

    rows: list[RowError] = field(default_factory=list)

    def document(self, language: str) -> dict[str, Any]:
        body = super().document(language)
        body["rows"] = [
            {
                "row": e.row,
                "field": e.field,
                "code": e.code,
                "message": e.message.in_language(language),
            }
            for e in sorted(self.rows, key=lambda e: e.row)
        ]
        return body


def rows_invalid(errors: list[RowError]) -> RowsProblem:
    bad = len({e.row for e in errors})
    return RowsProblem(
        ROWS_INVALID.status,
        ROWS_INVALID.name,
        ROWS_INVALID.title,
        Text(
            f"{bad} baris tidak valid; tidak ada yang didaftarkan",
            f"{bad} rows are not valid; nobody was registered",
        ),
        rows=errors,
    )


def checked_rows(rows: Sequence[Any]) -> tuple[dict[int, ProducerDetails], list[RowError]]:
    """The valid rows by row number, and every error: a field's, or a phone the file repeats."""
    valid: dict[int, ProducerDetails] = {}
    errors: list[RowError] = []
    first_with_phone: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        try:
            details = ProducerDetails.model_validate(raw)
        except ValidationError as error:
            for e in from_validation_error(error).errors:
                where = None if e.field == "body" else e.field
                errors.append(RowError(number, where, e.code, e.message))
            continue
        first = first_with_phone.setdefault(details.phone, number)
        if first != number:
            errors.append(
                RowError(
                    number,
                    "phone",
                    "phone_repeated",
                    Text(f"nomor yang sama dengan baris {first}", f"the same phone as row {first}"),
                )
            )
            continue
        valid[number] = details
    return valid, errors


def taken_rows(valid: dict[int, ProducerDetails], phones: set[str]) -> list[RowError]:
    """An error for each row whose phone a producer of the hub has already."""
    return [
        RowError(number, "phone", "phone_taken", phone_taken(details.phone).message)
        for number, details in valid.items()
        if details.phone in phones
    ]


async def import_producers(
    uow: UnitOfWork, hub: str, rows: Sequence[Any], correlation_id: str
) -> dict[int, Producer]:
    """Each row registered as `register_producer` registers one, by row number; or the
    problem naming every bad row. Whether a row's phone is taken is read once for the file."""
    valid, errors = checked_rows(rows)
    await require_hub(uow, hub)
    taken = await uow.producers.phones_taken(hub, [details.phone for details in valid.values()])
    errors += taken_rows(valid, taken)
    if errors:
        raise rows_invalid(errors)
    return {
        number: await register_producer(
            # Checked already: built, not validated again (a file has thousands of rows).
            uow,
            NewProducer.model_construct(hub=hub, **dict(details)),
            correlation_id,
        )
        for number, details in valid.items()
    }


def lost_rows(rows: Sequence[Any], taken: Taken) -> RowsProblem:
    """The answer when phones of the file were registered by someone else while it was
    imported: the rows with those phones."""
    valid, _ = checked_rows(rows)
    return rows_invalid(taken_rows(valid, set(taken.keys)))
