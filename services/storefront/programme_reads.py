"""Free-mask programmes as the site shows them, read from the orders service's public API
(`GET /v1/programmes?hub=`, `/v1/programmes/{id}`, its published draws) and kept a few seconds,
as the hubs' figures are (`figures.Kept`): a crowd at a programme's page costs one read."""

import uuid
from datetime import date

from services.storefront.backends import BackendError, Backends
from services.storefront.figures import Kept

# More than a hub runs at once; the site lists at most this many.
MAX_LISTED = 50


class ProgrammeReads:
    def __init__(self, backends: Backends, keep_seconds: float):
        self._backends = backends
        self._of_hub = Kept(self._read_of_hub, keep_seconds)
        self._one = Kept(self._read_one, keep_seconds)
        self._last_draw = Kept(self._read_last_draw, keep_seconds)

    async def open_at(self, hub: str) -> list[dict]:
        """The hub's programmes open for applications today, in the order the API lists them."""
        listed = await self._of_hub.get(hub)
        return [p for p in listed if p.get("status") == "open" and p.get("hub") == hub]

    async def one(self, programme_id: uuid.UUID) -> dict | None:
        """A programme (any status), or None when there is no such one."""
        return await self._one.get(programme_id)

    async def draw(self, programme_id: uuid.UUID, draw_id: uuid.UUID) -> dict | None:
        """A published draw, read each time (opened from a message, rarely by a crowd)."""
        try:
            return await self._backends.get(
                "orders", f"/v1/programmes/{programme_id}/draws/{draw_id}"
            )
        except BackendError as error:
            if error.status == 404:
                return None
            raise

    async def last_draw(self, programme_id: uuid.UUID) -> dict | None:
        """The programme's latest published draw in full (its entrants' and winners' tickets), or
        None before its first; kept a few seconds, as the pages of a crowd's applications ask
        it."""
        return await self._last_draw.get(programme_id)

    async def _read_last_draw(self, programme_id: uuid.UUID) -> dict | None:
        listed = await self._backends.get("orders", f"/v1/programmes/{programme_id}/draws")
        draws = sorted(listed["draws"], key=lambda draw: draw["at"])
        return await self.draw(programme_id, uuid.UUID(draws[-1]["id"])) if draws else None

    async def _read_of_hub(self, hub: str) -> list[dict]:
        answer = await self._backends.get("orders", "/v1/programmes", params={"hub": hub})
        return [_dated(programme) for programme in answer["programmes"][:MAX_LISTED]]

    async def _read_one(self, programme_id: uuid.UUID) -> dict | None:
        try:
            return _dated(await self._backends.get("orders", f"/v1/programmes/{programme_id}"))
        except BackendError as error:
            if error.status in (404, 422):
                return None
            raise


def _dated(programme: dict) -> dict:
    """The programme with its period as dates, as the pages write them."""
    return {
        **programme,
        "starts_on": date.fromisoformat(programme["starts_on"]),
        "ends_on": date.fromisoformat(programme["ends_on"]),
    }
