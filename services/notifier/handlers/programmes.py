"""What applicants to a free-mask programme hear: a published draw that did not reach their
application. The application is not in the queue (no order.placed told the notifier of its
buyer), so the event names the applicant and is where the notifier learns whom to tell."""

from services.notifier.handlers.directory import buyer_recipient
from services.notifier.handlers.orders import tell_buyer
from services.notifier.store import AbstractUnitOfWork
from shared.events import Envelope, ProgrammeNotDrawn


async def on_programme_not_drawn(
    uow: AbstractUnitOfWork, event: Envelope, not_drawn: ProgrammeNotDrawn
) -> None:
    """The applicant hears that this draw passed them over, with what anyone needs to check it
    (the seed, how many entered, a link to the published draw, added when sent: `links`), their
    own draw ticket to find themselves in it (the draw names tickets, never order codes), and
    that the application stays in the pool for the next draw as units return."""
    uow.recipients.add(buyer_recipient(not_drawn.order_id, not_drawn.buyer, not_drawn.code))
    tell_buyer(
        uow,
        event,
        not_drawn.order_id,
        "programme_not_drawn",
        programme=not_drawn.programme_name,
        programme_uuid=str(not_drawn.programme_id),
        draw_uuid=str(not_drawn.draw_id),
        # As text: a seed is read digit by digit, never grouped as a number is.
        seed=str(not_drawn.seed),
        entrants=not_drawn.entrants,
        ticket=not_drawn.ticket,
    )
