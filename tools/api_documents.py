"""The API documents, made from the services' routes without running them: each service's (as it
serves it) and the merged one (shared/openapi_merge.py), which the services serve as built here.

python -m tools.api_documents --update      # rewrite shared/openapi-all.json after an API change
python -m tools.api_documents --out DIR     # write DIR/<service>.json and DIR/openapi-all.json
"""

import argparse
import importlib
import json
from importlib.metadata import version
from pathlib import Path

from shared.apidocs import DOCUMENT
from shared.config import LOCAL_URLS
from shared.openapi_merge import MERGED_PATH, merged_document, with_servers

SERVICES = ("intake", "orders", "allocator", "notifier")


def documents() -> dict[str, dict]:
    """Each service's document, as its process builds it (nothing is started)."""
    made = {}
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.app")
        made[service] = json.loads(module.create_app(module.Settings())[DOCUMENT])
    return made


def merged() -> dict:
    """The merged document as shared/openapi-all.json holds it: servers are the deployment's."""
    return merged_document(documents(), version=version("plut-hub"))


def as_text(document: dict) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Every document into `directory`, the merged one with the local servers: what the linters
    and client generators read."""
    directory.mkdir(parents=True, exist_ok=True)
    made = documents()
    files = {f"{service}.json": document for service, document in made.items()}
    files["openapi-all.json"] = with_servers(
        merged_document(made, version=version("plut-hub")), LOCAL_URLS
    )
    for name, document in files.items():
        (directory / name).write_text(as_text(document))
    return [directory / name for name in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help=f"rewrite {MERGED_PATH.name}")
    parser.add_argument("--out", type=Path, help="write every document into this directory")
    arguments = parser.parse_args()
    if not arguments.update and arguments.out is None:
        parser.error("say --update, --out DIR, or both")
    if arguments.update:
        MERGED_PATH.write_text(as_text(merged()))
        print(f"wrote {MERGED_PATH}")
    if arguments.out is not None:
        for path in write_all(arguments.out):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
