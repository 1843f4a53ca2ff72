"""Who may act as the centre's operator: a request bearing the operator token.

One secret (`OPERATOR_TOKEN`) shared by the centre's operators and tools; partners' own keys are
the orders service's (`services/orders/auth.py`). With no token configured, operator actions are
refused rather than left open.
"""

import hmac

from aiohttp import web

from shared.problems import Problem, Text
from shared.web import SETTINGS

_SCHEME = "Bearer "
_SEND_THE_TOKEN = Text(
    "Kirim header 'Authorization: Bearer <token operator>'",
    "Send the header 'Authorization: Bearer <operator token>'",
)


def is_operator(request: web.Request) -> bool:
    """True for a request with the right operator token, False for one with none.

    A wrong token is refused outright (401), never treated as no token.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return False
    expected = request.app[SETTINGS].operator_token
    if expected is None or not expected.get_secret_value():
        raise Problem(
            403,
            "operator-disabled",
            Text("Tindakan operator tidak diaktifkan", "Operator actions are disabled"),
            Text(
                "Layanan ini berjalan tanpa OPERATOR_TOKEN",
                "This service runs without an OPERATOR_TOKEN",
            ),
        )
    given = header.removeprefix(_SCHEME) if header.startswith(_SCHEME) else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise Problem(
            401,
            "unauthorised",
            Text("Token tidak sah", "Invalid token"),
            _SEND_THE_TOKEN,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return True


def require_operator(request: web.Request) -> None:
    """401 without a token or with a wrong one; 403 while operator actions are disabled."""
    if not is_operator(request):
        raise Problem(
            401,
            "unauthorised",
            Text("Perlu token operator", "Operator token required"),
            _SEND_THE_TOKEN,
            headers={"WWW-Authenticate": "Bearer"},
        )
