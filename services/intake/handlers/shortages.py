"""Raw material producers run short of (elastic, cloth), as they report it at the counter.
Kept here only: no other service acts on a shortage yet, so none is announced as an event."""

import uuid
from datetime import date
from decimal import Decimal

from services.intake.domain import SHORTAGE_UNITS, day_at
from services.intake.handlers import UnitOfWork
from services.intake.handlers.hubs import require_hub
from services.intake.handlers.problems import PRODUCER, SHORTAGE
from services.intake.models import NewShortage
from services.intake.records import Shortage
from shared.problems import FieldError, Text, invalid, not_found


async def report_shortage(uow: UnitOfWork, producer_id: uuid.UUID, new: NewShortage) -> Shortage:
    """Since today at the producer's hub when the report does not say; never after it."""
    producer = await uow.producers.get(producer_id)
    if producer is None:
        raise not_found(PRODUCER, producer_id)
    hub = await require_hub(uow, producer.hub)
    now = uow.now()
    today = day_at(hub.timezone, now)
    since = new.since or today
    check_shortage(new.unit, since, today)
    shortage = Shortage(
        id=uuid.uuid4(),
        producer_id=producer_id,
        producer_name=producer.name,
        hub=producer.hub,
        regency=producer.regency,
        material=new.material,
        # As stored: in whole hundredths.
        amount=float(Decimal(f"{new.amount:.2f}")),
        unit=new.unit,
        since=since,
        reported_at=now,
        resolved_at=None,
    )
    uow.shortages.add(shortage)
    return shortage


async def resolve_shortage(uow: UnitOfWork, shortage_id: uuid.UUID) -> Shortage:
    """Resolving twice keeps the first time."""
    shortage = await uow.shortages.get(shortage_id)
    if shortage is None:
        raise not_found(SHORTAGE, shortage_id)
    if shortage.resolved_at is None:
        shortage = shortage.model_copy(update={"resolved_at": uow.now()})
        uow.shortages.resolve(shortage)
    return shortage


def check_shortage(unit: str, since: date, today: date) -> None:
    """422 naming each of: a unit not on the list, a start after today at the hub."""
    errors = []
    if unit not in SHORTAGE_UNITS:
        units = ", ".join(SHORTAGE_UNITS)
        errors.append(
            FieldError(
                "unit",
                "unit_unknown",
                Text(f"satuan tidak dikenal; pakai {units}", f"unknown unit; use {units}"),
            )
        )
    if since > today:
        errors.append(
            FieldError(
                "since",
                "since_in_future",
                Text(f"tidak boleh setelah hari ini ({today})", f"cannot be after today ({today})"),
            )
        )
    if errors:
        raise invalid(*errors)
