"""What a buyer's message says of their order as it is sent: the order's code, once order.placed
told it, and the link to the order's page on the buyers' site (`PUBLIC_SITE_URL`). Added when
sent, not when recorded: a message recorded before its order.placed arrived (events overtake
each other) still gets them. Producers' messages get neither. Pure: no I/O.
"""

from collections.abc import Mapping
from typing import Any

from services.notifier.dates import in_both
from shared.problems import Text

# Said where the link would be, with no site to link to or no code to link with.
NO_LINK = Text("hubungi PLUT", "contact PLUT")


class Link(str):
    """A link of ours, written as it is: `templates.formatted` makes every other text harmless,
    which takes links out. Never read back from stored params (JSON gives plain `str`)."""


def tracking_link(site: str, code: str) -> Link:
    """`https://site/lacak/7K3QD-M9X2A`: the code as order.placed gives it (shown, checked)."""
    return Link(f"{site.rstrip('/')}/lacak/{code}")


def buyer_params(params: Mapping[str, Any], order_code: str | None, site: str) -> dict[str, Any]:
    """A buyer message's params with the order's code as its reference (else the consumers' own
    short reference stays) and `tracking`: the link, or what to do without one."""
    if order_code is None:
        return {**params, **in_both("tracking", NO_LINK)}
    told = {**params, "order_ref": order_code}
    if not site:
        return {**told, **in_both("tracking", NO_LINK)}
    return {**told, "tracking": tracking_link(site, order_code)}
