"""A steady stream of orders and deliveries over HTTP for one hub, as buyers and producers would
make it while a fault happens: it goes on whatever the services answer, and remembers every
order and delivery answered 201. Every tenth order comes with a citizen's application to the
hub's free-mask programme (first come, its budget soon spent: later ones wait, and are admitted
as held units expire), so that the programmes' invariants are checked after every fault too.

    stream = await Stream.open(client, new_hub_code("kill"), rate=20)
    task = asyncio.create_task(stream.run())
    await stream.reached(40)          # two seconds in
    ... the fault, undone ...
    stream.wind_down(40)              # forty orders more, then the stream ends
    await task
"""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from tests.support.programmes import citizen, open_programme
from tools.client import ApiError, HubClient

SKU = "masker-kain"
# Producers told by each channel (None: the hub's order, WhatsApp first).
PRODUCER_CHANNELS = (None, "sms", "email", None)
# Buyers likewise, in turn: WhatsApp, SMS, email.
BUYER_CHANNELS = (None, "sms", "email")
# The hub's programme: ten units' worth, up to two a citizen, for any regency.
PROGRAMME = {"budget": 50_000, "regencies": [], "buyer_types": ["individual"]}
APPLY_EVERY = 10


def _phone(rng: random.Random) -> str:
    return "0812" + "".join(rng.choice("0123456789") for _ in range(8))


@dataclass
class Stream:
    client: HubClient
    hub: str
    rate: float  # orders per second, on a fixed schedule (late answers do not slow it)
    deliver_every: int  # a delivery after every this many orders
    producers: list[dict]
    rng: random.Random
    placed: list[dict] = field(default_factory=list)  # each order answered 201, as answered
    delivered: list[dict] = field(default_factory=list)  # each delivery answered 201
    programme_id: str | None = None
    applied: list[dict] = field(default_factory=list)  # each application answered 201
    refused: Counter = field(default_factory=Counter)  # what the other attempts got
    attempted: int = 0
    finished_at: float | None = None  # time.monotonic() when the last answer came
    # Orders at most, should nobody wind the stream down: a guard only (the test's timeout comes
    # first). The stream keeps time, not pace: a fault that takes minutes to undo on a busy
    # machine (a cluster node restarting) sends thousands, and a stream that ended before the
    # fault was undone would leave the test waiting for orders that never come.
    limit: int = 100_000
    _left: int | None = None  # orders still to place once winding down
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def open(
        cls,
        client: HubClient,
        hub: str,
        *,
        rate: float = 20.0,
        deliver_every: int = 8,
        producers: int = 4,
    ) -> "Stream":
        """The hub, its product and its producers, ready for the stream."""
        rng = random.Random(hub)
        await client.open_hub(hub, SKU)
        made = []
        for index in range(producers):
            channel = PRODUCER_CHANNELS[index % len(PRODUCER_CHANNELS)]
            made.append(
                await client.register_producer(
                    hub,
                    name=f"Ibu Penjahit {index + 1}",
                    phone=_phone(rng),
                    regency="Kota Palangka Raya",
                    email=f"penjahit{index + 1}.{hub}@contoh.id",
                    **({"channel": channel} if channel else {}),
                )
            )
        stream = cls(client, hub, rate, deliver_every, made, rng)
        stream.programme_id = (await open_programme(client, hub, **PROGRAMME))["id"]
        return stream

    def wind_down(self, orders: int) -> None:
        """Place this many more orders, then end."""
        self._left = orders

    async def run(self) -> None:
        """Place orders on schedule, a delivery among them every `deliver_every`, until wound
        down; return once every request has been answered (or has failed)."""
        started = time.monotonic()
        requests = []
        for index in range(self.limit):
            if self._left is not None:
                if self._left == 0:
                    break
                self._left -= 1
            await asyncio.sleep(max(0.0, started + index / self.rate - time.monotonic()))
            requests.append(asyncio.create_task(self._order(index)))
            if index % APPLY_EVERY == APPLY_EVERY - 1:
                requests.append(asyncio.create_task(self._application(index // APPLY_EVERY)))
            if index % self.deliver_every == self.deliver_every - 1:
                requests.append(asyncio.create_task(self._delivery(index // self.deliver_every)))
        await asyncio.gather(*requests)
        self.finished_at = time.monotonic()

    async def reached(self, attempts: int, timeout: float = 300.0) -> None:
        """Wait until `attempts` orders have been sent (answered or not)."""
        deadline = time.monotonic() + timeout
        while self.attempted < attempts:
            self._progress.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the stream sent {self.attempted} orders, not {attempts}")
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                pass

    async def after(self, orders: int, timeout: float = 300.0) -> None:
        """Wait until `orders` more orders have been sent."""
        await self.reached(self.attempted + orders, timeout)

    @property
    def units_ordered(self) -> int:
        return sum(order["quantity"] for order in self.placed)

    async def _order(self, index: int) -> None:
        channel = BUYER_CHANNELS[index % len(BUYER_CHANNELS)]
        buyer = {
            "name": f"Pembeli {index + 1}",
            "type": "individual" if index % 5 else "business",
            "region": "Palangka Raya",
            "phone": _phone(self.rng),
            "email": f"pembeli{index + 1}.{self.hub}@contoh.id",
            "language": "en" if index % 4 == 3 else "id",
        }
        if channel:
            buyer["channel"] = channel
        quantity = self.rng.randint(1, 10)
        whole_only = index % 7 == 6
        self.attempted += 1
        self._progress.set()
        try:
            order = await self.client.place_order(
                self.hub, SKU, quantity, buyer, accept_partial=False if whole_only else None
            )
        except ApiError as error:
            self.refused[f"order {error.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            self.refused[f"order {type(error).__name__}"] += 1
        else:
            self.placed.append(order)

    async def _application(self, index: int) -> None:
        recipient = {**citizen(index + 1), "phone": _phone(self.rng)}
        path = f"/v1/programmes/{self.programme_id}/applications"
        body = {"sku": SKU, "quantity": 1 + index % 2, "recipient": recipient}
        try:
            applied = await self.client.call(
                "orders", "POST", path, json=body, headers=self.client.as_operator()
            )
        except ApiError as error:
            self.refused[f"application {error.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            self.refused[f"application {type(error).__name__}"] += 1
        else:
            self.applied.append(applied)

    async def _delivery(self, index: int) -> None:
        producer = self.producers[index % len(self.producers)]
        try:
            delivery = await self.client.record_delivery(
                self.hub, producer["id"], SKU, quantity=30, rejected=index % 3
            )
        except ApiError as error:
            self.refused[f"delivery {error.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            self.refused[f"delivery {type(error).__name__}"] += 1
        else:
            self.delivered.append(delivery)
