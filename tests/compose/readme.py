"""The README's commands as the smoke test runs them: read from the README itself, so the two
cannot drift apart, and, for a command that asks for a password, typed into a terminal of its
own."""

import os
import pty
import re
import select
import subprocess
import time

from tests.compose.project import ComposeFailed, ComposeProject
from tools.local_services import ROOT

COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def readme_blocks(section: str) -> list[list[str]]:
    """The command lines of each ```sh block of the README's section, as written (comments and
    all; lines that are only comments left out)."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    blocks = re.findall(r"```sh\n(.*?)```", text[start : end if end > 0 else None], re.S)
    return [
        [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
        for block in blocks
    ]


def on_terminal(
    project: ComposeProject, line: str, replies: list[tuple[str, str]], timeout: float = 120
) -> str:
    """The command line run on a terminal of its own (as `docker compose exec` expects),
    typing each reply once its prompt shows; answers what the terminal showed."""
    master, child_side = pty.openpty()
    child = subprocess.Popen(
        ["bash", "-c", line],
        cwd=ROOT,
        env=project.env,
        stdin=child_side,
        stdout=child_side,
        stderr=child_side,
        start_new_session=True,
    )
    os.close(child_side)
    shown, seen, pending = b"", 0, list(replies)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the terminal closed: the command is done
                    break
                if not chunk:
                    break
                shown += chunk
            if pending and pending[0][0].encode() in shown[seen:]:
                os.write(master, pending.pop(0)[1].encode() + b"\n")
                seen = len(shown)
        else:
            child.kill()
        code = child.wait(timeout=30)
    finally:
        os.close(master)
    text = COLOURS.sub("", shown.decode(errors="replace"))
    if code != 0 or pending:
        raise ComposeFailed(f"{line}: exit {code}, prompts not seen {pending}\n{text}")
    return text
