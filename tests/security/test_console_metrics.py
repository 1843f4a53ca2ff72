"""Attack: reading the console's /metrics from the internet, without a session.

The console's port is the operators', reachable from wherever they work: its metrics (routes,
timings, counts) are for the scraper only. With METRICS_TOKEN set, only a request bearing it
is answered; without one set, none is.
"""

import aiohttp
import pytest

from tests.support.replicas import own_replica

METRICS_TOKEN = "uji-token-metrik-rahasia"


@pytest.fixture(scope="module")
async def console(stack, tmp_path_factory):
    env = {"METRICS_TOKEN": METRICS_TOKEN}
    async with own_replica(stack, "console", tmp_path_factory.mktemp("metrics"), env) as running:
        yield running.url


async def scrape(url: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/metrics", headers=headers, allow_redirects=False) as answer:
            return answer.status, await answer.text()


REFUSED = {
    "no credentials": {},
    "a wrong token": {"Authorization": "Bearer bukan-token-ini"},
    "the token another way": {"Authorization": f"Basic {METRICS_TOKEN}"},
    "the token in another header": {"X-Metrics-Token": METRICS_TOKEN},
    "a browser": {"Accept": "text/html"},
}


@pytest.mark.parametrize("attempt", list(REFUSED))
async def test_the_metrics_are_refused_without_the_token(console, attempt):
    status, body = await scrape(console, REFUSED[attempt])
    assert status == 401
    assert "plut_http_request_duration_seconds" not in body


async def test_the_scraper_with_the_token_reads_them(console):
    status, body = await scrape(console, {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    assert "plut_http_request_duration_seconds" in body


async def test_a_console_without_a_metrics_token_shows_them_to_no_one(stack):
    status, body = await scrape(stack["console"].url, {"Authorization": "Bearer anything"})
    assert status == 401 and "plut_" not in body
