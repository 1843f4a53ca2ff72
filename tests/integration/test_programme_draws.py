"""Programme draws in the running orders service: a lottery oversubscribed ten times, drawn in
two programmes with the same applicants and seed, admits the same; the published draw replays;
all are admitted when they fit; returned budget draws again."""

import asyncio
import sys

from tests.support.programmes import apply, citizen, draw, open_programme, programme
from tools.client import ApiError, HubClient
from tools.replay_draw import replayed

APPLICANTS = 100  # ten times the ten that the budget buys


async def test_the_same_seed_draws_the_same_winners_and_replays(client: HubClient, hub: str):
    terms = {"selection": "lottery", "budget": 50_000, "units_per_recipient": 1}
    twins = [await open_programme(client, hub, **terms) for _ in range(2)]
    codes: list[list[str]] = [[], []]
    for n in range(1, APPLICANTS + 1):
        for side, opened in enumerate(twins):
            status, applied = await apply(client, opened["id"], citizen(n))
            assert status == 201 and applied["status"] == "waiting", applied
            codes[side].append(applied["code"])

    drawn = [await draw(client, opened["id"], seed=20261205) for opened in twins]

    winners = [[codes[side].index(code) for code in d["winners"]] for side, d in enumerate(drawn)]
    assert winners[0] == winners[1] and len(winners[0]) == 10
    assert drawn[0]["kind"] == "lottery" and drawn[0]["entrants"] == codes[0]
    for side, opened in enumerate(twins):
        path = f"/v1/programmes/{opened['id']}/draws/{drawn[side]['id']}"
        published = await client.call("orders", "GET", path)  # public: no credentials
        assert replayed(published) == published["winners"] == drawn[side]["winners"]
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

    assert drawn["kind"] == "all_admitted" and len(drawn["winners"]) == 3
    try:
        await draw(client, opened["id"])
    except ApiError as refused:
        assert refused.status == 409 and refused.body["type"] == "/problems/nothing-to-draw"
    else:
        raise AssertionError("a draw with nobody waiting")
