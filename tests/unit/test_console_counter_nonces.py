"""The counter form's nonce: its key is the operator's own, and a nonce is good only in the
session and for the operator it was made for."""

import uuid

from services.console.counter_nonces import idempotency_key, new_nonce

SECRET = "session-csrf-secret"
OPERATOR = uuid.uuid4()


def test_a_nonce_gives_the_same_key_each_time_and_a_new_nonce_another():
    nonce = new_nonce(SECRET, OPERATOR)
    key = idempotency_key(nonce, SECRET, OPERATOR)
    assert key is not None and key.startswith("loket-")
    assert idempotency_key(nonce, SECRET, OPERATOR) == key
    assert idempotency_key(new_nonce(SECRET, OPERATOR), SECRET, OPERATOR) != key
    assert len(key) <= 255 and key.isascii() and " " not in key  # as the orders API takes it


def test_a_nonce_from_another_session_or_operator_or_made_up_gives_no_key():
    nonce = new_nonce(SECRET, OPERATOR)
    random, _, mac = nonce.partition(".")
    assert idempotency_key(nonce, "another-session", OPERATOR) is None
    assert idempotency_key(nonce, SECRET, uuid.uuid4()) is None
    for forged in ("", random, f"{random}.", f"{random}.{'0' * len(mac)}", f".{mac}", "ä.ö"):
        assert idempotency_key(forged, SECRET, OPERATOR) is None, forged
