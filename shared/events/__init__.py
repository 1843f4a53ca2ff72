"""The event contract: the envelope, and one frozen pydantic model per event type and version,
in a module per publishing service. Import everything from here: importing this package
registers every model, so any event can be read.
"""

from shared.events.allocator import (
    DaySummarised,
    LotShare,
    OrderAllocated,
    OrderAllocatedV1,
    OrderAllocatedV2,
    OrderEstimateMoved,
    OrderExpired,
    OrderQueued,
    OrderQueuedV1,
    OrderReleased,
)
from shared.events.batch import BATCH_CONTENT_TYPE, Unreadable, batch_body, events_in
from shared.events.envelope import Envelope, EventPayload, UnknownEvent
from shared.events.intake import (
    HubRegistered,
    ProducerRegistered,
    ProducerRegisteredV1,
    ProducerUpdated,
    ProductListed,
    SupplyReceived,
)
from shared.events.notifier import NotificationFailed, NotificationSent
from shared.events.orders import (
    CLASS_OF_BUYER_TYPE,
    Buyer,
    BuyerType,
    BuyerV2,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    OrderPlacedV1,
    OrderPlacedV2,
    OrderPlacedV3,
    OrderPlacedV4,
    ProgrammeNotDrawn,
    ProgrammeShare,
)

__all__ = [
    "BATCH_CONTENT_TYPE",
    "CLASS_OF_BUYER_TYPE",
    "Buyer",
    "BuyerType",
    "BuyerV2",
    "DaySummarised",
    "Envelope",
    "EventPayload",
    "HubRegistered",
    "LotShare",
    "NotificationFailed",
    "NotificationSent",
    "OrderAllocated",
    "OrderAllocatedV1",
    "OrderAllocatedV2",
    "OrderCancelled",
    "OrderEstimateMoved",
    "OrderExpired",
    "OrderFulfilled",
    "OrderPlaced",
    "OrderPlacedV1",
    "OrderPlacedV2",
    "OrderPlacedV3",
    "OrderPlacedV4",
    "OrderQueued",
    "OrderQueuedV1",
    "OrderReleased",
    "ProducerRegistered",
    "ProducerRegisteredV1",
    "ProducerUpdated",
    "ProductListed",
    "ProgrammeNotDrawn",
    "ProgrammeShare",
    "SupplyReceived",
    "UnknownEvent",
    "Unreadable",
    "batch_body",
    "events_in",
]
