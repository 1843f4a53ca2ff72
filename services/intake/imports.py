"""Producers registered from a file (the console reads a spreadsheet into rows): every row is
checked first, and either all are registered, each with its event, or none is and the answer
names every bad row. A file sent again after it was imported is refused (`phone_taken` on every
row), so a retry never registers anyone twice."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

from services.intake import handlers, store
from services.intake.models import ProducerDetails, Request
from shared import outbox
from shared.events import Envelope, ProducerRegistered
from shared.fields import HubCode
from shared.openapi import documented
from shared.openapi_schemas import REF_TEMPLATE
from shared.problems import Kind, Problem, Text, from_validation_error
from shared.web import DATABASE, accepting_up_to, current_correlation_id, json_response

routes = web.RouteTableDef()

MAX_ROWS = 5_000
# A full file of long rows fits; the service's usual limit is for one record.
MAX_FILE_BYTES = 4 * 1024 * 1024

ROWS_INVALID = Kind(
    422, "rows-invalid", Text("Ada baris yang tidak valid", "Some rows are not valid")
)


def _row_schema() -> dict[str, Any]:
    """A row as registration takes a producer (less the hub), its example another number than
    registration's: a file is mostly people not yet registered. What it refers to (the named
    language and channel) is in the document's components already, as registration's."""
    schema = ProducerDetails.model_json_schema(mode="validation", ref_template=REF_TEMPLATE)
    schema.pop("$defs", None)
    schema["properties"]["phone"]["examples"] = ["0813 5000 1234", "+6281350001234"]
    return schema


# Each row is read by the handler, so that a bad one is reported by its row number with the
# rest; the document shows what a row must be.
Row = Annotated[Any, WithJsonSchema(_row_schema())]


class ProducerFile(Request):
    hub: HubCode
    producers: list[Row] = Field(min_length=1, max_length=MAX_ROWS)


class ImportedProducer(BaseModel):
    row: int  # 1-based, in the file's order
    id: uuid.UUID


class Imported(BaseModel):
    imported: int
    producers: list[ImportedProducer]


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


def taken(valid: dict[int, ProducerDetails], phones: set[str]) -> list[RowError]:
    """An error for each row whose phone a producer of the hub has already."""
    return [
        RowError(number, "phone", "phone_taken", handlers.phone_taken(details.phone).message)
        for number, details in valid.items()
        if details.phone in phones
    ]


@routes.post("/v1/producers/import")
@accepting_up_to(MAX_FILE_BYTES)
@documented(
    operation_id="importProducers",
    summary=Text(
        "Daftarkan banyak produsen sekaligus (semua atau tidak sama sekali)",
        "Register many producers at once (all or none)",
    ),
    body=ProducerFile,
    answers={201: Imported},
    auth="operator",
    problems=(ROWS_INVALID,),
)
async def post_producer_file(request: web.Request, file: ProducerFile) -> web.Response:
    valid, errors = checked_rows(file.producers)
    correlation_id = current_correlation_id()
    async with request.app[DATABASE].acquire() as conn, conn.transaction():
        await handlers.require_hub(conn, file.hub)
        phones = [details.phone for details in valid.values()]
        existing = await conn.fetch(store.PHONES_TAKEN, file.hub, phones)
        errors += taken(valid, {row["phone"] for row in existing})
        if errors:
            raise rows_invalid(errors)
        numbers = list(valid)
        ids = [uuid.uuid4() for _ in numbers]
        columns = zip(*(handlers.detail_columns(valid[n]) for n in numbers), strict=True)
        rows = await conn.fetch(store.PRODUCERS_INSERT, file.hub, ids, *map(list, columns))
        if len(rows) < len(numbers):  # registered meanwhile, by someone else
            inserted = {row["phone"] for row in rows}
            raise rows_invalid(taken(valid, set(phones) - inserted))
        await outbox.add(
            conn,
            *(
                Envelope.wrap(_registered(row), hub=file.hub, correlation_id=correlation_id)
                for row in rows
            ),
        )
    row_of_id = dict(zip(ids, numbers, strict=True))
    imported = sorted(
        (ImportedProducer(row=row_of_id[row["id"]], id=row["id"]) for row in rows),
        key=lambda p: p.row,
    )
    return json_response(Imported(imported=len(imported), producers=imported), status=201)


def _registered(row: Any) -> ProducerRegistered:
    return ProducerRegistered(
        producer_id=row["id"],
        **{name: row[name] for name in ProducerDetails.model_fields},
    )
