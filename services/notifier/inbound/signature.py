"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw
request body keyed with the app's secret. Checked on the bytes as they came, before any parsing:
a re-serialised body would not match."""

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header's value for `body`, as Meta writes it."""
    return _PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `body` with `secret`; compared in constant time."""
    if not secret or not header or not header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().lower().encode())
