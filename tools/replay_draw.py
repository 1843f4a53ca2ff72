"""Replay a free-mask programme's published draw, and say whether its winners are the ones the
published algorithm gives (CPython's random.Random(seed).shuffle over the entrants' draw
tickets in entry order, winners taken in that order while their cost fits what the budget had
left). A draw names applications by their tickets only, never by their order codes.

python -m tools.replay_draw BASE_URL PROGRAMME_ID DRAW_ID
    BASE_URL: the orders API (http://localhost:8082); exits 0 when the winners match, 1 if not.
"""

import argparse
import asyncio
import sys

import aiohttp

from services.orders.programmes.rules import ALGORITHM, replay


def replayed(published: dict) -> list[str]:
    """The winners' tickets the draw `published` (GET /v1/programmes/{id}/draws/{draw_id})
    must have."""
    if published["algorithm"] != ALGORITHM:
        raise ValueError(f"unknown algorithm {published['algorithm']!r}")
    entrants = list(published["entrant_tickets"])
    costs = dict(zip(entrants, published["entrant_costs"], strict=True))
    return replay(published["seed"], entrants, costs, published["budget_left"])


async def fetch(base_url: str, programme_id: str, draw_id: str) -> dict:
    url = f"{base_url.rstrip('/')}/v1/programmes/{programme_id}/draws/{draw_id}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        return await response.json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("programme_id")
    parser.add_argument("draw_id")
    args = parser.parse_args(argv)
    published = asyncio.run(fetch(args.base_url, args.programme_id, args.draw_id))
    winners = replayed(published)
    same = winners == published["winner_tickets"]
    print(f"seed {published['seed']}, {len(published['entrant_tickets'])} entrants")
    print(f"winners replayed: {len(winners)}; published: {len(published['winner_tickets'])}")
    print("the same winners" if same else "DIFFERENT winners: " + ", ".join(winners))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
