"""Conversations: what the hub answers to what people send it (keywords, STATUS, BATAL, PESAN).

The contract with the inbound worker (`services/notifier/inbound/worker.py`):

- `answer(conn, inbound)` is called once per message a person sent (WhatsApp or SMS), after
  the webhook that brought it was recorded and answered: never inside the provider's request.
- `conn` is an asyncpg connection in a transaction the worker opened; the same transaction
  marks the message handled. Everything `answer` writes with `conn` commits with that mark, or
  not at all. Whatever it does outside `conn` (an HTTP call) is not undone by a rollback.
- A number's messages come one at a time, oldest first (by when they were recorded), whichever
  replica takes them; different numbers' may be answered at the same time.
- The same message comes again only if its transaction did not commit: `answer` raised (the
  worker logs it and tries again later, giving up after a few failures), or the process or the
  database went away before the commit. A webhook Meta or Infobip sends twice is recorded once.
- `inbound.phone` is E.164 with +: log it only masked (`channels.addresses.mask_address`).
"""

import asyncpg
import structlog

from services.notifier.channels.addresses import mask_address
from services.notifier.inbound.notifications import InboundMessage

log = structlog.get_logger(__name__)


async def answer(conn: asyncpg.Connection, inbound: InboundMessage) -> None:
    """Answer one message a person sent (for now: only say it came)."""
    log.info(
        "inbound received",
        channel=inbound.channel,
        phone=mask_address(inbound.phone),
        provider_id=inbound.provider_id,
        reply_id=inbound.reply_id,
    )
