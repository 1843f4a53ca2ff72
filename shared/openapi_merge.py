"""One OpenAPI document for the whole hub, made of each service's: every API path with the server
of the service that owns it, one list of servers, the schemas they share once.

The system routes (health, readiness, metrics, the documents) are every service's own, at the
same paths: they stay in each service's document. Two services declaring the same path or
operation id, or one schema name for two different schemas, cannot be merged: an error, so it
is found when the merged document is built (tools/api_documents.py), not by a partner.
"""

from collections.abc import Mapping
from pathlib import Path

from shared.openapi_parts import keep_used, said, tags_of
from shared.problems import Text

# Built from the routes by `python -m tools.api_documents --update`; a test keeps it current.
MERGED_PATH = Path(__file__).with_name("openapi-all.json")
SERVICE = "x-service"  # on each path item: the service that serves it
ABOUT = Text(
    "Semua API pusat pemesanan PLUT dalam satu dokumen. Setiap path dilayani oleh layanannya"
    " sendiri (servers pada path); /health, /ready, /metrics dan dokumen API ada pada setiap"
    " layanan, di dokumennya sendiri (/v1/openapi.json).",
    "Every API of the PLUT pre-order hub in one document. Each path is served by its own"
    " service (the path's servers); /health, /ready, /metrics and the API documents are on"
    " every service, in its own document (/v1/openapi.json).",
)


def merged_document(documents: Mapping[str, dict], *, version: str) -> dict:
    """The documents of `documents` (service -> its document) as one, without servers (see
    `with_servers`); raises ValueError on a path, operation id or schema name in two of them."""
    paths: dict[str, dict] = {}
    owners: dict[str, str] = {}  # operation id -> its service
    components: dict[str, dict] = {}
    problem_types: dict[str, dict] = {}
    for service, document in documents.items():
        for path, item in document["paths"].items():
            operations = {
                method: operation
                for method, operation in item.items()
                if "system" not in operation["tags"]
            }
            if not operations:
                continue
            if path in paths:
                raise ValueError(f"{path} is {paths[path][SERVICE]}'s and {service}'s")
            for operation in operations.values():
                if (owner := owners.setdefault(operation["operationId"], service)) != service:
                    raise ValueError(f"{operation['operationId']} is {owner}'s and {service}'s")
            paths[path] = {SERVICE: service, **operations}
        for kind, named in document["components"].items():
            _add(components.setdefault(kind, {}), named, f"{service}'s {kind}")
        _add(problem_types, {k["type"]: k for k in document["x-problem-types"]}, service)
    keep_used(components, paths)
    first = next(iter(documents.values()))
    tags = {tag for item in paths.values() for op in _operations(item) for tag in op["tags"]}
    return {
        "openapi": first["openapi"],
        "info": {
            **first["info"],
            "title": "PLUT",
            "version": version,
            "description": said(ABOUT, "\n\n"),
        },
        "tags": tags_of(tags),
        "paths": dict(sorted(paths.items())),
        "components": {kind: dict(sorted(named.items())) for kind, named in components.items()},
        "x-problem-types": sorted(problem_types.values(), key=lambda k: (k["status"], k["type"])),
    }


def with_servers(merged: dict, public_urls: Mapping[str, str]) -> dict:
    """The merged document with the servers where this deployment serves each service."""
    servers = {
        service: {"url": url, "description": service} for service, url in public_urls.items()
    }
    wanted = sorted({item[SERVICE] for item in merged["paths"].values()})
    if missing := [service for service in wanted if service not in servers]:
        raise ValueError(f"no public URL for {missing}")
    return {
        **merged,
        "servers": [servers[service] for service in wanted],
        "paths": {
            path: {"servers": [servers[item[SERVICE]]], **item}
            for path, item in merged["paths"].items()
        },
    }


def _add(into: dict, named: Mapping[str, object], whose: str) -> None:
    for name, value in named.items():
        if into.setdefault(name, value) != value:
            raise ValueError(f"{whose} {name} differs from another service's")


def _operations(item: dict) -> list[dict]:
    return [value for key, value in item.items() if key not in (SERVICE, "servers")]
