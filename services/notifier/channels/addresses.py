"""A person's address as it may appear in a log line or a provider's answer: never whole.

The message log and the service logs are read by operators and kept for months; a phone number
or an email address there is personal data that nobody needs whole to follow a message.
"""

import re

from shared.formats import mask_phone

# Digits in provider text long enough to be a phone number (or an id as revealing as one).
_PHONE_LIKE = re.compile(r"\+?\d{8,}")
_LONGEST_LINE = 300


def mask_address(address: str) -> str:
    """An email address as 'a***@example.com' (the first letter and the domain); a phone number
    as `mask_phone` shows it."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return mask_phone(address)
    return f"{local[:1]}***@{domain}"


def redact(text: str, address: str) -> str:
    """Provider text as one short log line, with the recipient's address and anything that looks
    like a phone number masked: providers echo what they were sent in their error messages."""
    line = " ".join(text.split())
    if "@" in address:
        line = re.sub(re.escape(address.strip()), mask_address(address), line, flags=re.I)
    line = _PHONE_LIKE.sub(lambda found: mask_phone(found.group()), line)
    if len(line) > _LONGEST_LINE:
        line = line[: _LONGEST_LINE - 1] + "…"
    return line
