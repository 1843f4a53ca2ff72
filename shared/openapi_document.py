"""The OpenAPI 3.1 document of an app, built by walking its router: the paths and methods are
the real routes, the schemas those of the pydantic models the handlers declare (shared/openapi.py)
and validate with: a body's as validated, an answer's as serialised.
"""

import re
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import TypeAdapter

from shared.openapi import KINDS, Header, Kind, Operation, operation_of
from shared.openapi_parts import (
    COMMON_PARAMETERS,
    CORRELATION,
    HEADERS,
    PARAMETERS,
    REPLAYED,
    RETRY_AFTER,
    SECURITY_SCHEMES,
    Problem,
    default_answer,
    description_of,
    header_parameter,
    keep_used,
    said,
    security_of,
    tags_of,
)
from shared.openapi_schemas import TEXTS, component_schemas
from shared.problems import Text
from shared.web import PROBLEM_JSON

_PATH_PARAMETER = re.compile(r"\{(\w+)")
_ANSWER_TEXT = {
    200: Text("Berhasil", "OK"),
    201: Text("Dibuat", "Created"),
    204: Text("Berhasil, tanpa isi", "OK, no content"),
    503: Text("Belum siap", "Not ready"),
}
# Who answers for the API, and on what terms: what a partner's tools show beside it.
CONTACT = {"name": "Pusat Layanan Usaha Terpadu (PLUT) / The PLUT service centre"}
LICENSE = {
    "name": "Untuk mitra PLUT / For PLUT's partners",
    "identifier": "LicenseRef-PLUT-Partners",
}


def openapi_document(
    router: web.UrlDispatcher,
    *,
    service: str,
    title: str,
    about: Text,
    version: str,
    servers: list[dict[str, str]],
) -> dict:
    """The OpenAPI 3.1 document of the documented routes of `router`, served at `servers`.

    An undocumented route is left out: the document promises only what a model enforces.
    """
    routes = [(route, operation) for route in router.routes() if (operation := operation_of(route))]
    references, schemas, query_schemas = component_schemas(op for _, op in routes)
    paths: dict[str, dict] = {}
    named: dict[str, str] = {}  # operation id -> the route it names
    for route, operation in routes:
        path = route.resource.canonical
        made = _operation_object(route, service, path, operation, references, query_schemas)
        here = f"{route.method} {path}"
        if (there := named.setdefault(made["operationId"], here)) != here:
            raise ValueError(f"{made['operationId']} names {there} and {here}")
        paths.setdefault(path, {})[route.method.lower()] = made
    own_kinds = [kind for _, op in routes for kind in op.problems if isinstance(kind, Kind)]
    kinds = {f"/problems/{kind.name}": kind for kind in [*KINDS, *own_kinds]}
    used = {scheme for _, op in routes for choice in security_of(op.auth) for scheme in choice}
    components = {
        "schemas": schemas,
        "parameters": dict(PARAMETERS),
        "headers": dict(HEADERS),
        "securitySchemes": {name: SECURITY_SCHEMES[name] for name in sorted(used)},
    }
    keep_used(components, paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": said(about, "\n\n"),
            "contact": CONTACT,
            "license": LICENSE,
        },
        "servers": servers,
        "tags": tags_of({operation.group for _, operation in routes}),
        "paths": paths,
        "components": components,
        "x-problem-types": [
            {"type": uri, "status": kind.status, "title": said(kind.title)}
            for uri, kind in sorted(kinds.items(), key=lambda item: (item[1].status, item[0]))
        ],
    }


def _operation_object(
    route: web.AbstractRoute,
    service: str,
    path: str,
    operation: Operation,
    references: dict,
    query_schemas: dict,
) -> dict:
    path_names = _PATH_PARAMETER.findall(path)
    if unknown := set(operation.path) - set(path_names):
        raise ValueError(f"{route.method} {path} has no path parameter {sorted(unknown)}")
    operation_id = operation.operation_id
    if operation.group == "system":  # served by every service: its name tells them apart
        operation_id = service + operation_id[0].upper() + operation_id[1:]
    idempotent = any(header.name == "Idempotency-Key" for header in operation.headers)
    document: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [operation.group],
        "summary": said(operation.summary),
        "description": description_of(operation.description, operation.auth, idempotent),
        "security": security_of(operation.auth),
        "parameters": [
            *(_path_parameter(name, operation.path.get(name, str)) for name in path_names),
            *(_query_parameters(query_schemas[operation.query]) if operation.query else ()),
            *(_header_parameter(header) for header in operation.headers),
            *COMMON_PARAMETERS,
        ],
        "responses": {},
    }
    if (body := operation.body_schema) is not None:
        schema = references[(body, "validation")]
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": _media(schema, operation.examples.get("body"))},
        }
    for status, answer in sorted(operation.answers.items()):
        made = _answer(status, answer, references, operation.examples.get(status))
        if idempotent and status < 300:
            made["headers"] = {**made["headers"], **REPLAYED}
        document["responses"][str(status)] = made
    problem = references[(Problem, "serialization")]
    for status, kinds in operation.problem_kinds(bool(path_names)).items():
        answer = {
            "description": " | ".join(said(kind.title) for kind in kinds),
            "headers": {**CORRELATION, **(RETRY_AFTER if status == 429 else {})},
            "content": {PROBLEM_JSON: {"schema": problem}},
            "x-problem-types": [f"/problems/{kind.name}" for kind in kinds],
        }
        document["responses"][str(status)] = answer
    document["responses"]["default"] = default_answer(problem)
    return document


def _answer(status: int, answer: Any, references: dict, example: Any) -> dict:
    phrase = HTTPStatus(status).phrase
    made: dict[str, Any] = {
        "description": said(_ANSWER_TEXT.get(status, Text(phrase, phrase))),
        "headers": dict(CORRELATION),
    }
    if answer in TEXTS:
        made["content"] = {answer: {"schema": {"type": "string"}}}
    elif answer is not None:
        made["content"] = {
            "application/json": _media(references[(answer, "serialization")], example)
        }
    return made


def _media(schema: dict, example: Any) -> dict:
    return {"schema": schema} if example is None else {"schema": schema, "example": example}


def _path_parameter(name: str, kind: Any) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": _inline(kind)}


def _query_parameters(schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _absent_not_null(p)}
        for name, p in schema["properties"].items()
    ]


def _header_parameter(header: Header) -> dict:
    made = header_parameter(header.name, said(header.about), dict(header.schema), header.required)
    if header.example is not None:
        made["example"] = header.example
    return made


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
