"""tools/founding_day.py as the README runs it: its command line, where it looks for the
services, and how it names the producers."""

import subprocess
import sys

from tools.founding_day import MENS_NAMES, WOMENS_NAMES, founding_day
from tools.local_services import ROOT, service_url


def run_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.founding_day", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_line_parses_and_asks_for_the_token_it_lacks():
    # Building the parser is what failed before (an option added twice): any call hit it.
    helped = run_command("--help", env={})
    assert helped.returncode == 0, helped.stderr
    assert "--operator-token" in helped.stdout and "--intake" in helped.stdout
    refused = run_command(env={})
    assert refused.returncode == 2
    assert "OPERATOR_TOKEN" in refused.stderr


def test_services_are_found_by_url_then_by_the_published_port(monkeypatch):
    for name in ("INTAKE_URL", "INTAKE_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert service_url("intake") == "http://127.0.0.1:8081"
    monkeypatch.setenv("INTAKE_PORT", "18081")  # as docker-compose.yml publishes it
    assert service_url("intake") == "http://127.0.0.1:18081"
    monkeypatch.setenv("INTAKE_URL", "http://hub.example:9000")
    assert service_url("intake") == "http://hub.example:9000"


def test_producers_are_pak_or_ibu_by_their_first_name():
    names = [producer.name for producer in founding_day().producers]
    titles = {name.split()[1]: name.split()[0] for name in names}
    assert {titles[first] for first in MENS_NAMES if first in titles} == {"Pak"}
    assert {titles[first] for first in WOMENS_NAMES if first in titles} == {"Ibu"}
    assert {"Pak", "Ibu"} <= set(titles.values()), "the day has both men and women"
