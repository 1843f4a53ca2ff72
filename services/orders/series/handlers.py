"""What standing orders learn from events: each hub's time zone, for their days."""

from services.orders.store import series as series_store
from services.orders.store.unit_of_work import UnitOfWork
from shared.events import Envelope, HubRegistered


async def hub_registered(uow: UnitOfWork, event: Envelope, hub: HubRegistered) -> None:
    await uow.run(lambda conn: conn.execute(series_store.ZONE_UPSERT, event.hub, hub.timezone))
