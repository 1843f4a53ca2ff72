"""Producers registered and corrected; each change goes out as an event, so later messages
reach the producer as they now are."""

import uuid

from pydantic import ValidationError

from services.intake.handlers import UnitOfWork
from services.intake.handlers.hubs import require_hub
from services.intake.handlers.problems import (
    PHONE_TAKEN,
    PRODUCER,
    phone_taken,
    producer_taken,
)
from services.intake.models import NewProducer, ProducerChanges, ProducerDetails
from services.intake.records import Producer
from shared.events import Envelope, ProducerRegistered, ProducerUpdated
from shared.problems import from_validation_error, not_found

DETAILS = set(ProducerDetails.model_fields)


async def register_producer(uow: UnitOfWork, new: NewProducer, correlation_id: str) -> Producer:
    """A producer of a hub, known by a phone no other producer of the hub has."""
    await require_hub(uow, new.hub)
    if await uow.producers.phones_taken(new.hub, [new.phone]):
        raise producer_taken()
    details = new.model_dump(include=DETAILS)
    producer = Producer(
        id=uuid.uuid4(), hub=new.hub, **details, registered_at=uow.now(), updated_at=None
    )
    uow.producers.add(producer)
    event = ProducerRegistered(producer_id=producer.id, **details)
    uow.publish(Envelope.wrap(event, hub=new.hub, correlation_id=correlation_id))
    return producer


async def update_producer(
    uow: UnitOfWork, producer_id: uuid.UUID, changes: ProducerChanges, correlation_id: str
) -> Producer:
    """An operator corrects a producer's details; the whole record goes out as an event.
    Nothing changed, nothing is announced."""
    current = await uow.producers.get(producer_id, for_update=True)
    if current is None:
        raise not_found(PRODUCER, producer_id)
    stored = ProducerDetails.model_construct(**current.model_dump(include=DETAILS))
    try:
        details = ProducerDetails.model_validate(changes.applied_to(stored))
    except ValidationError as error:
        raise from_validation_error(error) from None
    if details == stored:
        return current
    if details.phone != current.phone and await uow.producers.phones_taken(
        current.hub, [details.phone]
    ):
        raise PHONE_TAKEN.problem(errors=[phone_taken(details.phone)])
    producer = current.model_copy(update={**dict(details), "updated_at": uow.now()})
    uow.producers.update(producer)
    event = ProducerUpdated(
        producer_id=producer.id,
        **producer.model_dump(include=DETAILS),
        updated_at=producer.updated_at,
    )
    uow.publish(Envelope.wrap(event, hub=producer.hub, correlation_id=correlation_id))
    return producer
