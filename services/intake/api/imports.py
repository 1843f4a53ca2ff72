"""Producers registered from a file: HTTP only (the rules are `handlers.imports`)."""

import functools
import uuid
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field, WithJsonSchema

from services.intake.api.unit import request_unit
from services.intake.handlers.imports import ROWS_INVALID, import_producers, lost_rows
from services.intake.models import ProducerDetails, Request
from shared.fields import HubCode
from shared.openapi import documented
from shared.openapi_schemas import REF_TEMPLATE
from shared.problems import Text
from shared.web import accepting_up_to, current_correlation_id, json_response

routes = web.RouteTableDef()

MAX_ROWS = 5_000
# A full file of long rows fits; the service's usual limit is for one record.
MAX_FILE_BYTES = 4 * 1024 * 1024


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
    lost = functools.partial(lost_rows, file.producers)
    async with request_unit(request, on_taken=lost) as uow:
        registered = await import_producers(uow, file.hub, file.producers, current_correlation_id())
    imported = [ImportedProducer(row=row, id=producer.id) for row, producer in registered.items()]
    return json_response(Imported(imported=len(imported), producers=imported), status=201)
