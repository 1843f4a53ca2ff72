"""Programme draws in the running orders service: a lottery oversubscribed ten times, drawn in
two programmes with the same applicants and seed, admits the same; the published draw replays;
all are admitted when they fit; returned budget draws again."""

import asyncio
import json
import re
import sys

import aiohttp

from tests.support.programmes import apply, citizen, draw, open_programme, programme
from tools.client import ApiError, HubClient
from tools.replay_draw import replayed

APPLICANTS = 100  # ten times the ten that the budget buys


async def test_the_same_seed_draws_the_same_winners_and_replays(client: HubClient, hub: str):
    terms = {"selection": "lottery", "budget": 50_000, "units_per_recipient": 1}
    twins = [await open_programme(client, hub, **terms) for _ in range(2)]
    tickets: list[list[str]] = [[], []]
    for n in range(1, APPLICANTS + 1):
        for side, opened in enumerate(twins):
            status, applied = await apply(client, opened["id"], citizen(n))
            assert status == 201 and applied["status"] == "waiting", applied
            tickets[side].append(applied["ticket"])

    drawn = [await draw(client, opened["id"], seed=20261205) for opened in twins]

    winners = [
        [tickets[side].index(ticket) for ticket in d["winner_tickets"]]
        for side, d in enumerate(drawn)
    ]
    assert winners[0] == winners[1] and len(winners[0]) == 10
    assert drawn[0]["kind"] == "lottery" and drawn[0]["entrant_tickets"] == tickets[0]
    for side, opened in enumerate(twins):
        path = f"/v1/programmes/{opened['id']}/draws/{drawn[side]['id']}"
        published = await client.call("orders", "GET", path)  # public: no credentials
        assert replayed(published) == published["winner_tickets"] == drawn[side]["winner_tickets"]
        after = await programme(client, opened["id"])
        assert (after["budget_committed"], after["budget_left"]) == (50_000, 0)
    listed = await client.call("orders", "GET", f"/v1/programmes/{twins[0]['id']}/draws")
    assert [(d["entrants"], d["winners"]) for d in listed["draws"]] == [(APPLICANTS, 10)]
    # And as anyone would replay it, from the command line.
    replay = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.replay_draw",
        client.urls["orders"],
        twins[0]["id"],
        drawn[0]["id"],
        stdout=asyncio.subprocess.PIPE,
    )
    said, _ = await replay.communicate()
    assert replay.returncode == 0 and b"the same winners" in said, said


async def test_all_are_admitted_when_they_fit(client: HubClient, hub: str):
    opened = await open_programme(client, hub, selection="lottery", budget=50_000)
    for n in range(1, 4):
        await apply(client, opened["id"], citizen(n))

    drawn = await draw(client, opened["id"])

    assert drawn["kind"] == "all_admitted" and len(drawn["winner_tickets"]) == 3
    try:
        await draw(client, opened["id"])
    except ApiError as refused:
        assert refused.status == 409 and refused.body["type"] == "/problems/nothing-to-draw"
    else:
        raise AssertionError("a draw with nobody waiting")


async def test_a_published_draw_names_tickets_and_no_order_code_or_id(client: HubClient, hub: str):
    """An order code opens its order (tracking, the cancel flow): a draw published to anyone
    must carry none, nor any order id; each applicant finds themselves by their own ticket."""
    opened = await open_programme(client, hub, selection="lottery", budget=10_000)
    applied = [(await apply(client, opened["id"], citizen(n)))[1] for n in range(1, 9)]
    tickets = [a["ticket"] for a in applied]
    assert len(set(tickets)) == len(tickets)
    assert all(re.fullmatch(r"T-[0-9A-HJKMNP-TV-Z]{6}", ticket) for ticket in tickets)

    drawn = await draw(client, opened["id"], seed=7)

    path = f"/v1/programmes/{opened['id']}/draws/{drawn['id']}"
    async with aiohttp.ClientSession() as anyone:  # no credentials at all
        async with anyone.get(client.urls["orders"] + path) as answer:
            assert answer.status == 200
            body = await answer.text()
    published = json.loads(body)
    assert published["entrant_tickets"] == tickets and len(published["winner_tickets"]) == 2
    assert not {"entrants", "winners", "entrant_codes", "winner_codes"} & set(published)
    for a in applied:
        for secret in (a["code"], a["code"].replace("-", ""), a["order_id"]):
            assert secret.casefold() not in body.casefold(), secret
    listed = await client.call("orders", "GET", f"/v1/programmes/{opened['id']}/draws")
    for a in applied:
        assert a["code"] not in str(listed) and a["order_id"] not in str(listed)
    # The applicant reads their ticket on their order too, by its code (as the site tracks it).
    order = await client.order_by_code(applied[0]["code"])
    assert order["programme_ticket"] == tickets[0]
