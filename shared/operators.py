"""Who may act as the centre's operator: a request bearing an operator token, and which role
that token gives.

A token per role: `OPERATOR_TOKEN` is the admin's, `OPERATOR_STAFF_TOKEN` the staff's,
`OPERATOR_VIEWER_TOKEN` the viewers'; the console sends the one of the role of whoever signed
in, so it never acts with more rights than they have. A route needs a viewer to read (GET,
HEAD) and staff to change anything, unless it says it is for admins (`auth="admin"`: partners
and their keys, hubs and products). With no token configured, operator actions are refused
rather than left open. Partners' own keys are the orders service's (`services/orders/auth.py`).

Wrong tokens are counted per source address and slow that source down (shared/guesses.py).
"""

import enum
import hmac

from aiohttp import web

from shared.guesses import GUESSES, check_source
from shared.problems import Kind, Problem, Text
from shared.web import SETTINGS

_SCHEME = "Bearer "
_SEND_THE_TOKEN = Text(
    "Kirim header 'Authorization: Bearer <token operator>'",
    "Send the header 'Authorization: Bearer <operator token>'",
)
ROLE_TOO_LOW = Kind(403, "role-too-low", Text("Peran tidak cukup", "Role too low"))


class Role(enum.IntEnum):
    """Each role may do what the ones below it may."""

    viewer = 1
    staff = 2
    admin = 3


def role_for_method(method: str) -> Role:
    """What a route needs when it says no more: reading is a viewer's, changing staff's."""
    return Role.viewer if method in ("GET", "HEAD") else Role.staff


def _disabled() -> Problem:
    return Problem(
        403,
        "operator-disabled",
        Text("Tindakan operator tidak diaktifkan", "Operator actions are disabled"),
        Text(
            "Layanan ini berjalan tanpa OPERATOR_TOKEN",
            "This service runs without an OPERATOR_TOKEN",
        ),
    )


def _unauthorised(title: Text) -> Problem:
    return Problem(
        401, "unauthorised", title, _SEND_THE_TOKEN, headers={"WWW-Authenticate": "Bearer"}
    )


def operator_role(request: web.Request) -> Role | None:
    """The role of the request's operator token; None for a request with no credentials.

    A wrong token is refused outright (401), never treated as no token, and counted against
    its source; a source that guessed too often gets 429 before its token is even compared.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    settings = request.app[SETTINGS]
    tokens = settings.operator_tokens()
    if not tokens:
        raise _disabled()
    source = check_source(request, settings.trusted_proxies)
    given = (header.removeprefix(_SCHEME) if header.startswith(_SCHEME) else "").encode()
    matched = [
        Role[role]
        # Every token compared, each in constant time: how long it takes tells nothing.
        for role, token in tokens.items()
        if hmac.compare_digest(given, token.get_secret_value().encode())
    ]
    if not matched:
        request.app[GUESSES].failed(source)
        raise _unauthorised(Text("Token tidak sah", "Invalid token"))
    return max(matched)


def require_role(role: Role, needed: Role) -> None:
    if role < needed:
        raise ROLE_TOO_LOW.problem(
            Text(
                f"Token peran {role.name} tidak boleh melakukan ini; perlu peran {needed.name}",
                f"A {role.name}'s token may not do this; it needs the {needed.name} role",
            )
        )


def require_operator(request: web.Request, needed: Role | None = None) -> Role:
    """The caller's role, if it is at least `needed` (by default: by the request's method).
    401 without a token or with a wrong one; 403 for too low a role, or while operator actions
    are disabled."""
    role = operator_role(request)
    if role is None:
        raise _unauthorised(Text("Perlu token operator", "Operator token required"))
    require_role(role, needed or role_for_method(request.method))
    return role
