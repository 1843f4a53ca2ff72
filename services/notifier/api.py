"""The notifier's read-only message log."""

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from services.notifier.channels.addresses import mask_address
from services.notifier.store import message_log, opt_outs
from shared.fields import ChannelName, EmailAddress, PhoneNumber
from shared.openapi import documented
from shared.problems import Text, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()

OPT_OUT = Text("penolakan saluran", "opt-out")


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


class Attempt(BaseModel):
    """One try by one channel, and what the provider said."""

    channel: str
    outcome: Literal["accepted", "temporary", "unknown", "permanent", "opted_out"]
    answer: str
    provider_id: str | None
    at: datetime


class DeliveryStatus(BaseModel):
    """What WhatsApp reported of a send (its status webhook), named by the send's wamid."""

    provider_id: str
    status: Literal["sent", "delivered", "read", "failed"]
    error_code: int | None
    error_title: str | None
    at: datetime


class Message(BaseModel):
    id: uuid.UUID
    recipient: Recipient
    template: str
    language: str | None  # chosen with the channel
    channel: str | None  # the channel it went (or goes) by; None until one is chosen
    address: str | None  # masked: "+62812****7890", "s***@contoh.id"
    status: Literal["pending", "sent", "skipped", "failed", "opted_out"]
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None
    attempts: list[Attempt]
    statuses: list[DeliveryStatus]  # WhatsApp's, as reported, oldest first


class MessageLog(BaseModel):
    messages: list[Message]


@routes.get("/v1/messages")
@documented(
    operation_id="listMessages",
    summary=Text(
        "Pesan tentang satu pesanan atau untuk satu produsen (isi salah satu)",
        "Messages about one order or to one producer (give one of them)",
    ),
    query=MessageQuery,
    answers={200: MessageLog},
    auth="operator",
)
async def get_messages(request: web.Request, query: MessageQuery) -> web.Response:
    """What was sent about an order (`?order_id=`) or to a producer (`?producer_id=`): by which
    channel, when, every answer of the providers, and what WhatsApp reported of each send."""
    async with request.app[DATABASE].acquire() as conn:
        rows, attempts, statuses = await message_log.messages_of(
            conn, order_id=query.order_id, producer_id=query.producer_id
        )
    tries: dict[uuid.UUID, list[Attempt]] = {row["id"]: [] for row in rows}
    for attempt in attempts:
        tries[attempt["message_id"]].append(Attempt.model_validate(dict(attempt)))
    reported: dict[uuid.UUID, list[DeliveryStatus]] = {row["id"]: [] for row in rows}
    for status in statuses:
        reported[status["message_id"]].append(DeliveryStatus.model_validate(dict(status)))
    messages = [
        Message(
            id=row["id"],
            recipient=Recipient(
                key=row["recipient_key"], kind=row["recipient_kind"], name=row["recipient_name"]
            ),
            template=row["template"],
            language=row["language"],
            channel=row["channel"],
            address=row["address"] and mask_address(row["address"]),
            status=row["status"],
            last_error=row["last_error"],
            provider_id=row["provider_id"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
            attempts=tries[row["id"]],
            statuses=reported[row["id"]],
        )
        for row in rows
    ]
    return json_response(MessageLog(messages=messages))


class NewOptOut(BaseModel):
    """A person's "not by this channel": their phone for WhatsApp or SMS, their email for email."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelName
    phone: PhoneNumber | None = None
    email: EmailAddress | None = None

    @model_validator(mode="after")
    def _address_of_the_channel(self) -> "NewOptOut":
        wanted = self.email if self.channel == "email" else self.phone
        unwanted = self.phone if self.channel == "email" else self.email
        if wanted is None or unwanted is not None:
            raise PydanticCustomError(
                "opt_out_address", "give phone for whatsapp or sms, email for email"
            )
        return self

    @property
    def address(self) -> str:
        return self.email.lower() if self.channel == "email" else self.phone


class OptOut(BaseModel):
    id: uuid.UUID
    channel: ChannelName
    address: str
    opted_out_at: datetime


class OptOutQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: PhoneNumber | None = None
    email: EmailAddress | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "OptOutQuery":
        if (self.phone is None) == (self.email is None):
            raise PydanticCustomError("opt_out_address", "give phone or email")
        return self


class OptOuts(BaseModel):
    opt_outs: list[OptOut]


@routes.post("/v1/opt-outs")
@documented(
    operation_id="recordOptOut",
    summary=Text(
        "Catat bahwa seseorang tidak mau dihubungi lewat satu saluran",
        "Record that a person wants no messages by one channel",
    ),
    body=NewOptOut,
    answers={201: OptOut, 200: OptOut},
    auth="operator",
)
async def post_opt_out(request: web.Request, new: NewOptOut) -> web.Response:
    """Messages not sent yet pass over the channel too. Asking again answers the first one."""
    async with request.app[DATABASE].acquire() as conn:
        row, new_one = await opt_outs.add(conn, new.channel, new.address)
    return json_response(OptOut.model_validate(dict(row)), status=201 if new_one else 200)


@routes.get("/v1/opt-outs")
@documented(
    operation_id="findOptOuts",
    summary=Text("Saluran yang ditolak seseorang", "The channels a person opted out of"),
    query=OptOutQuery,
    answers={200: OptOuts},
    auth="operator",
)
async def get_opt_outs(request: web.Request, query: OptOutQuery) -> web.Response:
    address = query.phone or query.email.lower()
    async with request.app[DATABASE].acquire() as conn:
        rows = await opt_outs.of_address(conn, address)
    return json_response(OptOuts(opt_outs=[OptOut.model_validate(dict(row)) for row in rows]))


@routes.delete("/v1/opt-outs/{opt_out_id}")
@documented(
    operation_id="removeOptOut",
    summary=Text("Hubungi lagi lewat saluran itu", "Opt back in to the channel"),
    answers={200: OptOut},
    path={"opt_out_id": uuid.UUID},
    auth="operator",
)
async def delete_opt_out(request: web.Request) -> web.Response:
    opt_out_id = uuid_in_path(request, "opt_out_id", OPT_OUT)
    async with request.app[DATABASE].acquire() as conn:
        row = await opt_outs.remove(conn, opt_out_id)
    if row is None:
        raise not_found(OPT_OUT, opt_out_id)
    return json_response(OptOut.model_validate(dict(row)))
