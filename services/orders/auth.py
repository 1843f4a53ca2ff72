"""Who is calling the orders API: a partner, by its API key, or the centre's operator, by an
operator token of a role (shared/operators.py); and whether they may do what they ask.

Missing or bad credentials answer 401; a wrong scope, hub or role 403; a key over its rate 429,
and so does a source that sent too many wrong keys or tokens (shared/guesses.py), before its
next key is even looked up.
"""

import hashlib
import uuid
from dataclasses import dataclass

from aiohttp import web

from services.orders.store.partners import PARTNER_OF_KEY
from shared.guesses import GUESSES, check_source, retry_later
from shared.operators import Role, require_operator
from shared.problems import Kind, Problem, Text
from shared.web import DATABASE, SETTINGS

KEY_START = "plut_"
READ = "orders:read"
WRITE = "orders:write"
# Reading any order by its code, as the buyer who holds the code may: the centre's own site's.
TRACK = "orders:track"
# Cancelling, for the buyer whose phone the key's door checked, an order of its hubs whose
# verified phone is that one: the centre's own doors' (the chat's, the buyers' site's). Its
# orders keep their buyer's phone as verified (migration 0009).
CANCEL_VERIFIED = "orders:cancel-verified"
# Applying to free-mask programmes for their recipients (services/orders/programmes/).
APPLY = "programmes:apply"
SCOPES = (WRITE, READ, TRACK, CANCEL_VERIFIED, APPLY)

HUB_NOT_ALLOWED = Kind(403, "hub-not-allowed", Text("Hub tidak diizinkan", "Hub not allowed"))
MISSING_SCOPE = Kind(403, "missing-scope", Text("Izin kunci tidak cukup", "Key lacks the scope"))
OPERATOR_ONLY = Kind(403, "operator-only", Text("Khusus operator", "Operators only"))


@dataclass(frozen=True)
class Caller:
    """A partner (`partner_id`) or the operator (`partner_id` None, every scope and hub)."""

    partner_id: uuid.UUID | None
    scopes: frozenset[str]
    hubs: frozenset[str] | None
    # The buyer types it may declare (migration 0007), read with its key: the operator, any.
    buyer_types: tuple[str, ...] | None = None

    @property
    def is_operator(self) -> bool:
        return self.partner_id is None

    @property
    def owner(self) -> str:
        """Whose idempotency keys these are."""
        return "operator" if self.partner_id is None else str(self.partner_id)

    @property
    def tracks_any(self) -> bool:
        """Whether it may open any order by its code, not only its own."""
        return self.is_operator or TRACK in self.scopes

    def require_hub(self, hub: str) -> None:
        if self.hubs is not None and hub not in self.hubs:
            raise HUB_NOT_ALLOWED.problem(
                Text(
                    f"Kunci ini tidak boleh dipakai untuk hub '{hub}'",
                    f"This key may not be used for hub '{hub}'",
                )
            )

    def require_operator(self) -> None:
        if not self.is_operator:
            raise OPERATOR_ONLY.problem(
                Text(
                    "Tindakan ini hanya untuk operator PLUT",
                    "Only the centre's operators may do this",
                )
            )


OPERATOR = Caller(partner_id=None, scopes=frozenset(SCOPES), hubs=None)


async def authenticate(
    request: web.Request, scope: str | None, operator_role: Role | None = None
) -> Caller:
    """The caller, if its credentials are good, it holds `scope` and its key is within its rate;
    an operator's token must be of `operator_role` (by default: the method's)."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    if not token:
        raise _unauthorised(Text("Perlu kunci API", "API key required"))
    if not token.startswith(KEY_START):
        require_operator(request, operator_role)  # refuses a wrong token itself
        return OPERATOR
    source = check_source(request, request.app[SETTINGS].trusted_proxies)
    prefix = key_prefix(token)
    row = await request.app[DATABASE].fetchrow(PARTNER_OF_KEY, prefix, key_hash(token))
    if row is None:
        request.app[GUESSES].failed(source)
        raise _unauthorised(Text("Kunci API tidak sah", "Invalid API key"))
    if not row["within_rate"]:
        raise _rate_limited(row["requests_per_minute"], float(row["wait_seconds"] or 0))
    caller = Caller(
        row["id"], frozenset(row["scopes"]), frozenset(row["hubs"]), tuple(row["buyer_types"])
    )
    if scope is not None and scope not in caller.scopes:
        raise missing_scope(scope)
    return caller


async def as_writer(request: web.Request) -> Caller:
    return await authenticate(request, WRITE)


async def as_reader(request: web.Request) -> Caller:
    return await authenticate(request, READ)


async def as_tracker(request: web.Request) -> Caller:
    """An operator of any role (the counter hands over by code), a partner tracking any order
    (`orders:track`), or one reading its own (`orders:read`)."""
    caller = await authenticate(request, None)
    if not caller.tracks_any and READ not in caller.scopes:
        raise missing_scope(READ)
    return caller


async def as_operator(request: web.Request) -> Caller:
    """The operator; a partner's good key is told it may not (403), a bad one 401."""
    caller = await authenticate(request, None)
    caller.require_operator()
    return caller


async def as_admin(request: web.Request) -> Caller:
    """The operator with the admin's token: partners and their keys are the admin's."""
    caller = await authenticate(request, None, Role.admin)
    caller.require_operator()
    return caller


async def as_applicant(request: web.Request) -> Caller:
    """A partner applying to programmes (`programmes:apply`), or an operator (the counter)."""
    return await authenticate(request, APPLY)


async def as_reader_or_admin(request: web.Request) -> Caller:
    """A partner reading its own, or the admin (who sees every partner's)."""
    return await authenticate(request, READ, Role.admin)


async def as_writer_or_admin(request: web.Request) -> Caller:
    return await authenticate(request, WRITE, Role.admin)


def key_prefix(key: str) -> str | None:
    """`plut_<prefix>_<secret>` -> `<prefix>`; None when the key is not of that shape."""
    prefix, separator, secret = key.removeprefix(KEY_START).partition("_")
    return prefix if separator and prefix and secret else None


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _rate_limited(per_minute: int, wait_seconds: float) -> Problem:
    return retry_later(
        wait_seconds,
        lambda seconds: Text(
            f"Batas {per_minute} permintaan per menit; coba lagi dalam {seconds} detik",
            f"The limit is {per_minute} requests a minute; try again in {seconds} s",
        ),
    )


def _unauthorised(title: Text) -> Problem:
    return Problem(
        401,
        "unauthorised",
        title,
        Text(
            "Kirim header 'Authorization: Bearer <kunci API>'",
            "Send the header 'Authorization: Bearer <API key>'",
        ),
        headers={"WWW-Authenticate": "Bearer"},
    )


def missing_scope(scope: str) -> Problem:
    return MISSING_SCOPE.problem(
        Text(f"Kunci ini tidak punya izin '{scope}'", f"This key lacks the '{scope}' scope")
    )
