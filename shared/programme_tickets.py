"""Draw tickets: what a free-mask programme's published draw names each application by. The
orders service gives every application one when it is made (migration 0012); this is how one is
written. Pure: no I/O.

A draw is published to anyone, so it must not carry what opens an order: the order code
(shared/order_codes.py) is the buyer's secret key to their order (its tracking page, its
cancel). A ticket is drawn apart from the code from the system's strong random source and says
nothing of it; the applicant learns their own ticket where they see their application, and finds
it in the published draw. `T-` and 6 characters of Crockford's base32 (about 10^9 tickets): short
enough to read aloud, and unique within its programme (the orders service draws again on a
clash).
"""

import secrets
from typing import Annotated

from pydantic import StringConstraints

from shared.order_codes import ALPHABET

TICKET_PREFIX = "T-"
TICKET_LENGTH = 6

# A ticket as the APIs, events and pages carry it.
ProgrammeTicket = Annotated[
    str, StringConstraints(pattern=f"^{TICKET_PREFIX}[0-9A-HJKMNP-TV-Z]{{{TICKET_LENGTH}}}$")
]


def new_programme_ticket() -> str:
    """A fresh ticket, `T-7K3QD9`: unrelated to any order code."""
    return TICKET_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(TICKET_LENGTH))
