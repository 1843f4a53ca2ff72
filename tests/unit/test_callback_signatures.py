"""Signed status callbacks: what the hub signs, the example partner's `verify` accepts, and
nothing else."""

import json
import time

from aiohttp.test_utils import TestClient, TestServer

from examples.partner_client import SignatureRejected, callback_app, verify
from services.orders.callbacks.signatures import signature_header

SECRET = "whsec-test-0123456789"
BODY = b'{"id":"c1","type":"order.status_changed","order":{"status":"allocated"}}'
SENT_AT = 1_780_000_000


def refusal(header: str | None, body: bytes = BODY, now: float = SENT_AT) -> tuple[int, str]:
    try:
        verify(SECRET, header, body, now=now)
    except SignatureRejected as rejected:
        return rejected.status, rejected.reason
    raise AssertionError("accepted")


def test_the_header_is_the_timestamp_and_the_hmac_of_timestamp_dot_body():
    header = signature_header(SECRET, BODY, SENT_AT)

    # As computed by: printf '1780000000.<body>' | openssl dgst -sha256 -hmac <secret>
    assert header == (
        "t=1780000000,v1=4f15dbc349c1aa36c5140fb1170bb61bb8b37d00ff906d8c64741eaf4063e5b7"
    )


def test_a_signed_callback_verifies_within_five_minutes_either_way():
    header = signature_header(SECRET, BODY, SENT_AT)

    for now in (SENT_AT, SENT_AT + 300, SENT_AT - 300):
        verify(SECRET, header, BODY, now=now)


def test_a_tampered_body_or_another_secret_is_refused_with_401():
    header = signature_header(SECRET, BODY, SENT_AT)
    tampered = BODY.replace(b"allocated", b"fulfilled")

    assert refusal(header, tampered) == (401, "signature does not match")
    assert refusal(signature_header("another-secret", BODY, SENT_AT))[0] == 401


def test_a_stale_or_future_timestamp_is_refused_with_401():
    header = signature_header(SECRET, BODY, SENT_AT)

    assert refusal(header, now=SENT_AT + 301) == (401, "timestamp outside the tolerance")
    assert refusal(header, now=SENT_AT - 301)[0] == 401


def test_a_resigned_timestamp_without_the_secret_is_refused():
    signed = signature_header(SECRET, BODY, SENT_AT)
    moved = signed.replace(f"t={SENT_AT}", f"t={SENT_AT + 600}")

    assert refusal(moved, now=SENT_AT + 600)[0] == 401


def test_a_missing_or_malformed_header_is_refused_with_400():
    for header in (None, "", "v1=abc", "t=soon,v1=abc", "t=1780000000"):
        assert refusal(header)[0] == 400, header


def test_any_of_several_signatures_may_match():
    good = signature_header(SECRET, BODY, SENT_AT).split(",")[1]

    verify(SECRET, f"t={SENT_AT},v1={'0' * 64},{good}", BODY, now=SENT_AT)


async def test_the_example_receiver_answers_204_once_and_refuses_the_unsigned():
    received = []

    async def record(callback: dict) -> None:
        received.append(callback)

    async with TestClient(TestServer(callback_app(SECRET, record))) as client:
        body = json.dumps({"id": "c1", "order": {"status": "allocated"}}).encode()
        header = signature_header(SECRET, body, int(time.time()))
        for _ in range(2):
            answer = await client.post(
                "/plut/callbacks", data=body, headers={"Plut-Signature": header}
            )
            assert answer.status == 204
        tampered = body.replace(b"allocated", b"cancelled")
        refused = await client.post(
            "/plut/callbacks", data=tampered, headers={"Plut-Signature": header}
        )
        unsigned = await client.post("/plut/callbacks", data=body)

    assert (refused.status, unsigned.status) == (401, 400)
    assert received == [{"id": "c1", "order": {"status": "allocated"}}]
