"""The `plut` commands the README and the operators' guides show, as a new user types them from
a fresh clone: the program is where they say (`.venv/bin/plut`, or in the console's image under
compose), each command's path answers `--help`, and every option and value it is given is one
plut takes. Running each for real is tests/integration/test_plut_cli.py's (and the compose
smoke's for `docker compose exec console plut`)."""

import argparse
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tools.plut import _parser

ROOT = Path(__file__).parents[2]
DOCUMENTS = ("README.md", "docs/backup-and-recovery.md")
# How the documents start plut: on the host from the clone's .venv, or in the console's container.
STARTS = re.compile(r"(?:^|\s)(\.venv/bin/plut|docker compose (?:exec|run)\b.*?\bconsole plut)\s")


def shown_commands() -> list[tuple[str, str, list[str]]]:
    """(document, how plut is started, its arguments) for every plut command in a sh block,
    continuation lines joined and comments dropped."""
    found = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text()
        for block in re.findall(r"```sh\n(.*?)```", text, re.S):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                started = STARTS.search(" ".join(words) + " ")
                if started is None:
                    continue
                start = words.index("plut") if "plut" in words else words.index(".venv/bin/plut")
                found.append((document, started.group(1), words[start + 1 :]))
    return found


COMMANDS = shown_commands()


def test_the_documents_show_plut_commands_and_none_bare():
    assert len(COMMANDS) >= 10
    for document in DOCUMENTS:
        for block in re.findall(r"```sh\n(.*?)```", (ROOT / document).read_text(), re.S):
            bare = [line for line in block.splitlines() if line.lstrip().startswith("plut ")]
            assert not bare, f"{document}: no `plut` on a new user's PATH: {bare}"


@pytest.mark.parametrize(("document", "started", "arguments"), COMMANDS)
def test_each_shown_command_is_one_plut_takes(document: str, started: str, arguments: list[str]):
    parsed = _parsed(arguments)
    assert parsed.command == arguments[0], (document, arguments)


@pytest.mark.parametrize(
    "path", sorted({tuple(_path) for *_, arguments in COMMANDS for _path in [arguments[:2]]})
)
def test_each_shown_command_answers_help_from_the_clones_venv(path: tuple[str, ...]):
    """As written on the host: `.venv/bin/plut` from the clone's root (made by ./scripts/test)."""
    words = [word for word in path if not word.startswith("-")]
    answer = subprocess.run(
        [".venv/bin/plut", *words[: _depth(words)], "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("usage: plut"), answer.stdout


def _depth(words: list[str]) -> int:
    """How many of the words name a command: `play founding` two, `seed --hub x` one."""
    nested = {"operator", "partner", "play", "export"}
    return 2 if words and words[0] in nested else 1


def _parsed(arguments: list[str]) -> argparse.Namespace:
    try:
        return _parser().parse_args(arguments)
    except SystemExit as refused:  # argparse refuses with a usage message and exit status 2
        raise AssertionError(f"plut refuses {arguments}") from refused
