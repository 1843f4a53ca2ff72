"""The compose smoke test's stack: `docker compose up --build -d` as the README's quick start
runs it, under the project name and ports of tests/compose/project.py, removed with its volumes
at the end. Not part of the suite (pyproject's addopts leave tests/compose out): run it with
`./scripts/compose-smoke`.

The files run in their numbered order against the one stack, each step building on the stack
as the previous left it, the way an operator's day goes: up, play, sign in, scale, inspect,
restart, down and up again, down -v.
"""

import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.compose.project import FIGURES, ComposeProject, client_of
from tests.compose.readme import readme_blocks
from tools.client import HubClient

# How long the whole stack may take to turn healthy from `up` (a first build included).
STARTUP_LIMIT = 300.0


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("compose smoke figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="session")
def project() -> Iterator[ComposeProject]:
    made = ComposeProject.for_smoke()
    answer = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, f"no Docker engine answers `docker info`:\n{answer.stderr}"
    made.compose("down", "-v", "--remove-orphans")  # what an interrupted run left
    taken = made.taken_ports()
    assert not taken, f"ports the smoke publishes on are taken on this machine: {taken}"
    try:
        yield made
    finally:
        made.compose("down", "-v", "--remove-orphans")


@pytest.fixture(scope="session")
def stack(project: ComposeProject) -> ComposeProject:
    """The README's first block run as written (export the token, up --build -d, ps), then every
    container healthy."""
    (quick_start, *_) = readme_blocks("Quick start")
    started = time.monotonic()
    for line in quick_start:
        project.shell(line)
    assert project.env.get("OPERATOR_TOKEN"), "the quick start exports the operator token"
    project.wait_healthy(STARTUP_LIMIT - (time.monotonic() - started))
    FIGURES["quick start to every container healthy"] = f"{time.monotonic() - started:.0f} s"
    return project


@pytest.fixture(scope="session")
def founding(stack: ComposeProject) -> tuple[str, str]:
    """The README's second block as written (the venv, then the founding day): the hub it
    played at and the report it printed."""
    _, play_block, *_ = readme_blocks("Quick start")
    *setup, play = play_block
    for line in setup:
        stack.shell(line)
    report = stack.shell(play, timeout=300)
    hub = re.search(r"founding day at hub (\S+)", report)
    assert hub, report
    return hub[1], report


@pytest.fixture
async def client(stack: ComposeProject) -> AsyncIterator[HubClient]:
    async with client_of(stack) as made:
        yield made
