"""The API documents as partners' tools read them: Redocly's and Spectral's linters (npm packages
pinned in package-lock.json, installed by scripts/test, run offline) find nothing in any
service's document or the merged one, with the rules of redocly.yaml and .spectral.yaml."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.api_documents import write_all
from tools.local_services import ROOT

BIN = ROOT / "node_modules" / ".bin"
LINTERS = {
    "redocly": lambda files: [BIN / "redocly", "lint", "--config", ROOT / "redocly.yaml", *files],
    "spectral": lambda files: [
        *(BIN / "spectral", "lint", "--ruleset", ROOT / ".spectral.yaml"),
        *("--fail-severity", "warn", *files),
    ],
}
# Offline and quiet: no usage reports, no looking for a newer version.
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "CI": "true"}


def lint(linter: str, files: list[Path]) -> subprocess.CompletedProcess:
    """Run a linter, or fail saying what is missing: a run without the linters is no pass."""
    assert shutil.which("node"), "Node.js 20+ is needed for the API linters: install nodejs"
    command = LINTERS[linter](files)
    assert os.access(command[0], os.X_OK), f"{command[0]} missing: run ./scripts/test (npm ci)"
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        env={**os.environ, **QUIET},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> list[Path]:
    return write_all(tmp_path_factory.mktemp("api-documents"))


@pytest.mark.parametrize("linter", LINTERS)
def test_every_document_and_the_merged_one_pass_the_linter(linter: str, documents: list[Path]):
    assert {path.name for path in documents} == {
        "intake.json",
        "orders.json",
        "allocator.json",
        "notifier.json",
        "openapi-all.json",
    }
    done = lint(linter, documents)

    assert done.returncode == 0, f"{linter} found problems:\n{done.stdout}\n{done.stderr}"


BROKEN_RULES = {
    "redocly": [
        "operation-description",
        "no-invalid-media-type-examples",
        "operation-4xx-problem-details-rfc7807",
    ],
    "spectral": ["operation-description", "oas3-valid-media-example"],
}


@pytest.mark.parametrize("linter", LINTERS)
def test_the_linter_fails_a_document_with_what_partners_trip_over(
    linter: str, documents: list[Path], tmp_path: Path
):
    """The rules bite: an answer that is not a problem, an example its schema refuses, an
    operation saying nothing of itself."""
    document = json.loads(next(p for p in documents if p.name == "orders.json").read_text())
    place = document["paths"]["/v1/orders"]["post"]
    del place["description"]
    place["requestBody"]["content"]["application/json"]["example"]["quantity"] = "ten"
    refused = place["responses"]["422"]["content"]
    refused["application/json"] = refused.pop("application/problem+json")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))

    done = lint(linter, [broken])

    assert done.returncode != 0
    for rule in BROKEN_RULES[linter]:
        assert rule in done.stdout, done.stdout
