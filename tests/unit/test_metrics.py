"""Request timings and GET /metrics, in process: series by route template, bounded labels, and
an answer even when the database cannot be read. (tests/integration/test_observability.py scrapes
the running services.)"""

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from shared import scrape
from shared.config import ServiceSettings
from shared.scrape import READINGS, read_outbox
from shared.web import DATABASE, SERVICE, SETTINGS, problem_middleware, timing_middleware

SERVICE_NAME = "unit-metrics"  # the registry is the process's: this label keeps our series apart

routes = web.RouteTableDef()


@routes.get("/things/{id}")
async def get_thing(request: web.Request) -> web.Response:
    if request.match_info["id"] == "broken":
        raise RuntimeError("a bug")
    return web.json_response({})


class UnreachableDatabase:
    """A pool whose every connection attempt fails, as when Postgres is down."""

    def acquire(self) -> "UnreachableDatabase":
        return self

    async def __aenter__(self) -> None:
        raise OSError("connection refused")

    async def __aexit__(self, *_exc) -> None:
        pass


def make_app() -> web.Application:
    app = web.Application(middlewares=[timing_middleware, problem_middleware])
    app[SERVICE] = SERVICE_NAME
    app[SETTINGS] = ServiceSettings(http_port=8080)
    app[DATABASE] = UnreachableDatabase()
    app[READINGS] = (read_outbox,)
    app.router.add_routes([*routes, *scrape.routes])
    return app


def counts(text: str) -> dict[tuple[str, str, str], float]:
    """(method, route, status) -> requests, of this test's service."""
    return {
        (sample.labels["method"], sample.labels["route"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "plut_http_request_duration_seconds_count"
        and sample.labels["service"] == SERVICE_NAME
    }


async def test_requests_are_counted_by_template_and_status_and_strangers_share_a_series():
    async with TestClient(TestServer(make_app())) as client:
        for thing in ("a", "b", "broken"):
            await client.get(f"/things/{thing}")
        await client.get("/nowhere/1")
        await client.get("/nowhere/2")
        await client.request("PROPFIND", "/nowhere/3")  # WebDAV's, which aiohttp admits
        await client.post("/things/a")
        response = await client.get("/metrics")
        text = await response.text()

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert counts(text) == {
        ("GET", "/things/{id}", "200"): 2,
        ("GET", "/things/{id}", "500"): 1,  # the problem the client got, not the exception
        ("GET", "unmatched", "404"): 2,
        ("other", "unmatched", "404"): 1,
        ("POST", "unmatched", "405"): 1,
    }


async def test_metrics_answer_without_the_databases_figures_when_it_cannot_be_read():
    async with TestClient(TestServer(make_app())) as client:
        response = await client.get("/metrics")
        text = await response.text()

    names = {family.name for family in text_string_to_metric_families(text)}
    assert response.status == 200
    assert "plut_http_request_duration_seconds" in names
    assert "plut_outbox_backlog" not in names
