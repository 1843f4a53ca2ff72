"""HTTP plumbing every service shares: app keys, correlation ids, problem+json, request timings,
reading requests."""

import functools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog
from aiohttp import hdrs, web
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.bus import Broker
from shared.config import ServiceSettings
from shared.metrics import HTTP_REQUEST_DURATION, UNMATCHED_ROUTE
from shared.problems import (
    BODY_TOO_LARGE,
    INTERNAL_ERROR,
    MALFORMED_JSON,
    METHOD_NOT_ALLOWED,
    UNSUPPORTED_MEDIA_TYPE,
    Problem,
    Text,
    from_validation_error,
    not_found,
)

log = structlog.get_logger(__name__)

SERVICE = web.AppKey("service", str)
SETTINGS = web.AppKey("settings", ServiceSettings)
DATABASE = web.AppKey("database", asyncpg.Pool)
BROKER = web.AppKey("broker", Broker)

# Large enough for any order or delivery, small enough that nobody can make us buffer megabytes.
MAX_BODY_BYTES = 16 * 1024
# No body we take nests deeper than a few levels; parsing and validating recurse per level, and a
# thousand of them (2 KB of brackets) would exhaust Python's stack.
MAX_JSON_DEPTH = 32
# A JSON string, escapes and all: its brackets are text, not nesting.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NESTING_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in _NESTING_STEP)
CORRELATION_HEADER = "X-Correlation-Id"
_CORRELATION_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
PROBLEM_JSON = "application/problem+json"

Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")
_UUID = TypeAdapter(uuid.UUID)


def language_of(request: web.Request) -> str:
    """'en' when the client ranks English above Indonesian in Accept-Language, else 'id'."""
    ranks = {"id": 0.0, "en": 0.0}
    for position, item in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, quality = item.strip().lower().partition(";q=")
        language = tag.split("-")[0]
        if language in ranks and ranks[language] == 0.0:
            try:
                weight = float(quality) if quality else 1.0
            except ValueError:
                continue
            ranks[language] = weight - position * 1e-6  # equal weights: the earlier one wins
    return "en" if ranks["en"] > ranks["id"] else "id"


def problem_response(request: web.Request, problem: Problem) -> web.Response:
    return web.json_response(
        problem.document(language_of(request)),
        status=problem.status,
        content_type=PROBLEM_JSON,
        headers=problem.headers,
    )


@web.middleware
async def timing_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Time each answer, problems included, under its route's template: `/v1/orders/{order_id}`
    is one series however many orders there are. A request whose client left before the answer
    (its handler cancelled) has no status, and is not counted."""
    started = time.perf_counter()
    response = await handler(request)
    _series(
        request.app[SERVICE],
        # aiohttp admits more methods than the standard ones (WebDAV's; any token without its C
        # parser): only the standard ones get series of their own.
        request.method if request.method in hdrs.METH_ALL else "other",
        _route_of(request),
        response.status,
    ).observe(time.perf_counter() - started)
    return response


@functools.cache
def _series(service: str, method: str, route: str, status: int):
    """A series of the histogram, looked up once: `labels` takes a lock and checks its labels
    on every call. Bounded as the series are: by the routes' templates, methods and statuses."""
    return HTTP_REQUEST_DURATION.labels(service, method, route, str(status))


# Paths that carry secrets (order codes, which open an order's page to whoever holds them) are
# logged as their route's template instead: True for every route (the buyers' site), or the
# templates of the routes that carry one.
LOG_ROUTE_TEMPLATES = web.AppKey("log_route_templates", bool | frozenset)


def _logged_path(request: web.Request) -> str:
    templates = request.app.get(LOG_ROUTE_TEMPLATES)
    if not templates:
        return request.path
    route = _route_of(request)
    return route if templates is True or route in templates else request.path


def _route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE


@web.middleware
async def correlation_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Bind the caller's correlation id (or a new one) to the request's log lines and events."""
    supplied = request.headers.get(CORRELATION_HEADER, "")
    correlation_id = supplied if _CORRELATION_PATTERN.match(supplied) else str(uuid.uuid4())
    started = time.perf_counter()
    # Bound, then reset by its token: `bound_contextvars` copies the whole context to find
    # what to restore (5 µs a request instead of 1).
    bound = structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    try:
        response = await handler(request)
        response.headers[CORRELATION_HEADER] = correlation_id
        log.info(
            "request",
            method=request.method,
            path=_logged_path(request),
            status=response.status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return response
    finally:
        structlog.contextvars.reset_contextvars(**bound)


@web.middleware
async def problem_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Every error leaves as application/problem+json."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(request, problem)
    except web.HTTPRequestEntityTooLarge:
        return problem_response(
            request,
            BODY_TOO_LARGE.problem(
                Text(f"Maksimal {MAX_BODY_BYTES} bita", f"At most {MAX_BODY_BYTES} bytes")
            ),
        )
    except web.HTTPNotFound:
        return problem_response(request, not_found(Text("alamat", "path"), request.path))
    except web.HTTPMethodNotAllowed as error:
        allowed = ", ".join(sorted(error.allowed_methods))
        response = problem_response(
            request, METHOD_NOT_ALLOWED.problem(Text(f"Gunakan: {allowed}", f"Use: {allowed}"))
        )
        response.headers["Allow"] = allowed  # RFC 9110 asks every 405 to say what is allowed
        return response
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return problem_response(
            request, Problem(error.status, "http-error", Text(error.reason, error.reason))
        )
    except Exception:
        log.exception("unhandled error")
        return problem_response(request, INTERNAL_ERROR.problem())


def accepting_up_to(
    limit: int,
) -> Callable[[Callable[..., Awaitable[web.StreamResponse]]], Callable[..., Awaitable]]:
    """Let one route take a larger body than the service's usual limit (a file of many rows)."""

    def decorate(handler: Callable[..., Awaitable[web.StreamResponse]]):
        @functools.wraps(handler)
        async def larger(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request.clone(client_max_size=limit))
            except web.HTTPRequestEntityTooLarge:
                raise BODY_TOO_LARGE.problem(
                    Text(f"Maksimal {limit} bita", f"At most {limit} bytes")
                ) from None

        return larger

    return decorate


def current_correlation_id() -> str:
    return structlog.contextvars.get_contextvars().get("correlation_id") or str(uuid.uuid4())


async def read_json(request: web.Request, model: type[Model]) -> Model:
    """The request body as `model`, or a problem naming what is wrong with it."""
    if request.content_type != "application/json":
        raise UNSUPPORTED_MEDIA_TYPE.problem(
            Text("Kirim Content-Type: application/json", "Send Content-Type: application/json")
        )
    raw = await request.read()
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise MALFORMED_JSON.problem(
            Text(
                f"JSON bersarang lebih dari {MAX_JSON_DEPTH} tingkat",
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
            )
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MALFORMED_JSON.problem() from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error) from None


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, read before parsing it: the brackets
    outside strings, counted in one pass. For a text that is no JSON the count means nothing, and
    the parser refuses the text anyway."""
    depth = deepest = 0
    # Only the brackets are looped over in Python; dropping the rest runs in C (every POST pays).
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET):
        depth += _NESTING_STEP.get(byte, 0)
        deepest = max(deepest, depth)
    return deepest


def read_query(request: web.Request, model: type[Model]) -> Model:
    """The query string as `model`, or a problem naming the bad parameters."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as error:
        raise from_validation_error(error) from None


def uuid_in_path(request: web.Request, name: str, what: Text) -> uuid.UUID:
    """A path parameter that must be a UUID; anything else cannot name a record: 404."""
    return in_path(request, name, _UUID, what)


def in_path(request: web.Request, name: str, kind: TypeAdapter[T], what: Text) -> T:
    """A path parameter of the type `kind`; anything else cannot name a record: 404."""
    raw = request.match_info[name]
    try:
        return kind.validate_python(raw)
    except ValidationError:
        raise not_found(what, raw) from None


def json_response(data: BaseModel, status: int = 200) -> web.Response:
    return web.Response(body=data.model_dump_json(), status=status, content_type="application/json")
