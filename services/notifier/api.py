"""The notifier's read-only message log."""

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from services.notifier import store
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, json_response

routes = web.RouteTableDef()


class MessageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "MessageQuery":
        if (self.order_id is None) == (self.producer_id is None):
            raise PydanticCustomError("one_of_required", "give order_id or producer_id")
        return self


class Recipient(BaseModel):
    key: str
    kind: str | None
    name: str | None
    email: str | None


class Message(BaseModel):
    id: uuid.UUID
    recipient: Recipient
    channel: str
    template: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class MessageLog(BaseModel):
    messages: list[Message]


@routes.get("/v1/messages")
@documented(
    summary=Text(
        "Pesan tentang satu pesanan atau untuk satu produsen (isi salah satu)",
        "Messages about one order or to one producer (give one of them)",
    ),
    query=MessageQuery,
    answers={200: MessageLog},
)
async def get_messages(request: web.Request, query: MessageQuery) -> web.Response:
    """Messages about one order (`?order_id=`) or to one producer (`?producer_id=`)."""
    sql, key = (
        (store.MESSAGES_OF_ORDER, query.order_id)
        if query.order_id is not None
        else (store.MESSAGES_OF_PRODUCER, query.producer_id)
    )
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(sql, key)
    messages = [
        Message(
            id=row["id"],
            recipient=Recipient(
                key=row["recipient_key"],
                kind=row["recipient_kind"],
                name=row["recipient_name"],
                email=row["recipient_email"],
            ),
            channel=row["channel"],
            template=row["template"],
            status=row["status"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
        )
        for row in rows
    ]
    return json_response(MessageLog(messages=messages))
