"""Signing the status callbacks we post to partners, Stripe-style.

    Plut-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(callback_secret, f"{t}." + raw body)>

The timestamp is signed with the body, so a captured callback cannot be replayed later: the
partner recomputes the HMAC over the raw body bytes, compares in constant time and refuses a
timestamp more than five minutes away from its own clock (examples/partner_client.py `verify`).
Each attempt is signed afresh, so a retry an hour later still passes that check.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "Plut-Signature"


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The `Plut-Signature` value for `body` sent at `timestamp` (unix seconds)."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
