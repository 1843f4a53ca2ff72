"""A product's pre-order window opened again (issue 21): the buyers' site tells each phone that
asked it to, once. The site keeps the sign-ups and decides when; the notifier only carries the
message, to a bare phone, as it carries the site's phone codes (phone_codes.py)."""

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from services.notifier.store.phone_codes import add_to_phone
from shared.fields import HubCode, Language, Name, PhoneNumber
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, current_correlation_id, json_response

routes = web.RouteTableDef()


class NewWindowNotice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The caller's id for this one notice (the site's sign-up), the same when it asks again: a
    # notice asked twice is one message.
    id: uuid.UUID
    hub: HubCode
    hub_name: Name
    phone: PhoneNumber
    name: Name
    product: Name
    language: Language = "id"


class WindowNoticeQueued(BaseModel):
    message_id: uuid.UUID


@routes.post("/v1/window-notices")
@documented(
    operation_id="sendWindowNotice",
    summary=Text(
        "Kabari nomor HP: pra-pesan dibuka lagi", "Tell a phone: pre-orders are open again"
    ),
    body=NewWindowNotice,
    answers={202: WindowNoticeQueued},
    auth="operator",
)
async def post_window_notice(request: web.Request, new: NewWindowNotice) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        message_id = await add_to_phone(
            conn,
            message_id=new.id,
            template="window_opened",
            ahead=False,
            hub=new.hub,
            phone=new.phone,
            name=new.name,
            language=new.language,
            correlation_id=current_correlation_id(),
            params={"product": new.product, "hub_name": new.hub_name},
        )
    return json_response(WindowNoticeQueued(message_id=message_id), status=202)
