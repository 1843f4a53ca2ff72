"""How events travel in AMQP messages: a batch of envelopes per message.

The outbox relay sends the events waiting for one routing key as one message whose content type
is `BATCH_CONTENT_TYPE` and whose body is a JSON list of envelopes (the envelope's own list,
not CloudEvents: our envelope is not a CloudEvent), at most `MAX_EVENTS_PER_MESSAGE` of them,
all of the message's routing key. A message of any other content type is one envelope, as every
message was before batches, so such a message (parked, replayed, or sent by an older relay)
stays readable.

Reading never fails as a whole: each event of a message is an `Envelope`, or `Unreadable` with
its own bytes and the reason, so a consumer can park that one alone and handle the rest.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from pydantic import TypeAdapter, ValidationError

from shared.events.envelope import Envelope

BATCH_CONTENT_TYPE = "application/vnd.plut.event-batch+json"
SINGLE_CONTENT_TYPE = "application/json"
# A bound on a message's size and on what one consumer batch may exceed its size by.
MAX_EVENTS_PER_MESSAGE = 100
# A whole batch in pydantic's own parser: faster than orjson and then each element (measured in
# bench/amqp_clients.py), but it fails as a whole, so a bad batch is then read element by element.
_ENVELOPES = TypeAdapter(list[Envelope])


@dataclass(frozen=True)
class Unreadable:
    """An event of a message that is no envelope: its bytes, to park alone, and why."""

    body: bytes
    event_id: str | None  # the id it claims, when it has one
    reason: str


def batch_body(bodies: Sequence[bytes]) -> bytes:
    """The body of a batch message from the envelopes' JSON, as the outbox stores them."""
    return b"[" + b",".join(bodies) + b"]"


def chunks(items: Sequence, size: int = MAX_EVENTS_PER_MESSAGE) -> list[Sequence]:
    """`items` cut into runs of at most `size`, in order."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def events_in(body: bytes, content_type: str | None) -> list[Envelope | Unreadable]:
    """The events a message carries, in order: one for a single-event message, each element of
    a batch's list otherwise."""
    if content_type != BATCH_CONTENT_TYPE:
        # pydantic's own JSON parser: faster here than orjson.loads and then validating.
        try:
            return [Envelope.model_validate_json(body)]
        except ValidationError as error:
            return [Unreadable(body, None, f"unreadable event: {error}")]
    try:
        return _ENVELOPES.validate_json(body)
    except ValidationError:
        pass
    try:
        elements = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return [Unreadable(body, None, f"unreadable event batch: {error}")]
    if not isinstance(elements, list):
        return [Unreadable(body, None, "unreadable event batch: not a JSON list")]
    return [_envelope(element) for element in elements]


def _envelope(element: object) -> Envelope | Unreadable:
    try:
        return Envelope.model_validate(element)
    except ValidationError as error:
        claimed = element.get("id") if isinstance(element, dict) else None
        return Unreadable(
            orjson.dumps(element),
            claimed if isinstance(claimed, str) else None,
            f"unreadable event: {error}",
        )
