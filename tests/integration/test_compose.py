"""docker-compose.yml and the Dockerfile, checked without a Docker engine (tests/compose runs
them for real).

The official compose-spec schema catches misspelt keys and wrong shapes; the other tests check
what a schema cannot: that the services are wired to each other the way the code expects.
"""

import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from shared.access import BROKER_SERVICES, login_name, password_variable
from tests.compose.project import PORTS as SMOKE_PORTS
from tests.support.compose import (
    APPS,
    COMPOSE_FILE,
    ROOT,
    VARIABLE,
    compose_services,
    environment,
    published,
    variables,
)
from tools.sandbox import DEFAULT_AMQP_URL, DEFAULT_DATABASE_URL

INFRASTRUCTURE = ("postgres", "rabbitmq", "mailpit")
# Replicas of these must not fight over a container name or a host port.
SCALABLE = ("allocator",)


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return compose_services()


def host_ports(spec: str) -> set[int]:
    if not spec:
        return set()
    low, _, high = spec.partition("-")
    return set(range(int(low), int(high or low) + 1))


def depends_on(service: dict) -> dict[str, str]:
    """Each dependency and its condition (a bare list means service_started)."""
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def health_script(service: dict) -> str:
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def test_compose_file_passes_the_compose_spec_schema():
    result = schema_check(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("good", "bad"),
    [("healthcheck:", "helthcheck:"), ("condition: service_healthy", "condition: service_happy")],
)
def test_schema_check_rejects_a_broken_copy(tmp_path, good, bad):
    text = COMPOSE_FILE.read_text()
    assert good in text
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace(good, bad))
    result = schema_check(broken)
    assert result.returncode != 0
    assert bad.split()[-1].rstrip(":") in result.stdout  # rejected for the mistake, not a crash


def test_app_services_are_built_from_the_one_dockerfile(services):
    builds = set()
    for name in APPS:
        build = services[name]["build"]
        if isinstance(build, str):
            build = {"context": build}
        context = (ROOT / build["context"]).resolve()
        builds.add(context / build.get("dockerfile", "Dockerfile"))
    assert len(builds) == 1
    assert builds.pop().is_file()


def test_each_app_service_runs_its_own_module(services):
    for name in APPS:
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]


def test_each_app_service_checks_ready_on_its_http_port(services):
    for name in APPS:
        script = health_script(services[name])
        port = environment(services[name])["HTTP_PORT"]
        assert "/ready" in script
        # Either the port is written out or the check reads the same HTTP_PORT the app does.
        literal = re.search(r"://(?:127\.0\.0\.1|localhost):(\d+)/", script)
        assert (literal[1] == port) if literal else ("os.environ['HTTP_PORT']" in script), name


def test_each_app_service_publishes_the_port_it_serves(services):
    for name in APPS:
        port = int(environment(services[name])["HTTP_PORT"])
        assert [container for _, container in published(services[name])] == [port], name


class ReadyStub(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/ready" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def ready_stub() -> Iterator[tuple[int, type[ReadyStub]]]:
    handler = type("Stub", (ReadyStub,), {})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_app_healthcheck_passes_on_ready_and_fails_on_503(services, ready_stub, status, healthy):
    port, handler = ready_stub
    handler.status = status
    for name in APPS:
        env = {**os.environ, **environment(services[name]), "HTTP_PORT": str(port)}
        run = subprocess.run(
            [sys.executable, "-c", health_script(services[name])],
            env=env,
            capture_output=True,
            timeout=30,
        )
        assert (run.returncode == 0) is healthy, (name, run.stderr)


def test_app_services_wait_for_healthy_infrastructure(services):
    for name in APPS:
        # The console and the storefront have no broker: they act through the others' APIs.
        needed = {"postgres"} | ({"rabbitmq"} if name not in ("console", "storefront") else set())
        needed |= {"mailpit"} if name == "notifier" else set()
        deps = depends_on(services[name])
        assert needed <= deps.keys(), name
        assert all(deps[dep] == "service_healthy" for dep in needed), name


def test_every_depends_on_target_exists(services):
    for name, service in services.items():
        assert depends_on(service).keys() <= services.keys(), name


def test_every_service_has_a_healthcheck(services):
    for name in (*INFRASTRUCTURE, *APPS):
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name


def test_app_urls_name_the_compose_services_and_each_ones_own_role_and_user(services):
    """Each service as its own Postgres role and broker user (shared/access.py), with the
    password the admin container gives it; the console and the storefront have no broker."""
    postgres = environment(services["postgres"])
    admin = environment(services["admin"])
    for name in APPS:
        env = environment(services[name])
        database = urlsplit(env["DATABASE_URL"])
        assert (database.hostname, database.port) == ("postgres", 5432)
        assert database.username == login_name(name) != postgres["POSTGRES_USER"]
        assert database.password == admin[password_variable(name, "db")]
        assert database.path == f"/{postgres.get('POSTGRES_DB', postgres['POSTGRES_USER'])}"
        if name not in BROKER_SERVICES:
            assert "AMQP_URL" not in env, name
            continue
        amqp = urlsplit(env["AMQP_URL"])
        assert (amqp.hostname, amqp.port) == ("rabbitmq", 5672)
        assert amqp.username == login_name(name)
        assert amqp.password == admin[password_variable(name, "amqp")]
        # Its user may declare only its own queues; the admin container declared the rest.
        assert env["AMQP_TOPOLOGY"] == "own"


def test_the_admin_container_grants_before_any_service_starts(services):
    admin = services["admin"]
    assert admin["command"] == ["python", "-m", "tools.access"]
    assert admin.get("restart") == "no"
    env = environment(admin)
    database, amqp = urlsplit(env["ADMIN_DATABASE_URL"]), urlsplit(env["ADMIN_AMQP_URL"])
    postgres = environment(services["postgres"])
    assert (database.username, database.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert (amqp.hostname, amqp.username) == ("rabbitmq", "guest")
    for name in APPS:
        assert depends_on(services[name])["admin"] == "service_completed_successfully", name


def test_notifier_sends_mail_to_mailpit(services):
    env = environment(services["notifier"])
    assert env["SMTP_HOST"] == "mailpit"
    assert int(env["SMTP_PORT"]) in {port for _, port in published(services["mailpit"])}


def test_app_services_can_scale(services):
    for name in APPS:
        assert "container_name" not in services[name], name
    for name in SCALABLE:
        assert all(not host for host, _ in published(services[name])), name


def test_no_two_services_publish_the_same_host_port(services):
    taken: dict[int, str] = {}
    for name, service in services.items():
        for host, _ in published(service):
            for port in host_ports(host):
                assert port not in taken, f"{name} and {taken[port]} both publish {port}"
                taken[port] = name


def test_every_image_is_pinned_to_a_version(services):
    for name, service in services.items():
        if "image" not in service:
            assert "build" in service, name
            continue
        _, _, tag = service["image"].rpartition("/")[2].partition(":")
        assert re.search(r"\d+\.\d+", tag) and tag != "latest", f"{name}: {service['image']}"


def test_the_test_command_defaults_reach_this_stack(services):
    """The quick start: `docker compose up`, then `./scripts/test` with nothing set."""
    database, amqp = urlsplit(DEFAULT_DATABASE_URL), urlsplit(DEFAULT_AMQP_URL)
    postgres = environment(services["postgres"])
    assert (database.username, database.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert f"{database.hostname}:{database.port}:5432" in services["postgres"]["ports"]
    assert (amqp.username, amqp.password) == ("guest", "guest")
    rabbitmq = services["rabbitmq"]
    assert "loopback_users []" in environment(rabbitmq)["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
    # The tests make their vhost through the management API when rabbitmqctl is not at hand.
    assert f"{amqp.hostname}:{amqp.port}:5672" in rabbitmq["ports"]
    assert f"{amqp.hostname}:15672:15672" in rabbitmq["ports"]


def raw_services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def test_published_ports_come_from_variables_with_todays_ports_as_defaults(services):
    """An operator whose machine already runs a Postgres on 5432 moves ours with a variable."""
    for name, service in raw_services().items():
        for spec, (host, container) in zip(
            service.get("ports", []), published(services[name]), strict=True
        ):
            if not host:
                continue  # Docker picks it (the allocator, which scales)
            found = VARIABLE.search(str(spec))
            assert found and found[1].endswith("_PORT"), f"{name}: {spec}"
            assert int(found[2]) == container, f"{name}: {spec} defaults to another port"


def test_env_example_lists_every_variable_with_its_default():
    listed = dict(re.findall(r"^#? ?([A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M))
    assert variables().keys() <= listed.keys()
    assert {name: listed[name] for name in variables()} == variables()


def test_the_smoke_publishes_off_the_machines_servers_and_other_tests():
    moved = {name for name in variables() if name.endswith("_PORT")}
    assert SMOKE_PORTS.keys() == moved
    ports = list(SMOKE_PORTS.values())
    assert len(set(ports)) == len(ports) and max(ports) < 32768
    # The machine's Postgres and RabbitMQ (and its node's 25672), the suite's services.
    held = {int(variables()[name]) for name in moved} | {25672, *range(8081, 8086)}
    assert not held & set(ports)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def test_the_image_exposes_every_service_and_runs_them_as_a_user(services):
    steps = dockerfile_instructions()
    exposed = {int(port) for kind, args in steps if kind == "EXPOSE" for port in args.split()}
    assert exposed == {int(environment(services[name])["HTTP_PORT"]) for name in APPS}
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dependencies_are_installed_before_the_code_is_copied():
    """So a code change rebuilds from the code on, with the installed packages from the cache."""
    steps = dockerfile_instructions()
    install = next(i for i, (kind, args) in enumerate(steps) if "constraints.txt -r" in args)
    copied = [args.split()[0] for kind, args in steps[:install] if kind == "COPY"]
    assert copied == ["pyproject.toml"], "only what names the dependencies comes before"
