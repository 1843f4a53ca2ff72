"""A programme's rules as plain data and no I/O: the NIK's form, who may apply, what an
application costs, what the budget has left, and the published draw.

The draw is the one anyone can replay from what GET /v1/programmes/{id}/draws/{draw_id}
publishes: CPython's `random.Random(seed).shuffle` over the entrants' draw tickets in entry
order (applications in the order they came), then winners taken greedily in that drawn order
while their cost fits what is left of the budget. A draw names applications by their tickets
(shared/programme_tickets.py) and never by their order codes, which open the orders.
"""

import hashlib
import hmac
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

from shared.problems import Text

ALGORITHM = "cpython-random-shuffle-v1"
Selection = Literal["lottery", "first_come"]
Status = Literal["upcoming", "open", "ended"]
T = TypeVar("T")


def nik_hash(key: bytes, nik: str) -> str:
    """Who a citizen is to a programme, without the NIK: its keyed hash (HMAC-SHA256)."""
    return hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()


def status_on(starts_on: date, ends_on: date, today: date) -> Status:
    """A programme's status on `today` (the hub's date): its period is inclusive."""
    if today < starts_on:
        return "upcoming"
    return "open" if today <= ends_on else "ended"


def ineligible(
    regencies: Sequence[str], buyer_types: Sequence[str], buyer_type: str, region: str
) -> Text | None:
    """Why a recipient of this type from this region may not apply (None: they may).
    Regions match regardless of case; no regencies at all means every regency."""
    if buyer_type not in buyer_types:
        listed = ", ".join(buyer_types)
        return Text(
            f"Program ini hanya untuk penerima jenis: {listed}",
            f"This programme is only for recipients of type: {listed}",
        )
    if regencies and region.strip().casefold() not in {r.strip().casefold() for r in regencies}:
        return Text(
            f"Program ini tidak berlaku untuk wilayah '{region}'",
            f"This programme does not cover the region '{region}'",
        )
    return None


@dataclass(frozen=True)
class Terms:
    """A programme's terms, as its locked row holds them: `prices` by sku (what it pays a
    producer a unit); `drawn` whether any draw was made yet."""

    id: object
    hub: str
    name: str
    budget: int
    starts_on: date
    ends_on: date
    timezone: str
    units_per_recipient: int
    regencies: tuple[str, ...]
    buyer_types: tuple[str, ...]
    selection: Selection
    prices: dict[str, int]
    drawn: bool = False


@dataclass(frozen=True)
class Budget:
    total: int
    committed: int
    spent: int

    @property
    def left(self) -> int:
        return self.total - self.committed - self.spent


def drawn_order(seed: int, tickets: Sequence[str]) -> list[str]:
    """The entrants' tickets in the order the draw took them: a copy of `tickets` (entry order)
    shuffled by CPython's Mersenne Twister seeded with `seed`."""
    drawn = list(tickets)
    random.Random(seed).shuffle(drawn)
    return drawn


def greedy(candidates: Iterable[T], cost: Callable[[T], int], left: int) -> list[T]:
    """Those taken, in the order given, each while its cost fits what is still left."""
    taken = []
    for candidate in candidates:
        if cost(candidate) <= left:
            taken.append(candidate)
            left -= cost(candidate)
    return taken


@dataclass(frozen=True)
class Drawn:
    kind: Literal["lottery", "all_admitted"]
    winners: list[str]  # tickets, in drawn order (entry order when all are admitted)


def draw(seed: int, entrants: Sequence[str], costs: dict[str, int], left: int) -> Drawn:
    """The draw among the entrants (tickets in entry order, `costs` by ticket): all admitted
    when their whole cost fits, else those the seeded order reaches greedily."""
    if sum(costs[ticket] for ticket in entrants) <= left:
        return Drawn("all_admitted", list(entrants))
    return Drawn("lottery", greedy(drawn_order(seed, entrants), costs.__getitem__, left))


def replay(seed: int, entrants: Sequence[str], costs: dict[str, int], left: int) -> list[str]:
    """The winners (tickets) a published draw must have had (tools/replay_draw.py)."""
    return draw(seed, entrants, costs, left).winners
