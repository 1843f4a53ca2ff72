"""The codes a buyer handles: the 6-digit one-time code sent to their phone, and the order code
they read over the phone to follow an order. Pure: no I/O.

An order code is 10 characters of Crockford's base32 (50 random bits, about 10^15 codes), shown
as `XXXXX-XXXXX`: short enough to read aloud, and with a few thousand orders a day nobody hits
another's by guessing. Crockford's alphabet has no I, L, O or U, and reading it back forgives
the look-alikes (I and L as 1, O as 0), case, spaces and dashes.
"""

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ORDER_CODE_LENGTH = 10
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_order_code() -> str:
    """10 random characters, kept without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ORDER_CODE_LENGTH))


def shown(code: str) -> str:
    """`ABCDE12345` -> `ABCDE-12345`."""
    half = ORDER_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def order_code_from(typed: str) -> str | None:
    """The code as kept, from what a person typed or a link carried; None if it cannot be one."""
    if len(typed) > 3 * ORDER_CODE_LENGTH:
        return None
    code = "".join(typed.split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(code) != ORDER_CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


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


def masked(phone: str) -> str:
    """`+6281234567890` -> `+62812****7890`: enough for the buyer to know which phone."""
    return phone[:6] + "*" * (len(phone) - 10) + phone[-4:]
