"""The operators' console in the stack: the first admin made with `plut` inside its container by
the README's own line (the password typed at its prompts), signed in over HTTP, and the Today
page showing the founding day's figures."""

import re

from services.console.accounts import Role
from tests.compose.project import ComposeProject
from tests.compose.readme import on_terminal, readme_blocks
from tests.support.console import Account, ConsoleSession
from tools.client import HubClient, wait_until
from tools.founding_day import founding_day, in_queue_order
from tools.local_services import ROOT

PASSWORD = "kata-sandi-smoke-2026"
FIGURE = re.compile(r'data-figure="(\w+)">([\d.,]+)<')


async def test_an_admin_made_with_plut_in_the_container_sees_the_day(
    stack: ComposeProject, founding: tuple[str, str]
):
    (create, *_) = readme_blocks("The operators' console")[0]
    assert create.startswith("docker compose exec console plut operator create"), create
    shown = on_terminal(stack, create, [("password:", PASSWORD), ("again:", PASSWORD)])
    username = re.search(r"--username (\S+)", create)[1]
    assert f"operator {username} (admin) created" in shown, shown

    hub, _ = founding
    scenario = founding_day()
    given = in_queue_order(scenario)
    expected = {
        "received": scenario.accepted_total,
        "allocated": scenario.accepted_total,
        "fulfilled": 0,
        "waiting_units": scenario.demand - scenario.accepted_total,
        "waiting_orders": sum(
            1 for b, g in zip(scenario.buyers, given, strict=True) if g < b.quantity
        ),
        "buyers_unserved": given.count(0),
    }
    session = ConsoleSession(stack.url("console"))
    try:
        await session.sign_in(Account(username, PASSWORD, Role.admin))
        await session.use_hub(hub)

        async def figures_shown() -> dict | None:
            page = await session.page("/")
            shown = {name: int(re.sub(r"\D", "", value)) for name, value in FIGURE.findall(page)}
            return shown if shown == expected else None

        await wait_until(figures_shown, what=f"Today at {hub} showing {expected}")
    finally:
        await session.close()


async def test_the_readme_plut_commands_against_the_stack(
    stack: ComposeProject, client: HubClient, tmp_path
):
    """The `plut` block as written (`.venv/bin/plut`, the clone's own), one line after another
    in one shell, by someone whose PATH is as a new user's and whose DATABASE_URL names the
    stack's database (and the password in PLUT_PASSWORD: no terminal). They type it in a
    folder of their own, where the exports land, beside the clone's .venv."""
    _, commands = readme_blocks("The operators' console")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    operator = ComposeProject(
        {
            **stack.env,
            "DATABASE_URL": stack.database_url,
            "PLUT_PASSWORD": PASSWORD,
            "COLUMNS": "120",
            # The exports land in tmp_path; compose still finds its project from there.
            "COMPOSE_FILE": str(ROOT / "docker-compose.yml"),
        }
    )
    said = {line.split("  #")[0].strip(): operator.shell(line, cwd=tmp_path) for line in commands}
    by_command = {" ".join(line.split()[1:3]): output for line, output in said.items()}
    assert operator.env["ALLOCATOR_URL"] == stack.url("allocator")

    assert "operator siti (staff) created" in by_command["operator create"]
    assert await client.catalog("kalteng"), "seed made the demo hub the console opens at"
    key = by_command["partner create"].strip().splitlines()[-1]
    assert len(key) >= 32 and " " not in key, by_command["partner create"]
    assert "founding day at hub kalteng-" in by_command["play founding"]
    assert "2000" in by_command["play generated"] or "2,000" in by_command["play generated"]
    for name in ("payouts.xlsx", "queue.xlsx"):
        assert (tmp_path / name).read_bytes()[:2] == b"PK", f"{name} is an XLSX (a zip)"
    assert (tmp_path / "day.csv").read_text().count(",") >= 3
