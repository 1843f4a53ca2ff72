"""The schemas of an API document: each body's as validated, each answer's as serialised (and
open: see OpenAnswers), all under components, with names a generated client can take."""

from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter

from shared.openapi import HTML, TEXT, Operation
from shared.openapi_parts import OpenAnswers, Problem

REF_TEMPLATE = "#/components/schemas/{model}"
# Answers that are text of a media type of their own rather than JSON of a schema.
TEXTS = (HTML, TEXT)


def component_schemas(operations: Iterable[Operation]) -> tuple[dict, dict, dict]:
    """Each body's schema as validated and each answer's as serialised, under components; and
    each query model's, whose fields become parameters (what they refer to stays in components).
    """
    wanted: dict[tuple[Any, str], TypeAdapter] = {(Problem, "serialization"): TypeAdapter(Problem)}
    queries = set()
    for operation in operations:
        if (body := operation.body_schema) is not None:
            wanted[(body, "validation")] = TypeAdapter(body)
        if operation.query is not None:
            wanted[(operation.query, "validation")] = TypeAdapter(operation.query)
            queries.add(operation.query)
        for answer in operation.answers.values():
            if answer not in (None, *TEXTS):
                wanted[(answer, "serialization")] = TypeAdapter(answer)
    references, definitions = TypeAdapter.json_schemas(
        [(key, mode, adapter) for (key, mode), adapter in wanted.items()],
        ref_template=REF_TEMPLATE,
        schema_generator=OpenAnswers,
    )
    schemas, references = _plain_names(definitions.get("$defs", {}), references)
    referred = {_name(ref) for key, ref in references.items() if key[0] not in queries}
    query_schemas = {}
    for query in queries:
        name = _name(references[(query, "validation")])
        query_schemas[query] = schemas[name] if name in referred else schemas.pop(name)
    return references, schemas, query_schemas


def _plain_names(schemas: dict, references: dict) -> tuple[dict, dict]:
    """A model that is a body and an answer is two schemas (the answer's open): pydantic names
    them `X-Input` and `X-Output`, both titled `X`, which generated clients read as one name
    twice. The answer's is `X`, the body's `XInput`."""
    new = {name: name.removesuffix("-Output") for name in schemas if name.endswith("-Output")}
    new |= {name: name.replace("-Input", "Input") for name in schemas if name.endswith("-Input")}
    if not new:
        return schemas, references
    prefix = REF_TEMPLATE.removesuffix("{model}")

    def renamed(value: Any) -> Any:
        if isinstance(value, dict):
            made = {key: renamed(item) for key, item in value.items()}
            if (name := str(made.get("$ref", "")).removeprefix(prefix)) in new:
                made["$ref"] = prefix + new[name]
            return made
        return [renamed(item) for item in value] if isinstance(value, list) else value

    schemas = {new.get(name, name): renamed(schema) for name, schema in schemas.items()}
    for name in new.values():  # generators name a class by the schema's title
        schemas[name]["title"] = name
    return schemas, {key: renamed(reference) for key, reference in references.items()}


def _name(reference: dict) -> str | None:
    return reference["$ref"].rsplit("/", 1)[-1] if "$ref" in reference else None
