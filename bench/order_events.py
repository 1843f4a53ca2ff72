"""order.placed events as the orders service publishes them, and publishing them in bulk."""

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aio_pika.abc import AbstractExchange

from shared.bus import publish
from shared.events import CLASS_OF_BUYER_TYPE, Buyer, Envelope, OrderPlaced
from shared.order_codes import new_order_code, shown

HUB = "bench-kalteng"
SKU = "masker-kain"
REGIONS = ["Palangka Raya", "Kotawaringin Timur", "Kapuas", "Barito Selatan", "Katingan"]
# Mostly citizens, as on the founding day; agencies, banks and clinics now and then.
BUYER_TYPES = ["individual"] * 85 + ["bank"] * 5 + ["agency"] * 5 + ["business"] * 3
BUYER_TYPES += ["health_facility"] * 2
PUBLISH_CHUNK = 500  # confirms awaited together, as the outbox relay does


@dataclass(frozen=True)
class Message:
    event_id: str
    correlation_id: str
    body: bytes


def orders_placed(count: int, skus: int, seed: int = 7) -> list[Message]:
    """`count` orders for `skus` products of one hub (the first is SKU), oldest first."""
    draw = random.Random(seed)
    placed_at = datetime.now(UTC) - timedelta(hours=1)
    messages = []
    for sequence in range(1, count + 1):
        order_id = uuid.UUID(int=draw.getrandbits(128), version=4)
        buyer = Buyer(
            name=f"Pembeli {sequence}",
            type=draw.choice(BUYER_TYPES),
            region=draw.choice(REGIONS),
            phone=f"+62812{draw.randrange(10_000_000):07d}",
        )
        envelope = Envelope.wrap(
            OrderPlaced(
                code=shown(new_order_code()),
                order_id=order_id,
                sku=SKU if sequence % skus == 0 else f"{SKU}-{sequence % skus + 1}",
                quantity=draw.randint(1, 50),
                placed_at=placed_at + timedelta(milliseconds=50 * sequence),
                sequence=sequence,
                buyer=buyer,
                buyer_key=buyer.key(order_id),
                priority_class=CLASS_OF_BUYER_TYPE[buyer.type],
                accept_partial=draw.random() >= 0.05,
            ),
            hub=HUB,
            correlation_id=f"bench-order-{sequence}",
        )
        messages.append(
            Message(str(envelope.id), envelope.correlation_id, envelope.model_dump_json().encode())
        )
    return messages


async def publish_all(
    exchange: AbstractExchange, routing_key: str, messages: list[Message]
) -> float:
    """Publish with confirms, a chunk at a time; answer the seconds it took."""
    started = time.perf_counter()
    for start in range(0, len(messages), PUBLISH_CHUNK):
        await asyncio.gather(
            *(
                publish(
                    exchange,
                    body=message.body,
                    routing_key=routing_key,
                    message_id=message.event_id,
                    correlation_id=message.correlation_id,
                    event_type="order.placed",
                )
                for message in messages[start : start + PUBLISH_CHUNK]
            )
        )
    return time.perf_counter() - started
