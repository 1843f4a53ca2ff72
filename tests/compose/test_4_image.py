"""The project's image: one for all five services, each running as a user that is not root; its
size reported; and a change to the code alone rebuilt without installing any package again
(the dependencies' layer comes from the cache)."""

import re
import shutil
from pathlib import Path

from tests.compose.project import APP_PORTS, FIGURES, ComposeProject
from tools.local_services import ROOT

# What the Dockerfile copies in (.dockerignore leaves out the rest), and itself.
CONTEXT = (
    "Dockerfile",
    ".dockerignore",
    "pyproject.toml",
    "constraints.txt",
    "shared",
    "services",
    "tools",
)
CHECK_TAG = "plut-smoke-cache-check"
DEPENDENCIES_STEP = "constraints.txt -r /tmp/requirements.txt"


def test_the_services_share_one_image_and_run_as_a_user(stack: ComposeProject):
    apps = [c for c in stack.containers() if c.service in APP_PORTS]
    assert {c.service for c in apps} == set(APP_PORTS)
    images = {
        stack.run(["docker", "inspect", "--format", "{{.Image}}", c.id]).strip() for c in apps
    }
    assert len(images) == 1, "the five services run the one image"
    for container in apps:
        # The service's own process (PID 1 of its container), as the kernel sees it.
        status = stack.run(["docker", "exec", container.id, "cat", "/proc/1/status"])
        uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.M)
        assert uids and uids[1] != "0" and uids[2] != "0", (container.name, uids and uids[0])
    size = int(stack.run(["docker", "image", "inspect", "--format", "{{.Size}}", images.pop()]))
    FIGURES["project image"] = f"{size / 1e6:.0f} MB"


def test_a_code_change_rebuilds_without_installing_a_package(stack: ComposeProject, tmp_path):
    """The build `up --build` made filled the cache; the same context with one line of code
    changed is built beside it."""
    changed = tmp_path / "changed"
    changed.mkdir()
    for name in CONTEXT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, changed / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, changed / name)
    edited = changed / "services" / "intake" / "__init__.py"
    edited.write_text(edited.read_text() + "\n# A code change, made by the compose smoke test.\n")
    try:
        output = build(stack, changed)
    finally:
        stack.run(["docker", "image", "rm", "--force", CHECK_TAG])
    assert step_cached(output, DEPENDENCIES_STEP), output
    assert not step_cached(output, "COPY services"), "the change was built"
    assert not re.search(r"\b(Collecting|Downloading) \S", output), output


def build(stack: ComposeProject, context: Path) -> str:
    return stack.run(["docker", "build", "--tag", CHECK_TAG, str(context)], cwd=context)


def step_cached(output: str, step: str) -> bool:
    """Whether the build output shows the step taken from the cache: the classic builder's
    "Using cache" under its step line, BuildKit's "#n CACHED"."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if step in line and (line.startswith("Step ") or line.startswith("#")):
            return any(
                "Using cache" in later or later.endswith(" CACHED")
                for later in lines[index : index + 3]
            )
    raise AssertionError(f"no step {step!r} in the build output:\n{output}")
