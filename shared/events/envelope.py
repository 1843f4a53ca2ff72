"""The envelope every event travels in, and the registry of payload models.

An event's routing key on the exchange is its type. Changing a payload means a new version
(a new model with the same `type` and `version + 1`), never an edit of an existing one:
consumers reject a version they do not know, so nothing is silently misread. An old version
stays readable: its model says how it reads as the newest one (`upgraded`), so handlers only
ever see the newest.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.fields import HubCode


class EventPayload(BaseModel):
    """Base of every payload model; subclasses name their `type` and `version`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]
    version: ClassVar[int]
    registry: ClassVar[dict[tuple[str, int], type["EventPayload"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        key = (cls.type, cls.version)
        if key in EventPayload.registry:
            raise TypeError(f"event {key} is defined twice")
        EventPayload.registry[key] = cls

    def upgraded(self) -> "EventPayload":
        """This payload as the newest version of its type; older versions override it."""
        return self


class Envelope(BaseModel):
    """What travels on the bus: identity and causality around a typed payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    type: str
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    hub: HubCode
    correlation_id: str = Field(min_length=1, max_length=64)
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        hub: str,
        correlation_id: str,
        causation_id: uuid.UUID | None = None,
    ) -> Self:
        """A new event, as the first effect of a request or as the effect of another event."""
        return cls(
            id=uuid.uuid4(),
            type=payload.type,
            version=payload.version,
            occurred_at=datetime.now(UTC),
            hub=hub,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload.model_dump(mode="json"),
        )

    def follow(self, payload: EventPayload) -> "Envelope":
        """An event caused by this one: same hub and correlation, this event as its cause."""
        return Envelope.wrap(
            payload, hub=self.hub, correlation_id=self.correlation_id, causation_id=self.id
        )

    def read(self) -> EventPayload:
        """The payload as the newest model of its type.

        Raises `UnknownEvent` or a pydantic `ValidationError`.
        """
        model = EventPayload.registry.get((self.type, self.version))
        if model is None:
            raise UnknownEvent(f"no model for event {self.type!r} version {self.version}")
        return model.model_validate(self.payload).upgraded()


class UnknownEvent(ValueError):
    """An event type or version this code does not know."""
