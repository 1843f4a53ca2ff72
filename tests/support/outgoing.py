"""A message as the dispatcher hands it to a channel, for the channel adapters' tests."""

import dataclasses
import uuid
from typing import Any

from services.notifier.channels.base import Content, Outgoing

CONTENT = Content(
    template="order_allocated",
    language="id",
    subject="Pesanan Anda siap diambil / Your order is ready",
    text="Halo Siti, 10 masker kain siap diambil di PLUT Kalteng.",
    short="PLUT: 10 masker kain siap diambil.",
    parameters=("Siti", "10", "masker kain"),
)


def outgoing(address: str, message_id: uuid.UUID | None = None, **content: Any) -> Outgoing:
    """A message to `address`, with CONTENT changed where `content` says."""
    return Outgoing(
        message_id=message_id or uuid.uuid4(),
        correlation_id="test-correlation",
        address=address,
        recipient_name="Siti Aminah",
        content=dataclasses.replace(CONTENT, **content),
    )


def assert_discreet(text: str, *secrets: str) -> None:
    """`text` holds none of `secrets` (a number is checked with and without its "+")."""
    for secret in secrets:
        for form in {secret, secret.lstrip("+")}:
            assert form.lower() not in text.lower(), f"{text!r} discloses {form!r}"
