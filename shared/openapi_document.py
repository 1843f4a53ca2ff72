"""The OpenAPI 3.1 document of an app, built by walking its router: the paths and methods are
the real routes, the schemas those of the pydantic models the handlers declare (shared/openapi.py)
and validate with: a body's as validated, an answer's as serialised.
"""

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, NotRequired

from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypedDict

from shared.openapi import HTML, KINDS, TEXT, Header, Kind, Operation, operation_of
from shared.problems import Text
from shared.web import PROBLEM_JSON

REF_TEMPLATE = "#/components/schemas/{model}"
_PATH_PARAMETER = re.compile(r"\{(\w+)")


class FieldProblem(TypedDict):
    field: str
    code: str
    message: str


# The wire form of shared.problems.Problem (its `document`); the docstring is for API readers.
class Problem(TypedDict):
    """Masalah menurut RFC 9457 / A problem document (RFC 9457)"""

    type: str
    title: str
    status: int
    detail: NotRequired[str]
    errors: NotRequired[list[FieldProblem]]


SECURITY_SCHEMES = {
    "operatorToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "Token operator pusat (admin, staf atau peninjau: membaca perlu peninjau,"
        " mengubah perlu staf) / The centre's operator token (admin, staff or viewer: reading"
        " needs a viewer's, changing a staff member's)",
    },
    # One scheme for both: they travel in the same header, and the service tells them apart.
    "partnerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "Kunci API mitra (plut_...) atau token operator"
        " / A partner's API key (plut_...) or the operator token",
    },
}
_SECURITY = {
    "operator": [{"operatorToken": []}],
    "admin": [{"operatorToken": []}],
    "partner": [{"partnerKey": []}],
}
# Answers that are text of a media type of their own rather than JSON of a schema.
_TEXTS = (HTML, TEXT)
_ANSWER_TEXT = {
    200: Text("Berhasil", "OK"),
    201: Text("Dibuat", "Created"),
    204: Text("Berhasil, tanpa isi", "OK, no content"),
    503: Text("Belum siap", "Not ready"),
}


def openapi_document(router: web.UrlDispatcher, *, title: str, about: Text, version: str) -> dict:
    """The OpenAPI 3.1 document of the documented routes of `router`.

    An undocumented route is left out: the document promises only what a model enforces.
    """
    routes = [(route, operation) for route in router.routes() if (operation := operation_of(route))]
    references, schemas = _schemas(operation for _, operation in routes)
    paths: dict[str, dict] = {}
    for route, operation in routes:
        path = route.resource.canonical
        paths.setdefault(path, {})[route.method.lower()] = _operation_object(
            route, path, operation, references
        )
    own_kinds = [kind for _, op in routes for kind in op.problems if isinstance(kind, Kind)]
    kinds = {f"/problems/{kind.name}": kind for kind in [*KINDS, *own_kinds]}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": said(about, "\n\n")},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        "x-problem-types": [
            {"type": uri, "status": kind.status, "title": said(kind.title)}
            for uri, kind in sorted(kinds.items(), key=lambda item: (item[1].status, item[0]))
        ],
    }


def said(text: Text, between: str = " / ") -> str:
    """Both languages in one string, Indonesian first."""
    return f"{text.id}{between}{text.en}"


def _schemas(operations: Iterable[Operation]) -> tuple[dict, dict]:
    """Each body's schema as validated and each answer's as serialised, under components."""
    wanted: dict[tuple[Any, str], TypeAdapter] = {(Problem, "serialization"): TypeAdapter(Problem)}
    for operation in operations:
        if operation.body is not None:
            wanted[(operation.body, "validation")] = TypeAdapter(operation.body)
        for answer in operation.answers.values():
            if answer not in (None, *_TEXTS):
                wanted[(answer, "serialization")] = TypeAdapter(answer)
    references, definitions = TypeAdapter.json_schemas(
        [(key, mode, adapter) for (key, mode), adapter in wanted.items()],
        ref_template=REF_TEMPLATE,
    )
    return references, definitions.get("$defs", {})


def _operation_object(
    route: web.AbstractRoute, path: str, operation: Operation, references: dict
) -> dict:
    path_names = _PATH_PARAMETER.findall(path)
    if unknown := set(operation.path) - set(path_names):
        raise ValueError(f"{route.method} {path} has no path parameter {sorted(unknown)}")
    document: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": said(operation.summary),
        "parameters": [
            *(_path_parameter(name, operation.path.get(name, str)) for name in path_names),
            *(_query_parameters(operation.query) if operation.query is not None else ()),
            *(_header_parameter(header) for header in operation.headers),
        ],
        "responses": {},
    }
    if operation.auth is not None:
        document["security"] = _SECURITY[operation.auth]
    if operation.body is not None:
        schema = references[(operation.body, "validation")]
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    for status, answer in sorted(operation.answers.items()):
        document["responses"][str(status)] = _answer(status, answer, references)
    problem = {PROBLEM_JSON: {"schema": references[(Problem, "serialization")]}}
    for status, kinds in operation.problem_kinds(bool(path_names)).items():
        answer = {
            "description": " | ".join(said(kind.title) for kind in kinds),
            "content": problem,
            "x-problem-types": [f"/problems/{kind.name}" for kind in kinds],
        }
        if status == 429:
            answer["headers"] = {"Retry-After": _RETRY_AFTER}
        document["responses"][str(status)] = answer
    return document


_RETRY_AFTER = {
    "description": "Detik sampai boleh mencoba lagi / Seconds until a retry is welcome",
    "schema": {"type": "integer", "minimum": 0},
}


def _answer(status: int, answer: Any, references: dict) -> dict:
    phrase = HTTPStatus(status).phrase
    description = said(_ANSWER_TEXT.get(status, Text(phrase, phrase)))
    if answer is None:
        return {"description": description}
    if answer in _TEXTS:
        return {"description": description, "content": {answer: {"schema": {"type": "string"}}}}
    schema = references[(answer, "serialization")]
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_parameter(name: str, kind: Any) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": _inline(kind)}


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _absent_not_null(p)}
        for name, p in schema["properties"].items()
    ]


def _header_parameter(header: Header) -> dict:
    return {
        "name": header.name,
        "in": "header",
        "required": header.required,
        "description": said(header.about),
        "schema": dict(header.schema),
    }


def _inline(kind: Any) -> dict:
    schema = TypeAdapter(kind).json_schema()
    if "$defs" in schema:
        raise ValueError(f"a parameter must be a simple type, not {kind!r}")
    return schema


def _absent_not_null(schema: dict) -> dict:
    """A query parameter is left out rather than sent as null: `X | None = None` reads as X."""
    variants = [s for s in schema.get("anyOf", ()) if s != {"type": "null"}]
    if len(variants) != 1 or schema.get("default", ...) is not None:
        return schema
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**rest, **variants[0]}
