"""A hub opens, and operators set where it is, when it is open and whether the site takes
orders there."""

from pydantic import ValidationError

from services.intake.handlers import UnitOfWork
from services.intake.handlers.problems import HUB, hub_taken, unknown_hub
from services.intake.models import HubChanges, HubDetails, NewHub
from services.intake.records import Hub
from shared.events import Envelope, HubRegistered
from shared.problems import from_validation_error, not_found


async def register_hub(uow: UnitOfWork, new: NewHub, correlation_id: str) -> Hub:
    """The other services learn the hub's name and the time zone its days run in."""
    if await uow.hubs.get(new.code) is not None:
        raise hub_taken(new.code)
    hub = Hub(
        code=new.code,
        name=new.name,
        timezone=new.timezone,
        address=new.address,
        opening_hours=new.opening_hours,
        takes_site_orders=new.takes_site_orders,
        created_at=uow.now(),
        updated_at=None,
    )
    uow.hubs.add(hub)
    event = HubRegistered(name=hub.name, timezone=hub.timezone)
    uow.publish(Envelope.wrap(event, hub=hub.code, correlation_id=correlation_id))
    return hub


async def update_hub(uow: UnitOfWork, code: str, changes: HubChanges) -> Hub:
    """No event: no other service keeps these details; the site reads them from here. The hub
    as changed is checked as a new one is; nothing changed, nothing is written."""
    current = await uow.hubs.get(code, for_update=True)
    if current is None:
        raise not_found(HUB, code)
    stored = HubDetails.model_construct(
        address=current.address,
        opening_hours=current.opening_hours,
        takes_site_orders=current.takes_site_orders,
    )
    try:
        details = HubDetails.model_validate(changes.applied_to(stored))
    except ValidationError as error:
        raise from_validation_error(error) from None
    if details == stored:
        return current
    hub = current.model_copy(update={**dict(details), "updated_at": uow.now()})
    uow.hubs.update(hub)
    return hub


async def require_hub(uow: UnitOfWork, code: str) -> Hub:
    """The hub a request names, or 422 naming its `hub` field."""
    hub = await uow.hubs.get(code)
    if hub is None:
        raise unknown_hub(code)
    return hub
