"""An API document as one HTML page people read: each operation (who may call it, its
parameters, body and answers), then the schemas and the problem types; made on the server, with
no script and nothing loaded from elsewhere."""

import json
from html import escape
from typing import Any

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem }
h2 { border-top: 1px solid #ccc; padding-top: 1rem } .en { color: #555 }
table { border-collapse: collapse; margin: .5rem 0 } td, th { border: 1px solid #ddd;
padding: .2rem .5rem; text-align: left; vertical-align: top } code { background: #f4f4f4 }
.method { font-weight: bold; color: #fff; background: #345; padding: 0 .4rem }
"""


def page(document: dict) -> str:
    """The whole document as one HTML page: each operation, then the schemas and problem types."""
    info = document["info"]
    schemas = document["components"]["schemas"]
    indonesian, _, english = info["description"].partition("\n\n")
    parts = [
        f"<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info['title'])} <small>{escape(info['version'])}</small></h1>",
        f"<p>{escape(indonesian)}</p><p class='en' lang='en'>{escape(english)}</p>",
        "<p><a href='/v1/openapi.json' download>openapi.json</a>: layanan ini / this service;"
        " <a href='/v1/openapi-all.json' download>openapi-all.json</a>: semua layanan dalam"
        " satu dokumen / every service in one document</p><ul>",
    ]
    operations = [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    for method, path, operation in operations:
        parts.append(
            f"<li><a href='#{operation['operationId']}'>{method.upper()} {escape(path)}</a>"
            f" — {escape(operation['summary'])}</li>"
        )
    parts.append("</ul>")
    for method, path, operation in operations:
        parts.append(_operation(method, path, operation, document["components"]))
    parts.append("<h2 id='schemas'>Skema / Schemas</h2>")
    for name, schema in schemas.items():
        parts.append(f"<h3 id='schema-{escape(name)}'>{escape(name)}</h3>{_fields(schema)}")
    parts.append(_problem_types(document["x-problem-types"]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _operation(method: str, path: str, operation: dict, components: dict) -> str:
    schemes = components["securitySchemes"]
    access = " <b>atau / or</b> ".join(
        f"<code>{name}</code> ({escape(schemes[name]['description'])})"
        for choice in operation.get("security", [])
        for name in choice
    )
    schemas = components["schemas"]
    html = [
        f"<h2 id='{operation['operationId']}'><span class='method'>{method.upper()}</span>"
        f" <code>{escape(path)}</code></h2>",
        f"<p>{escape(operation['summary'])}</p>",
        # Its paragraphs alternate: Indonesian, then English.
        *(
            f"<p class='en' lang='en'>{escape(part)}</p>" if english else f"<p>{escape(part)}</p>"
            for english, part in _alternating(operation["description"].split("\n\n"))
        ),
        f"<p>Akses / Access: {access or 'terbuka / open'}</p>",
    ]
    if parameters := operation["parameters"]:
        html.append("<h3>Parameter / Parameters</h3>")
        html.append(
            _table(
                ("nama / name", "di / in", "jenis / type", "wajib / required", "arti / notes"),
                [
                    (
                        f"<code>{escape(p['name'])}</code>",
                        p["in"],
                        _type(p["schema"]),
                        _yes(p["required"]),
                        escape(p.get("description", "")),
                    )
                    for p in (_resolved(p, components["parameters"]) for p in parameters)
                ],
            )
        )
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        html.append(f"<h3>Isi permintaan / Request body: {_type(schema)}</h3>")
        html.append(_fields(_resolved(schema, schemas)))
    rows = []
    for status, answer in operation["responses"].items():
        content = answer.get("content", {})
        body = [f"{escape(media)}: {_type(c['schema'])}" for media, c in content.items()]
        kinds = [f"<code>{escape(kind)}</code>" for kind in answer.get("x-problem-types", [])]
        rows.append((status, escape(answer["description"]), "<br>".join(body + kinds)))
    html.append("<h3>Jawaban / Answers</h3>")
    html.append(_table(("status", "arti / meaning", "isi / body"), rows))
    return "\n".join(html)


def _alternating(parts: list[str]) -> list[tuple[bool, str]]:
    return [(index % 2 == 1, part) for index, part in enumerate(parts)]


def _fields(schema: dict) -> str:
    properties = schema.get("properties")
    if not properties:
        return f"<p>{_type(schema)}</p>"
    required = set(schema.get("required", ()))
    return _table(
        ("kolom / field", "jenis / type", "wajib / required"),
        [
            (f"<code>{escape(name)}</code>", _type(field), _yes(name in required))
            for name, field in properties.items()
        ],
    )


def _type(schema: dict) -> str:
    """A JSON schema said briefly: its type, format and limits; a reference as a link."""
    if "$ref" in schema:
        name = escape(schema["$ref"].rsplit("/", 1)[-1])
        return f"<a href='#schema-{name}'>{name}</a>"
    if "anyOf" in schema:
        return " | ".join(_type(variant) for variant in schema["anyOf"])
    if "enum" in schema:
        values = (f"<code>{escape(json.dumps(value))}</code>" for value in schema["enum"])
        return "salah satu / one of: " + ", ".join(values)
    if "const" in schema:
        return f"<code>{escape(json.dumps(schema['const']))}</code>"
    if schema.get("type") == "array":
        return f"array [{_type(schema.get('items', {}))}]"
    said_type = schema.get("format") or schema.get("type") or "any"
    limits = [f"{label} {_value(schema[key])}" for key, label in _LIMITS if key in schema]
    return escape(str(said_type)) + (f" ({', '.join(limits)})" if limits else "")


def _value(value: Any) -> str:
    """A limit as written: a pattern or a text as it is, anything else as JSON."""
    return f"<code>{escape(value if isinstance(value, str) else json.dumps(value))}</code>"


_LIMITS = (
    ("minimum", "≥"),
    ("maximum", "≤"),
    ("minLength", "panjang / length ≥"),
    ("maxLength", "panjang / length ≤"),
    ("minItems", "isi / items ≥"),
    ("maxItems", "isi / items ≤"),
    ("pattern", "pola / pattern"),
    ("default", "bawaan / default"),
)


def _resolved(part: dict, components: dict) -> dict:
    """A schema or parameter, whether written in place or referred to."""
    return components[part["$ref"].rsplit("/", 1)[-1]] if "$ref" in part else part


def _problem_types(kinds: list[dict[str, Any]]) -> str:
    rows = [(f"<code>{escape(k['type'])}</code>", k["status"], escape(k["title"])) for k in kinds]
    return "<h2 id='problems'>Jenis masalah / Problem types</h2>" + _table(
        ("type", "status", "judul / title"), rows
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _yes(flag: bool) -> str:
    return "ya / yes" if flag else "tidak / no"
