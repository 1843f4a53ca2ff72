"""Metrics and the compose stack's Prometheus and Grafana.

Their configuration is checked as files (no promtool or Grafana here): what Prometheus scrapes
are the compose services on the ports they serve, and the dashboard is one Grafana loads, on the
data source it is provisioned with. Then the running services are scraped after some traffic:
every figure a dashboard shows is there, and the counters moved.
"""

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import aiohttp
import pytest
import yaml
from aio_pika.abc import AbstractRobustConnection
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import OPERATOR_TOKEN
from tests.support.bus import dead_letters, publish_event, publish_raw
from tests.support.compose import APPS, ROOT, compose_services, environment, published
from tests.support.events import placed
from tests.support.stack import Stack
from tests.support.stack_env import SCRAPER
from tools.client import HubClient, new_hub_code, wait_until

OPS = ROOT / "ops"
PROMETHEUS_CONFIG = OPS / "prometheus" / "prometheus.yml"
DATASOURCES = OPS / "grafana" / "provisioning" / "datasources"
DASHBOARD_PROVIDERS = OPS / "grafana" / "provisioning" / "dashboards"
DASHBOARDS = OPS / "grafana" / "dashboards"
SKU = "masker-kain"
# Scaled services must be found by DNS: a static name reaches one replica per scrape.
SCALABLE = ("allocator",)
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")  # Prometheus' duration
METRIC_NAME = re.compile(r"\bplut_[a-z0-9_]+\b")
# The series of a family, as its type names them in the text format.
SERIES_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
}
CONSUMERS_OF_ORDER_PLACED = ("allocator", "notifier")


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(n) * units[unit] for n, unit in re.findall(r"(\d+)([smh])", duration))


def mounts(service: dict) -> dict[Path, str]:
    """Each bind mount of a compose service: the host path (resolved) -> where it appears."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            found[(ROOT / source).resolve()] = target
    return found


def dashboards() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))]


def panels_of(dashboard: dict) -> Iterator[dict]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # those folded into a collapsed row


def expressions() -> list[str]:
    return [
        target["expr"]
        for dashboard in dashboards()
        for panel in panels_of(dashboard)
        for target in panel.get("targets", [])
    ]


# The services with an outbox: all but the console and the storefront, which act through the
# others' APIs.
PUBLISHERS = tuple(service for service in APPS if service not in ("console", "storefront"))


# Prometheus' scrape configuration


@pytest.fixture(scope="module")
def prometheus() -> dict:
    return load_yaml(PROMETHEUS_CONFIG)


def test_prometheus_scrapes_at_a_steady_interval(prometheus: dict):
    settings = prometheus["global"]
    assert DURATION.match(settings["scrape_interval"])
    assert DURATION.match(settings["scrape_timeout"])
    assert seconds(settings["scrape_timeout"]) <= seconds(settings["scrape_interval"])


def test_prometheus_scrapes_each_service_once_on_the_port_it_serves(prometheus: dict):
    services = compose_services()
    scraped = {}
    for job in prometheus["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics", job["job_name"]
        targets = [
            tuple(target.rsplit(":", 1))
            for config in job.get("static_configs", [])
            for target in config["targets"]
        ] + [
            (name, str(config["port"]))
            for config in job.get("dns_sd_configs", [])
            for name in config["names"]
        ]
        for host, port in targets:
            assert host in APPS, f"{job['job_name']} scrapes {host}, not one of the services"
            assert port == environment(services[host])["HTTP_PORT"], (host, port)
            assert host not in scraped, f"{host} is scraped by {scraped[host]} and {job}"
            scraped[host] = job["job_name"]
    assert scraped.keys() == set(APPS)
    assert len(set(scraped.values())) == len(APPS), "a job per service: `job` names it"


def test_scaled_services_are_found_by_dns(prometheus: dict):
    for job in prometheus["scrape_configs"]:
        for config in job.get("dns_sd_configs", []):
            assert config.get("type", "SRV") == "A" and "port" in config, job["job_name"]
        static = {
            target.rsplit(":", 1)[0]
            for config in job.get("static_configs", [])
            for target in config["targets"]
        }
        assert not static & set(SCALABLE), job["job_name"]


def test_prometheus_reads_this_configuration():
    prometheus = compose_services()["prometheus"]
    # The image's own command reads this path.
    assert mounts(prometheus)[PROMETHEUS_CONFIG] == "/etc/prometheus/prometheus.yml"


# Grafana's provisioning and dashboards


@pytest.fixture(scope="module")
def datasource() -> dict:
    (source,) = [
        source
        for path in sorted(DATASOURCES.glob("*.yml"))
        for source in load_yaml(path)["datasources"]
    ]
    return source


def test_the_datasource_is_the_compose_prometheus(datasource: dict, prometheus: dict):
    services = compose_services()
    url = urlsplit(datasource["url"])
    assert datasource["type"] == "prometheus" and datasource["uid"]
    assert url.hostname in services
    assert url.port in {container for _, container in published(services[url.hostname])}
    # So that Grafana's $__rate_interval spans enough scrapes.
    assert datasource["jsonData"]["timeInterval"] == prometheus["global"]["scrape_interval"]


def test_grafana_loads_the_dashboards_and_provisioning_from_ops():
    grafana = compose_services()["grafana"]
    mounted = mounts(grafana)
    assert mounted[(OPS / "grafana" / "provisioning").resolve()] == "/etc/grafana/provisioning"
    (provider,) = [
        provider
        for path in sorted(DASHBOARD_PROVIDERS.glob("*.yml"))
        for provider in load_yaml(path)["providers"]
    ]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == mounted[DASHBOARDS.resolve()]
    home = PurePosixPath(environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert str(home.parent) == provider["options"]["path"]
    assert (DASHBOARDS / home.name).is_file()


def test_each_dashboard_has_the_shape_grafana_loads(datasource: dict):
    found = dashboards()
    assert found and len({d["uid"] for d in found}) == len(found)
    for dashboard in found:
        assert dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
        assert dashboard["schemaVersion"] >= 39  # the schema of Grafana 11 and later
        panels = list(panels_of(dashboard))
        ids = [panel["id"] for panel in panels]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids)
        for panel in panels:
            grid = panel["gridPos"]
            assert all(isinstance(grid[key], int) for key in ("h", "w", "x", "y")), panel["id"]
            assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["id"]
            if panel["type"] == "row":
                continue
            assert panel["title"] and panel["targets"], panel["id"]
            assert panel["datasource"]["uid"] == datasource["uid"], panel["id"]
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert len(set(ref_ids)) == len(ref_ids), panel["id"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == datasource["uid"], panel["id"]
                assert target["expr"].strip(), panel["id"]


def test_no_two_panels_overlap():
    for dashboard in dashboards():
        taken: dict[tuple[int, int], int] = {}
        for panel in dashboard["panels"]:
            grid = panel["gridPos"]
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    assert (x, y) not in taken, (panel["id"], taken.get((x, y)))
                    taken[(x, y)] = panel["id"]


def test_each_expression_is_well_formed():
    """What can be told without a PromQL parser: brackets that close, a metric of ours in each,
    and quantiles over histogram buckets grouped by `le`."""
    pairs = {")": "(", "]": "[", "}": "{"}
    for expr in expressions():
        opened = []
        for char in re.sub(r'"[^"]*"', "", expr):  # label values may hold anything
            if char in "([{":
                opened.append(char)
            elif char in pairs:
                assert opened and opened.pop() == pairs[char], expr
        assert not opened, expr
        assert METRIC_NAME.search(expr), expr
        if "histogram_quantile" in expr:
            assert "_bucket" in expr and re.search(r"by \([^)]*\ble\b", expr), expr


# The running services


async def scrape(client: HubClient, service: str) -> str:
    async with client.session.get(f"{client.urls[service]}/metrics", headers=SCRAPER) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        return await response.text()


class Scrape:
    """Every service's /metrics at one moment, read as Prometheus reads it."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.families = {
            service: list(text_string_to_metric_families(text)) for service, text in texts.items()
        }

    @classmethod
    async def of(cls, client: HubClient) -> "Scrape":
        return cls({service: await scrape(client, service) for service in APPS})

    def names(self) -> set[str]:
        """Every series name any service exposes (or declares, with no series yet)."""
        return {
            family.name + suffix
            for families in self.families.values()
            for family in families
            for suffix in SERIES_SUFFIXES[family.type]
        }

    def value(self, service: str, name: str, **labels: str) -> float:
        """The sum of the series `name` of `service` that have `labels` (0 when there is none)."""
        return sum(
            sample.value
            for family in self.families[service]
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def label_values(self, service: str, name: str, label: str) -> set[str]:
        return {
            sample.labels[label]
            for family in self.families[service]
            for sample in family.samples
            if sample.name == name
        }


@dataclass(frozen=True)
class Traffic:
    """The services' figures before and after a hub's first day, in brief."""

    before: Scrape
    after: Scrape
    hub: str
    order_id: str

    def grew(self, of: str, name: str, **labels: str) -> float:
        return self.after.value(of, name, **labels) - self.before.value(of, name, **labels)


@pytest.fixture(scope="module")
async def traffic(stack: Stack, amqp: AbstractRobustConnection) -> Traffic:
    """A delivery of 3 and an order of 5 (so 2 units wait), the order read back, a path that
    does not exist; and, on the bus, an event delivered twice and one nobody can read (both
    consumers of order.placed see them). Scraped once everything has been counted."""
    async with aiohttp.ClientSession() as session:
        client = HubClient(session, stack.urls(), operator_token=OPERATOR_TOKEN)
        before = await Scrape.of(client)
        hub = new_hub_code("metrics")
        await client.open_hub(hub, SKU)
        producer = await client.register_producer(
            hub, name="Ibu Sari", phone="081234567001", regency="Kapuas"
        )
        await client.record_delivery(hub, producer["id"], SKU, 3)
        buyer = {"name": "Pak Agus", "type": "individual", "region": "Sampit"}
        order = await client.place_order(hub, SKU, 5, {**buyer, "phone": "081377770001"})
        await client.order(order["id"])
        async with session.get(f"{client.urls['intake']}/no/such/{uuid.uuid4()}") as missing:
            assert missing.status == 404
        twice = placed(new_hub_code("metrics-twice"), 1)
        await publish_event(amqp, twice)
        await publish_event(amqp, twice)
        await publish_raw(amqp, b"not an event", "order.placed", message_id="metrics-unreadable")

        def moved(now: Scrape, service: str, name: str, **labels: str) -> bool:
            return now.value(service, name, **labels) > before.value(service, name, **labels)

        async def counted() -> Scrape | None:
            now = await Scrape.of(client)
            done = (
                now.value("allocator", "plut_queue_units", hub=hub) == 2
                and moved(now, "notifier", "plut_messages_total", outcome="sent")
                and all(
                    moved(now, service, "plut_events_dead_lettered_total")
                    and moved(now, service, "plut_inbox_duplicates_total")
                    for service in CONSUMERS_OF_ORDER_PLACED
                )
            )
            return now if done else None

        try:
            after = await wait_until(counted, what="the traffic counted")
        finally:
            for service in CONSUMERS_OF_ORDER_PLACED:  # the unreadable event, parked
                await dead_letters(amqp, service)
    return Traffic(before, after, hub, order["id"])


def test_every_figure_on_the_dashboards_is_served(traffic: Traffic):
    used = {name for expr in expressions() for name in METRIC_NAME.findall(expr)}

    assert used and used <= traffic.after.names()


def test_requests_are_timed_by_route_template_and_status(traffic: Traffic):
    placing = {"method": "POST", "route": "/v1/orders", "status": "201"}
    duration = "plut_http_request_duration_seconds"

    assert traffic.grew("orders", f"{duration}_count", **placing) == 1
    assert traffic.grew("orders", f"{duration}_bucket", le="+Inf", **placing) == 1
    assert traffic.grew("orders", f"{duration}_sum", **placing) > 0
    reading = {"method": "GET", "route": "/v1/orders/{order_id}", "status": "200"}
    assert traffic.grew("orders", f"{duration}_count", **reading) >= 1
    assert traffic.grew("intake", f"{duration}_count", route="unmatched", status="404") == 1
    for service in APPS:  # templates, never a path with an id in it
        routes = traffic.after.label_values(service, f"{duration}_count", "route")
        assert "/metrics" in routes and "/ready" in routes
        assert all(route.startswith("/") or route == "unmatched" for route in routes)
        assert not [route for route in routes if traffic.order_id in route]
        assert traffic.after.label_values(service, f"{duration}_count", "service") == {service}


def test_events_are_counted_published_consumed_skipped_and_parked(traffic: Traffic):
    assert traffic.grew("intake", "plut_events_published_total", type="supply.received") >= 1
    assert traffic.grew("orders", "plut_events_published_total", type="order.placed") >= 1
    assert traffic.grew("allocator", "plut_events_published_total", type="order.allocated") >= 1
    # The order and the event sent twice, each handled once.
    assert traffic.grew("allocator", "plut_events_consumed_total", type="order.placed") >= 2
    assert traffic.grew("allocator", "plut_events_consumed_total", type="supply.received") >= 1
    for service in CONSUMERS_OF_ORDER_PLACED:
        assert traffic.grew(service, "plut_inbox_duplicates_total") >= 1
        parked = traffic.grew(service, "plut_events_dead_lettered_total", type="order.placed")
        assert parked >= 1


def test_outboxes_and_the_queue_are_read_when_scraped(traffic: Traffic):
    for service in PUBLISHERS:
        for name in ("plut_outbox_backlog", "plut_outbox_oldest_age_seconds"):
            assert traffic.after.label_values(service, name, "service") == {service}
            assert traffic.after.value(service, name) >= 0
    assert traffic.after.value("allocator", "plut_queue_orders", hub=traffic.hub, sku=SKU) == 1
    assert traffic.after.value("allocator", "plut_queue_units", hub=traffic.hub, sku=SKU) == 2
    for service in ("intake", "orders", "notifier"):  # the allocator's own tables
        assert not traffic.after.label_values(service, "plut_queue_orders", "hub")


def test_messages_are_counted_by_channel_and_outcome(traffic: Traffic):
    assert traffic.grew("notifier", "plut_messages_total", channel="whatsapp", outcome="sent") >= 1
    attempts = traffic.grew(
        "notifier", "plut_message_attempts_total", channel="whatsapp", outcome="accepted"
    )
    assert attempts >= 1
