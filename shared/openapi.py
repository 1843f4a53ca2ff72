"""Declaring what a handler takes and answers, and enforcing it.

A handler says what it takes and answers with `@documented(...)`, under aiohttp's route decorator:

    @routes.post("/v1/deliveries")
    @documented(
        operation_id="recordDelivery",
        summary=Text("Catat setoran produsen", "Record a producer's delivery"),
        body=NewDelivery,
        answers={201: Delivery},
        auth="operator",
    )
    async def post_delivery(request: web.Request, new: NewDelivery) -> web.Response: ...

The decorator checks the caller and validates the body and query with exactly the models it
declares, and hands them to the handler: the document (shared/openapi_document.py), made from the
same declarations, cannot drift from what is enforced.
"""

import functools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from shared.operators import Role, require_operator
from shared.problems import (
    BODY_TOO_LARGE,
    INTERNAL_ERROR,
    MALFORMED_JSON,
    METHOD_NOT_ALLOWED,
    RATE_LIMITED,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    Kind,
    Text,
)
from shared.web import read_json, read_query

# "operator": an operator token whose role suffices for the method (a viewer's reads, staff's
# changes); "admin": the admin's token only. "partner": a partner's API key or an operator
# token, checked by the operation's `guard`, since the keys live in the orders service's database.
# The providers' webhooks, each checked by its `guard` too: "whatsapp-token", Meta's set-up
# handshake with the verify token (`hub.verify_token`); "whatsapp-signature", Meta's
# notifications signed with the app secret (X-Hub-Signature-256); "sms-basic", Infobip's
# inbound SMS with Basic auth.
Auth = (
    Literal["operator", "admin", "partner", "whatsapp-token", "whatsapp-signature", "sms-basic"]
    | None
)
# The providers': only a guard can check them (the decorator has no way of its own).
GUARDED: frozenset[Auth] = frozenset({"whatsapp-token", "whatsapp-signature", "sms-basic"})
# Those whose refusals are the shared plumbing's (401, 403, 429); a webhook names its own.
_PLUMBING_AUTH: frozenset[Auth] = frozenset({"operator", "admin", "partner"})
Handler = Callable[..., Awaitable[web.StreamResponse]]

HTML = "text/html"  # an answer that is a page, not JSON: `answers={200: HTML}`
TEXT = "text/plain"  # an answer in plain text, such as Prometheus' exposition format
_OPERATION = "openapi_operation"  # the attribute a documented handler carries its Operation in
_OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]*$")


# What the shared plumbing answers (shared/web.py, shared/operators.py), one kind per status.
# Those written out here are raised with titles of their own (naming what was missing, not found
# or already there), so the document gives them a general one.
KINDS = (
    MALFORMED_JSON,
    Kind(401, "unauthorised", Text("Perlu token atau kunci yang sah", "A valid token is needed")),
    Kind(403, "operator-disabled", Text("Tindakan operator tidak aktif", "Operator actions off")),
    Kind(404, "not-found", Text("Tidak ditemukan", "Not found")),
    METHOD_NOT_ALLOWED,
    Kind(409, "conflict", Text("Sudah ada", "Already exists")),
    BODY_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    RATE_LIMITED,
    INTERNAL_ERROR,
)
_KIND_OF_STATUS = {kind.status: kind for kind in KINDS}


@dataclass(frozen=True)
class Header:
    """A request header an operation reads, such as `Idempotency-Key`."""

    name: str
    about: Text
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    example: str | None = None


# Who an operation is for: a partner's tools, the centre's operators, or the machinery (health,
# metrics, the documents). Generated clients group their methods by it.
Tag = Literal["partner", "operator", "system"]


@dataclass(frozen=True)
class Operation:
    operation_id: str  # camelCase, unique in the hub; a system one is prefixed by its service
    summary: Text
    answers: Mapping[int, Any]  # status -> a pydantic-readable type, HTML, TEXT, None (no body)
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    auth: Auth
    path: Mapping[str, Any]  # path parameter -> its type; str when not named
    headers: tuple[Header, ...]
    problems: tuple[int | Kind, ...]
    description: Text | None = None
    tag: Tag | None = None  # None: by who may call it (see `group`)
    examples: Mapping[int | str, Any] = field(default_factory=dict)  # "body", or a status
    # A JSON body the handler reads itself, from its raw bytes (a signature covers them), and
    # validates with this model: documented as `body` is, never read by the decorator.
    raw_body: type[BaseModel] | None = None

    @property
    def body_schema(self) -> type[BaseModel] | None:
        """The model the request body is documented with, however it is read."""
        return self.body or self.raw_body

    @property
    def group(self) -> Tag:
        """The tag: as declared, else the partners' when partners (or anyone) may call it."""
        if self.tag is not None:
            return self.tag
        return "partner" if self.auth in ("partner", None) else "operator"

    def problem_kinds(self, has_path_parameters: bool) -> dict[int, list[Kind]]:
        """Every problem this operation can answer, by status."""
        wanted: list[int | Kind] = []
        if self.body is not None:
            wanted += [400, 413, 415, 422]
        if self.query is not None:
            wanted.append(422)
        if self.auth in _PLUMBING_AUTH:
            wanted += [401, 403]
            wanted.append(429)  # a source that guessed credentials waits
        if has_path_parameters:
            wanted.append(404)  # a path that names nothing
        by_status: dict[int, list[Kind]] = {}
        for item in [*wanted, *self.problems]:
            kind = item if isinstance(item, Kind) else _KIND_OF_STATUS[item]
            kinds = by_status.setdefault(kind.status, [])
            if kind not in kinds:
                kinds.append(kind)
        return dict(sorted(by_status.items()))


def documented(
    *,
    operation_id: str,
    summary: Text,
    answers: Mapping[int, Any],
    description: Text | None = None,
    tag: Tag | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    auth: Auth = None,
    path: Mapping[str, Any] | None = None,
    headers: Iterable[Header] = (),
    problems: Iterable[int | Kind] = (),
    guard: Callable[[web.Request], Awaitable[Any]] | None = None,
    examples: Mapping[int | str, Any] | None = None,
    raw_body: type[BaseModel] | None = None,
) -> Callable[[Handler], Handler]:
    """Document a handler, and enforce what the document says.

    `operation_id` names the method in generated clients (`placeOrder`), so it is chosen, not
    derived from the handler's name; `description` adds to what the document says by itself
    (who may call, the Idempotency-Key); `tag` is derived from `auth` unless given.

    The caller is checked before anything else: by `guard` when given, else with
    `auth="operator"` by an operator token of the method's role, with `auth="admin"` by the
    admin's. The handler is called with the request, then what the guard answered (the
    caller), the validated `body` and the validated `query`, each only when declared.
    `answers` maps a status to the type of its body (a pydantic model, a TypedDict...), `HTML`,
    `TEXT` or None; `problems` adds statuses (or specific `Kind`s) to those the shared plumbing
    answers. `examples` shows bodies: the request's under "body", an answer's under its status
    (the linters check each against its schema). `raw_body` documents a JSON body the handler
    reads itself from its raw bytes, once its guard checked a signature over them, with that
    model (never with `body`). The providers' `auth` needs a `guard`.
    """
    if not _OPERATION_ID.match(operation_id):
        raise ValueError(f"operation id {operation_id!r} is not camelCase")
    if auth in GUARDED and guard is None:
        raise ValueError(f"{operation_id}: auth {auth!r} is checked by a guard; give one")
    if body is not None and raw_body is not None:
        raise ValueError(f"{operation_id}: a body is read by the decorator or raw, not both")
    operation = Operation(
        operation_id,
        summary,
        dict(answers),
        body,
        query,
        auth,
        dict(path or {}),
        tuple(headers),
        tuple(problems),
        description,
        tag,
        dict(examples or {}),
        raw_body,
    )

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def validated(request: web.Request) -> web.StreamResponse:
            parts = []
            if guard is not None:
                parts.append(await guard(request))
            elif auth == "operator":
                require_operator(request)
            elif auth == "admin":
                require_operator(request, Role.admin)
            if body is not None:
                parts.append(await read_json(request, body))
            if query is not None:
                parts.append(read_query(request, query))
            return await handler(request, *parts)

        setattr(validated, _OPERATION, operation)
        return validated

    return decorate


def operation_of(route: web.AbstractRoute) -> Operation | None:
    """A route's documentation; None for aiohttp's HEAD twin of a GET, which is not ours."""
    if route.method == "HEAD":
        return None
    return getattr(route.handler, _OPERATION, None)
