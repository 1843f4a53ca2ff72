"""Status callbacks: list them (the failed ones, say) and replay one.

A partner sees only its own: another partner's callback answers 404, as if it did not exist.
The centre's operator sees every partner's (`?partner_id=` narrows it to one), to help a
partner whose endpoint was down.
"""

import uuid

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.orders import idempotency
from services.orders.auth import MISSING_SCOPE, Caller, as_reader_or_admin, as_writer_or_admin
from services.orders.callbacks.models import CallbackRecord, CallbackState
from services.orders.callbacks.worker import CHANNEL
from services.orders.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_IN_FLIGHT,
    KEY_REQUIRED,
    KEY_REUSED,
    Answer,
)
from services.orders.store.callbacks import CALLBACK_REPLAY, CALLBACKS_PAGE, WAKE_SENDERS
from shared.openapi import documented
from shared.problems import Text, not_found
from shared.web import DATABASE, json_response, uuid_in_path

routes = web.RouteTableDef()

CALLBACK = Text("callback", "callback")


class CallbacksQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: CallbackState | None = None
    limit: int = Field(default=50, ge=1, le=200)
    before: uuid.UUID | None = None  # the last callback of the page before
    # The operator's filter; a partner's own callbacks are all it sees anyway.
    partner_id: uuid.UUID | None = None


class CallbacksPage(BaseModel):
    callbacks: list[CallbackRecord]
    next: str | None  # the next page's path, while there may be more


@routes.get("/v1/callbacks")
@documented(
    operation_id="listCallbacks",
    summary=Text("Callback status pesanan", "Status callbacks"),
    query=CallbacksQuery,
    answers={200: CallbacksPage},
    auth="partner",
    # Of the operators, only admins see partners' callbacks (the console's partners page).
    guard=as_reader_or_admin,
    problems=(MISSING_SCOPE,),
)
async def get_callbacks(
    request: web.Request, caller: Caller, query: CallbacksQuery
) -> web.Response:
    """Newest first; `next` is the path of the following page, while there may be one."""
    partner_id = caller.partner_id if not caller.is_operator else query.partner_id
    states = [query.state] if query.state else ["pending", "delivered", "failed"]
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(CALLBACKS_PAGE, partner_id, states, query.before, query.limit + 1)
    records = [_record(row) for row in rows[: query.limit]]
    page = CallbacksPage(callbacks=records, next=None)
    if len(rows) > query.limit:
        following = request.rel_url.update_query(before=str(records[-1].id))
        page.next = str(following)
    return json_response(page)


@routes.post("/v1/callbacks/{callback_id}/replay")
@documented(
    operation_id="replayCallback",
    summary=Text("Kirim ulang callback sekarang", "Send a callback again now"),
    answers={200: CallbackRecord},
    auth="partner",
    guard=as_writer_or_admin,
    path={"callback_id": uuid.UUID},
    headers=(IDEMPOTENCY_KEY,),
    problems=(MISSING_SCOPE, KEY_REQUIRED, KEY_IN_FLIGHT, KEY_REUSED),
)
async def post_replay(request: web.Request, caller: Caller) -> web.Response:
    """A failed callback, or one the partner lost, is due at once, with a new window of retries
    from now."""
    partner_id = caller.partner_id  # None: the operator, who may replay any partner's
    callback_id = uuid_in_path(request, "callback_id", CALLBACK)

    async def replay(conn: asyncpg.Connection) -> Answer:
        row = await conn.fetchrow(CALLBACK_REPLAY, callback_id, partner_id)
        if row is None:
            raise not_found(CALLBACK, callback_id)
        await conn.execute(WAKE_SENDERS, CHANNEL)  # delivered at commit
        return Answer(200, _record(row).model_dump_json())

    return await idempotency.answered_once(request, caller, "", replay)


def _record(row: asyncpg.Record) -> CallbackRecord:
    return CallbackRecord.model_validate(dict(row))
