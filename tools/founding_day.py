"""The founding day of the centre, played against a running system.

40 tailors deliver about 50 cloth masks each (some rejected at quality control); 50 buyers of
every kind pre-order more than that, one after another. The allocator gives the units out in
order; everyone hears what happened, by the channel they use and in their language.

    python -m tools.founding_day                   # INTAKE_URL/ORDERS_URL, else 127.0.0.1
    python -m tools.founding_day --hub kalteng-2 --intake http://host:8081 --orders ...

The services are found as `plut` finds them: INTAKE_URL, else 127.0.0.1 at INTAKE_PORT (the
port docker-compose.yml publishes intake on), else 8081; likewise orders.

It acts as the centre's operator (registering the hub, the producers and their deliveries), so it
needs the token the services run with: OPERATOR_TOKEN in the environment, or --operator-token.

The same scenario is the end-to-end test (tests/e2e/test_founding_day.py).
"""

import argparse
import asyncio
import os
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

import aiohttp

from services.allocator.rules.allocation import allocate
from services.allocator.rules.domain import Claim, Lot, Policy, total_by_lot, total_by_order
from shared.events import CLASS_OF_BUYER_TYPE
from tools.client import HubClient, new_hub_code, wait_until
from tools.local_services import service_url

SKU = "masker-kain"
# The day is played through these two alone (the others it only hears from by events), so it
# runs against compose, which publishes no fixed port for the allocator's replicas.
SERVICES_PLAYED = ("intake", "orders")
REGENCIES = (
    "Kota Palangka Raya", "Kotawaringin Barat", "Kotawaringin Timur", "Kapuas", "Katingan",
    "Pulang Pisau", "Gunung Mas", "Barito Selatan", "Barito Utara", "Barito Timur",
    "Murung Raya", "Seruyan", "Sukamara", "Lamandau",
)  # fmt: skip
BUYER_REGIONS = (
    "Palangka Raya", "Sampit", "Pangkalan Bun", "Kuala Kapuas", "Muara Teweh", "Kasongan",
    "Banjarmasin", "Pontianak", "Samarinda", "Surabaya", "Makassar", "Jakarta",
)  # fmt: skip
WOMENS_NAMES = ("Siti", "Nur", "Dewi", "Rina", "Yuli", "Sri", "Wati", "Lestari", "Ani", "Fitri")
MENS_NAMES = ("Agus", "Budi", "Hendra", "Rahmat", "Yanto", "Darmawan", "Eko", "Iwan")
FIRST_NAMES = WOMENS_NAMES + MENS_NAMES  # one draw from all of them, as before the split
LAST_NAMES = ("Rahayu", "Saputra", "Hidayat", "Nugroho", "Wulandari", "Pratama", "Lubis", "Usop")
BUYER_KINDS = {
    # buyer type: (name pattern, smallest and largest order)
    "individual": ("{person}", 5, 20),
    "business": ("Toko {person}", 20, 80),
    "bank": ("Bank {region}", 40, 150),
    "agency": ("Dinas Kesehatan {region}", 60, 200),
}


@dataclass(frozen=True)
class ProducerPlan:
    name: str
    phone: str
    regency: str
    email: str | None
    delivered: int
    rejected: int
    language: str = "id"
    channel: str | None = None  # None: WhatsApp, then SMS, then email


@dataclass(frozen=True)
class BuyerPlan:
    name: str
    type: str
    region: str
    phone: str
    email: str | None
    quantity: int
    language: str = "id"
    channel: str | None = None


@dataclass(frozen=True)
class Scenario:
    producers: tuple[ProducerPlan, ...]
    buyers: tuple[BuyerPlan, ...]

    @property
    def accepted_total(self) -> int:
        return sum(p.delivered - p.rejected for p in self.producers)

    @property
    def demand(self) -> int:
        return sum(b.quantity for b in self.buyers)


def in_queue_order(scenario: Scenario, policy: Policy | None = None) -> list[int]:
    """What each buyer gets, in the scenario's order, under `policy` (the default policy unless
    given), computed by the allocator's own pure rules as `play` plays the day: every order is
    placed first (queued by priority class, then in the order placed), then each delivery's
    accepted units are given out in a fill of their own, all on one day (so the daily cap
    counts the whole day). Units a fill leaves (a cap reached) stay on hand for the next.

    `fifo` gives the same whether deliveries are filled one by one or several at once, as the
    allocator may when their events come in a batch; `fair_share` does not, and a lottery
    draws afresh, so only `fifo` is an expectation for a day played against the services."""
    policy = policy or Policy()
    claims = [
        Claim(
            order_id=uuid.UUID(int=index + 1),
            requested=buyer.quantity,
            buyer=buyer.phone,
            priority_class=CLASS_OF_BUYER_TYPE[buyer.type],
        )
        for index, buyer in enumerate(scenario.buyers)
    ]
    given = dict.fromkeys((claim.order_id for claim in claims), 0)
    taken_today: dict[str, int] = defaultdict(int)
    on_hand: list[Lot] = []
    for number, producer in enumerate(scenario.producers, start=1):
        on_hand.append(
            Lot(
                uuid.UUID(int=number), uuid.UUID(int=number), producer.delivered - producer.rejected
            )
        )
        queue: dict[str, list[Claim]] = defaultdict(list)
        for claim in claims:
            if given[claim.order_id] < claim.requested:
                queue[claim.priority_class].append(replace(claim, allocated=given[claim.order_id]))
        fill = allocate(on_hand, queue, policy, taken_today=taken_today, seed=number)
        for order_id, units in total_by_order(fill.allocations).items():
            given[order_id] += units
            taken_today[claims[order_id.int - 1].buyer_key] += units
        used = total_by_lot(fill.allocations)
        on_hand = [
            replace(lot, available=lot.available - used.get(lot.delivery_id, 0))
            for lot in on_hand
            if lot.available > used.get(lot.delivery_id, 0)
        ]
    return [given[claim.order_id] for claim in claims]


def addressed(person: str) -> str:
    """The name as a producer is called at the counter: Pak for a man, Ibu for a woman."""
    return f"{'Pak' if person.split()[0] in MENS_NAMES else 'Ibu'} {person}"


def _phone(rng: random.Random) -> str:
    return "0812" + "".join(rng.choice("0123456789") for _ in range(8))


def founding_day(seed: int = 2020, producers: int = 40, buyers: int = 50) -> Scenario:
    """The day, the same for the same seed. Every tenth producer and seventh buyer has no email;
    every eighth producer and fifth buyer reads English; every sixth producer has SMS only; banks
    and agencies with an email read their mail."""
    rng = random.Random(seed)
    producer_plans = tuple(
        ProducerPlan(
            name=addressed(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"),
            phone=_phone(rng),
            regency=rng.choice(REGENCIES),
            email=None if index % 10 == 9 else f"penjahit{index + 1}@contoh.id",
            delivered=50,
            rejected=rng.choice((0, 0, 0, 1, 2, 3, 5)),
            language="en" if index % 8 == 5 else "id",
            channel="sms" if index % 6 == 4 else None,
        )
        for index in range(producers)
    )
    kinds = list(BUYER_KINDS)
    buyer_plans = []
    for index in range(buyers):
        kind = kinds[index % len(kinds)]
        pattern, smallest, largest = BUYER_KINDS[kind]
        region = rng.choice(BUYER_REGIONS)
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        email = None if index % 7 == 6 else f"pembeli{index + 1}@contoh.id"
        buyer_plans.append(
            BuyerPlan(
                name=pattern.format(person=person, region=region),
                type=kind,
                region=region,
                phone=_phone(rng),
                email=email,
                quantity=rng.randint(smallest, largest),
                language="en" if index % 5 == 3 else "id",
                channel="email" if email and kind in ("bank", "agency") else None,
            )
        )
    scenario = Scenario(producer_plans, tuple(buyer_plans))
    assert scenario.demand > scenario.accepted_total, "the founding day has more demand than supply"
    return scenario


@dataclass
class Outcome:
    hub: str
    producers: list[dict]  # as intake answered, in plan order
    deliveries: list[dict]
    orders: list[dict]  # as the orders service shows them at the end, in plan order


AfterDelivery = Callable[[int], Awaitable[None]]


class ByChat(Protocol):
    """Some of the day's buyers order by WhatsApp chat rather than over the API (the end-to-end
    test's: it holds the WhatsApp stand-in they write to)."""

    def chats(self, index: int) -> bool: ...  # the scenario's buyer at `index` orders by chat

    async def open(self, hub: str) -> None: ...  # the hub is open: chat orders are taken there

    async def order(self, index: int, buyer: BuyerPlan) -> str:
        """The buyer's whole conversation, through the confirm that places the order; answers
        the order's code, as the chat's reply named it."""
        ...


def as_ordered(plan: BuyerPlan) -> dict:
    """The buyer as an order over the API names them."""
    buyer = {
        "name": plan.name,
        "type": plan.type,
        "region": plan.region,
        "phone": plan.phone,
        "language": plan.language,
    }
    if plan.email:
        buyer["email"] = plan.email
    if plan.channel:
        buyer["channel"] = plan.channel
    return buyer


async def play(
    client: HubClient,
    hub: str,
    scenario: Scenario,
    *,
    after_delivery: AfterDelivery | None = None,
    by_chat: ByChat | None = None,
    settle_timeout: float = 60.0,
) -> Outcome:
    """Open the hub, take the pre-orders, record the deliveries, and wait for all to settle.
    With `by_chat`, the buyers it names order by chat in their turn, each conversation played
    to its end before the next buyer orders; everyone else orders over the API."""
    rng = random.Random(hub)
    await client.open_hub(hub, SKU)
    if by_chat is not None:
        await by_chat.open(hub)
    producers = [
        await client.register_producer(
            hub,
            name=p.name,
            phone=p.phone,
            regency=p.regency,
            language=p.language,
            **({"email": p.email} if p.email else {}),
            **({"channel": p.channel} if p.channel else {}),
        )
        for p in scenario.producers
    ]
    placed = []
    for index, b in enumerate(scenario.buyers):
        if by_chat is not None and by_chat.chats(index):
            order = await client.order_by_code(await by_chat.order(index, b))
        else:
            order = await client.place_order(
                hub, SKU, b.quantity, as_ordered(b), idempotency_key=f"{hub}-{index}"
            )
        placed.append(order)
        await asyncio.sleep(rng.uniform(0, 0.01))  # buyers arrive one after another
    deliveries = []
    for index, (producer, plan) in enumerate(zip(producers, scenario.producers, strict=True)):
        deliveries.append(
            await client.record_delivery(hub, producer["id"], SKU, plan.delivered, plan.rejected)
        )
        if after_delivery is not None:
            await after_delivery(index)

    # A new hub has no policy set: the default's daily cap may hold some units back.
    expected = sum(in_queue_order(scenario))

    async def settled() -> list[dict] | None:
        orders = await asyncio.gather(*(client.order(order["id"]) for order in placed))
        return orders if sum(o["allocated"] for o in orders) == expected else None

    orders = await wait_until(settled, what="orders to show allocations", timeout=settle_timeout)
    return Outcome(hub=hub, producers=producers, deliveries=deliveries, orders=orders)


def report(scenario: Scenario, outcome: Outcome) -> str:
    """Who got what, for people: buyers in queue order, then producers."""
    lines = [
        f"Hari pertama / founding day at hub {outcome.hub}",
        f"Diterima / accepted: {scenario.accepted_total} units;"
        f" dipesan / ordered: {scenario.demand} units",
        "",
        f"{'#':>3}  {'pembeli / buyer':<34} {'type':<10} {'ordered':>7} {'got':>5}  status",
    ]
    orders = sorted(outcome.orders, key=lambda o: o["placed_at"])
    for position, order in enumerate(orders, start=1):
        buyer = order["buyer"]
        lines.append(
            f"{position:>3}  {buyer['name'][:34]:<34} {buyer['type']:<10} "
            f"{order['quantity']:>7} {order['allocated']:>5}  {order['status']}"
        )
    lines += ["", f"{'produsen / producer':<30} {'delivered':>9} {'accepted':>8}"]
    for producer, delivery in zip(outcome.producers, outcome.deliveries, strict=True):
        lines.append(
            f"{producer['name'][:30]:<30} {delivery['quantity']:>9} {delivery['accepted']:>8}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hub", default=new_hub_code("kalteng"), help="a new hub code")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--operator-token",
        default=os.environ.get("OPERATOR_TOKEN"),
        help="the services' OPERATOR_TOKEN (default: that variable)",
    )
    for name in SERVICES_PLAYED:
        parser.add_argument(
            f"--{name}",
            default=service_url(name),
            help=f"{name} URL (default: {name.upper()}_URL, else 127.0.0.1:{name.upper()}_PORT)",
        )
    args = parser.parse_args()
    if not args.operator_token:
        parser.error("the operator token is needed: set OPERATOR_TOKEN or pass --operator-token")
    scenario = founding_day(args.seed)

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            urls = {name: getattr(args, name) for name in SERVICES_PLAYED}
            client = HubClient(session, urls, operator_token=args.operator_token)
            outcome = await play(client, args.hub, scenario)
            print(report(scenario, outcome))

    asyncio.run(run())


if __name__ == "__main__":
    main()
