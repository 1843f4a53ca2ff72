"""Reading docker-compose.yml as compose does, for the tests that check it without Docker."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
APPS = ("intake", "orders", "allocator", "notifier", "console", "storefront")


# `${NAME:-default}`, the only form of variable docker-compose.yml uses.
VARIABLE = re.compile(r"\$\{(\w+):-([^}]*)\}")


def compose_services() -> dict[str, dict]:
    """The services as compose reads them with no variable set: each `${NAME:-default}` as
    its default."""
    return yaml.safe_load(VARIABLE.sub(lambda found: found[2], COMPOSE_FILE.read_text()))[
        "services"
    ]


def variables() -> dict[str, str]:
    """Every variable docker-compose.yml reads, with its default."""
    return dict(VARIABLE.findall(COMPOSE_FILE.read_text()))


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def published(service: dict) -> list[tuple[str, int]]:
    """(host port or "" when Docker picks it, container port) for each published port."""
    pairs = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            pairs.append((str(port.get("published", "")), int(port["target"])))
            continue
        # A port set by a variable (`${STOREFRONT_PORT:-8086}`) is published on its default.
        spec = re.sub(r"\$\{\w+:-([0-9-]+)\}", r"\1", str(port))
        *host, container = spec.split("/")[0].split(":")
        pairs.append((host[-1] if host else "", int(container)))
    return pairs
