"""One-time codes to a phone, for the buyers' site: WhatsApp first, SMS when WhatsApp cannot
reach the number, ahead of every message already waiting (a code that comes after its five
minutes is useless). The site makes and checks the code; the notifier only carries it.
"""

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints

from services.notifier.store.phone_codes import add_to_phone
from shared.fields import HubCode, Language, Name, PhoneNumber
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, current_correlation_id, json_response

routes = web.RouteTableDef()

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
    async with request.app[DATABASE].acquire() as conn:
        message_id = await add_to_phone(
            conn,
            message_id=uuid.uuid4(),
            template="phone_code",
            ahead=True,
            hub=new.hub,
            phone=new.phone,
            name=new.name,
            language=new.language,
            correlation_id=current_correlation_id(),
            params={"code": new.code},
        )
    return json_response(PhoneCodeQueued(message_id=message_id), status=202)
