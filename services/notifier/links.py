"""What a buyer's message says of their order as it is sent: the order's code, once order.placed
told it, and the link to the order's page on the buyers' site (`PUBLIC_SITE_URL`). Added when
sent, not when recorded: a message recorded before its order.placed arrived (events overtake
each other) still gets them. A message about a programme's draw also links to the draw as
the site publishes it. Producers' messages get neither. Pure: no I/O.
"""

import uuid
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


def draw_link(site: str, programme_id: str, draw_id: str) -> Link | None:
    """`https://site/program/<programme>/undian/<draw>`: a programme's published draw, when the
    ids read back as ids (they come from stored params)."""
    try:
        programme, draw = uuid.UUID(programme_id), uuid.UUID(draw_id)
    except (TypeError, ValueError, AttributeError):
        return None
    return Link(f"{site.rstrip('/')}/program/{programme}/undian/{draw}")


def buyer_params(params: Mapping[str, Any], order_code: str | None, site: str) -> dict[str, Any]:
    """A buyer message's params with the order's code as its reference (else the consumers' own
    short reference stays) and `tracking`: the link, or what to do without one; a message about
    a programme's draw (`draw_uuid`) also gets `draw_page`, the link to the published draw."""
    told = {**params, **_draw(params, site)}
    if order_code is None:
        return {**told, **in_both("tracking", NO_LINK)}
    told["order_ref"] = order_code
    if not site:
        return {**told, **in_both("tracking", NO_LINK)}
    return {**told, "tracking": tracking_link(site, order_code)}


def _draw(params: Mapping[str, Any], site: str) -> dict[str, Any]:
    if "draw_uuid" not in params:
        return {}
    link = site and draw_link(site, params.get("programme_uuid"), params["draw_uuid"])
    return {"draw_page": link} if link else in_both("draw_page", NO_LINK)
