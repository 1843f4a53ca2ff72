"""What the notifier publishes: what it sent, and what it could not."""

import uuid

from shared.events.envelope import EventPayload


class NotificationSent(EventPayload):
    type = "notification.sent"
    version = 1

    message_id: uuid.UUID
    template: str
    channel: str
    order_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None


class NotificationFailed(EventPayload):
    type = "notification.failed"
    version = 1

    message_id: uuid.UUID
    template: str
    channel: str
    reason: str
    order_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None
