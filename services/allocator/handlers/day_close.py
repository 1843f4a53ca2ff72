"""The end of a hub's day: a summary of each product's day, and a fresh look at every waiting
order's estimated date, telling buyers whose date moved."""

from datetime import date, timedelta

from services.allocator.handlers.filling import Emit
from services.allocator.rules import estimates
from services.allocator.store import Work
from shared.events import DaySummarised, OrderEstimateMoved

# Days missed while no allocator ran are summarised on start, this far back at most.
CATCH_UP_DAYS = 7


def days_to_summarise(last_summarised: date | None, today: date) -> list[date]:
    """Each ended day not yet summarised, oldest first, going back at most CATCH_UP_DAYS; for
    a product never summarised, yesterday alone."""
    if last_summarised is None:
        return [today - timedelta(days=1)]
    first = max(today - timedelta(days=CATCH_UP_DAYS), last_summarised + timedelta(days=1))
    return [first + timedelta(days=n) for n in range((today - first).days)]


async def summarise(uow: Work, hub: str, sku: str, day: date, emit: Emit) -> DaySummarised | None:
    """Publish the product's summary of `day`, once, however many allocators try."""
    summary = await uow.day_figures(hub, sku, day)
    if not await uow.record_summary(hub, summary):
        return None
    uow.publish(emit(summary))
    return summary


async def retell_estimates(uow: Work, hub: str, sku: str, emit: Emit) -> int:
    """Recompute every waiting order's estimated date; tell the buyers whose date moved."""
    policy, view = await uow.product_outlook(hub, sku)
    moved = {}
    for waiting in await uow.waiting_in_order(hub, sku):
        position, units_ahead = estimates.place_in_queue(
            policy, view.totals, waiting.priority_class, waiting.before
        )
        estimated = view.estimate(units_ahead, waiting.wanted)
        if estimated == waiting.estimated_date:
            continue  # dates are whole days: any change is a move of a day or more
        moved[waiting.order_id] = estimated
        uow.publish(
            emit(
                OrderEstimateMoved(
                    order_id=waiting.order_id,
                    sku=sku,
                    position=position,
                    units_ahead=units_ahead,
                    estimated_date=estimated,
                    previous_date=waiting.estimated_date,
                )
            )
        )
    uow.tell_estimates(moved)
    return len(moved)
