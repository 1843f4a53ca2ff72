"""One-time codes to a phone, for the buyers' site: WhatsApp first, SMS when WhatsApp cannot
reach the number, ahead of every message already waiting (a code that comes after its five
minutes is useless). The site makes and checks the code; the notifier only carries it.
"""

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints

from services.notifier.store import RING_ROUTER
from shared.fields import HubCode, Language, Name, PhoneNumber
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, current_correlation_id, json_response

routes = web.RouteTableDef()

TEMPLATE = "phone_code"

# The recipient is this one message's: a code is never sent again, and a phone checked twice
# is two recipients, so nothing ties one check to another here. Due a day ago: the senders take
# the earliest due first, so the code overtakes every message that has not given up yet.
PHONE_CODE_INSERT = f"""
WITH recipient AS (
    INSERT INTO recipients (key, kind, name, phone, language, channel)
    VALUES ($2, 'phone_check', $3, $4, $5, 'whatsapp')
), message AS (
    INSERT INTO messages (id, event_id, correlation_id, hub, recipient_key, template, params,
                          next_attempt_at)
    VALUES ($1, $1, $6, $7, $2, '{TEMPLATE}', $8::jsonb, now() - interval '1 day')
)
{RING_ROUTER}
"""

SixDigits = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class NewPhoneCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hub: HubCode
    phone: PhoneNumber
    name: Name
    code: SixDigits
    language: Language = "id"


class PhoneCodeQueued(BaseModel):
    message_id: uuid.UUID


@routes.post("/v1/phone-codes")
@documented(
    operation_id="sendPhoneCode",
    summary=Text("Kirim kode sekali pakai ke nomor HP", "Send a one-time code to a phone"),
    body=NewPhoneCode,
    answers={202: PhoneCodeQueued},
    auth="operator",
)
async def post_phone_code(request: web.Request, new: NewPhoneCode) -> web.Response:
    """Queued ahead of every other message; its log (`GET /v1/messages`) is not kept by order."""
    message_id = uuid.uuid4()
    async with request.app[DATABASE].acquire() as conn:
        await conn.execute(
            PHONE_CODE_INSERT,
            message_id,
            f"phone_check:{message_id}",
            new.name,
            new.phone,
            new.language,
            current_correlation_id(),
            new.hub,
            {"code": new.code},
        )
    return json_response(PhoneCodeQueued(message_id=message_id), status=202)
