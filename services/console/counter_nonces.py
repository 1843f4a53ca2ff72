"""The counter's order form nonce: made when the form is shown, sent back hidden, and turned
into the orders API's `Idempotency-Key`, so a double submit places one order.

The nonce carries an HMAC under the session's CSRF secret and the operator's id: one copied
from another operator's form (or made up) is refused, and the key is the operator's own, though
all staff call the orders API with one token (whose keys are one owner's).
"""

import hashlib
import hmac
import secrets
import uuid

_MAC_HEX = 32


def _mac(session_secret: str, operator_id: uuid.UUID, random: str) -> str:
    signed = f"{operator_id}:{random}".encode()
    return hmac.new(session_secret.encode(), signed, hashlib.sha256).hexdigest()[:_MAC_HEX]


def new_nonce(session_secret: str, operator_id: uuid.UUID) -> str:
    random = secrets.token_urlsafe(16)
    return f"{random}.{_mac(session_secret, operator_id, random)}"


def idempotency_key(nonce: str, session_secret: str, operator_id: uuid.UUID) -> str | None:
    """The orders API key for the nonce; None for one this session did not make."""
    random, _, mac = nonce.partition(".")
    if not random or not hmac.compare_digest(
        mac.encode(), _mac(session_secret, operator_id, random).encode()
    ):
        return None
    return "loket-" + hashlib.sha256(f"{operator_id}:{random}".encode()).hexdigest()
