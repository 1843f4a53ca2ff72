"""The codes a buyer handles here: the 6-digit one-time code sent to their phone, and the keys
that know a phone and a browser again without keeping them. Pure: no I/O. Order codes are the
orders service's (shared/order_codes.py).
"""

import hashlib
import hmac
import secrets


def new_phone_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def phone_code_hash(secret: bytes, check_id: str, code: str) -> bytes:
    """Kept instead of the code: without the secret, a copy of the table opens nothing."""
    return hmac.digest(secret, f"{check_id}:{code}".encode(), hashlib.sha256)


def phone_key(secret: bytes, phone: str) -> bytes:
    """Who a phone is across checks and orders, without keeping the number beside them."""
    return hmac.digest(secret, f"phone:{phone}".encode(), hashlib.sha256)


def browser_hash(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode()).digest()


def same_code(given: str, expected_hash: bytes, secret: bytes, check_id: str) -> bool:
    if len(given) != 6 or not given.isascii() or not given.isdigit():
        return False
    return hmac.compare_digest(phone_code_hash(secret, check_id, given), expected_hash)
