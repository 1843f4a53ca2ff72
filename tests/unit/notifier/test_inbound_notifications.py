"""Reading Meta's webhook notifications and Infobip's inbound SMS: pure, no I/O. Every piece
comes from outside, so most of these are shapes nobody should send."""

import copy
import uuid
from datetime import UTC, datetime

import pytest

from services.notifier.inbound.infobip import read_inbound_sms
from services.notifier.inbound.notifications import (
    InboundMessage,
    Malformed,
    StatusUpdate,
    read_notification,
)
from services.notifier.inbound.signature import is_signed, sign
from tests.support import whatsapp_webhooks as meta

DIGITS = "6281234567890"
OURS = uuid.uuid4()


def note(**value) -> dict:
    return meta.notification("106540352242922", **value)


def text_from(body: str, digits: str = DIGITS, name: str = "Sari") -> dict:
    return note(**meta.inbound(digits, name, "wamid.A1", "text", text={"body": body}))


def test_a_text_is_read_with_its_sender_and_their_profile_name():
    read = read_notification(text_from("status"))
    [message] = read.messages
    assert message == InboundMessage(
        provider_id="wamid.A1",
        channel="whatsapp",
        phone="+" + DIGITS,
        name="Sari",
        text="status",
        reply_id=None,
        at=message.at,
    )
    assert message.at.tzinfo is UTC and not read.statuses and not read.skipped


@pytest.mark.parametrize(
    ("kind", "chosen", "reply_id", "text"),
    [
        (
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "ya", "title": "Ya"}},
            "ya",
            "Ya",
        ),
        (
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "hub:kt", "title": "KT"}},
            "hub:kt",
            "KT",
        ),
    ],
)
def test_a_button_or_list_reply_carries_the_id_chosen(kind, chosen, reply_id, text):
    body = note(**meta.inbound(DIGITS, "Sari", "wamid.B", kind, interactive=chosen))
    [message] = read_notification(body).messages
    assert (message.reply_id, message.text) == (reply_id, text)


def test_a_template_quick_reply_is_a_reply_too():
    button = {"text": "Berhenti", "payload": "stop"}
    body = note(**meta.inbound(DIGITS, "Sari", "wamid.C", "button", button=button))
    [message] = read_notification(body).messages
    assert (message.reply_id, message.text) == ("stop", "Berhenti")


def test_media_is_kept_without_text_and_reactions_are_left_out():
    image = note(**meta.inbound(DIGITS, "Sari", "wamid.D", "image", image={"id": "1"}))
    reaction = note(**meta.inbound(DIGITS, "Sari", "wamid.E", "reaction", reaction={}))
    [message] = read_notification(image).messages
    assert (message.text, message.reply_id) == (None, None)
    assert read_notification(reaction).messages == [] and not read_notification(reaction).skipped


def test_statuses_are_read_with_our_id_and_the_error_of_a_failure():
    read = read_notification(
        note(
            statuses=[
                meta.status("wamid.S1", DIGITS, "delivered", str(OURS)),
                meta.status("wamid.S2", DIGITS, "failed", "not-ours", error_code=131026),
            ]
        )
    )
    delivered, failed = read.statuses
    assert delivered == StatusUpdate(
        "wamid.S1", "delivered", None, None, OURS, "+" + DIGITS, delivered.at
    )
    assert (failed.status, failed.error_code, failed.message_id) == ("failed", 131026, None)
    assert failed.error_title == "Message undeliverable"


@pytest.mark.parametrize(
    "body",
    [None, [], "x", {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}],
)
def test_what_is_not_a_whatsapp_notification_is_refused_whole(body):
    with pytest.raises(Malformed):
        read_notification(body)


def spoilt(path: list, value) -> dict:
    """A notification of one good text and one status, with one piece changed."""
    body = note(
        **meta.inbound(DIGITS, "Sari", "wamid.OK", "text", text={"body": "hai"}),
        statuses=[meta.status("wamid.S", DIGITS, "sent", str(OURS))],
    )
    body = copy.deepcopy(body)
    target = body["entry"][0]["changes"][0]["value"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["statuses", 0, "status"], "exploded"),
        (["statuses", 0, "id"], 12),
        (["statuses", 0, "id"], "w" * 10_000),
        (["statuses", 0, "recipient_id"], "+62 812"),
        (["statuses", 0, "recipient_id"], "1" * 40),
        (["statuses", 0, "timestamp"], "yesterday"),
        (["statuses", 0, "timestamp"], "9" * 400),
        (["statuses", 0], "a string"),
        (["statuses", 0, "errors"], [{"code": "x" * 5000}]),
    ],
)
def test_a_bad_status_is_skipped_and_the_message_beside_it_still_counts(path, value):
    read = read_notification(spoilt(path, value))
    assert [m.provider_id for m in read.messages] == ["wamid.OK"]
    if path[-1] != "errors":  # a bad error code is only dropped
        assert not read.statuses and len(read.skipped) == 1
        assert DIGITS not in read.skipped[0] and "62812" not in read.skipped[0]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["messages", 0, "from"], "not a number"),
        (["messages", 0, "from"], "1" * 16),
        (["messages", 0, "text"], {"body": "x" * 5000}),
        (["messages", 0, "text"], {"body": "a\x00b"}),
        (["messages", 0, "text"], "hai"),
        (["messages", 0, "type"], ["text"]),
        (["messages", 0, "id"], None),
        (["messages", 0, "timestamp"], {"$gt": 1}),
        (["messages", 0], None),
    ],
)
def test_a_bad_message_is_skipped_and_the_status_beside_it_still_counts(path, value):
    read = read_notification(spoilt(path, value))
    assert [s.provider_id for s in read.statuses] == ["wamid.S"]
    assert not read.messages and len(read.skipped) == 1
    assert DIGITS not in read.skipped[0]


def test_bad_contacts_and_lists_that_are_not_lists_are_survived():
    body = spoilt(["contacts"], [{"profile": None}, "x", {"wa_id": 5}])
    [message] = read_notification(body).messages
    assert message.name is None
    assert read_notification(spoilt(["statuses"], {"id": 1})).skipped == ["statuses is not a list"]
    weird = {"object": "whatsapp_business_account", "entry": [1, {"changes": [None, {}]}]}
    assert len(read_notification(weird).skipped) == 3


def test_a_flood_of_pieces_is_bounded():
    body = note(statuses=[meta.status(f"w{i}", DIGITS, "read") for i in range(5000)])
    assert len(read_notification(body).statuses) == 1000


def test_an_inbound_sms_is_read_whole_from_infobips_forward():
    forward = {
        "results": [
            {
                "messageId": "817790313235066447",
                "from": DIGITS,
                "to": "628999000111",
                "text": "STOP",
                "cleanText": "",
                "keyword": "STOP",
                "receivedAt": "2026-12-05T09:28:39.220+0000",
                "smsCount": 1,
            },
            {"messageId": "2", "from": "nobody", "text": "x", "receivedAt": "2026-12-05"},
            {"messageId": "3", "from": DIGITS, "text": 5, "receivedAt": "2026-12-05"},
        ]
    }
    read = read_inbound_sms(forward)
    [message] = read.messages
    assert message == InboundMessage(
        "817790313235066447",
        "sms",
        "+" + DIGITS,
        None,
        "STOP",
        None,
        datetime(2026, 12, 5, 9, 28, 39, 220000, tzinfo=UTC),
    )
    assert len(read.skipped) == 2 and all(DIGITS not in why for why in read.skipped)
    with pytest.raises(Malformed):
        read_inbound_sms({"results": "x"})


def test_a_signature_is_metas_hmac_of_the_raw_body():
    body = b'{"object":"whatsapp_business_account"}'
    signature = sign("secret", body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert is_signed("secret", body, signature)
    assert is_signed("secret", body, signature.upper().replace("SHA256=", "sha256="))
    assert not is_signed("secret", body + b" ", signature)
    assert not is_signed("other", body, signature)
    assert not is_signed("secret", body, None)
    assert not is_signed("secret", body, signature.removeprefix("sha256="))
    assert not is_signed("", body, sign("", body)), "no secret: nothing is signed"
    assert not is_signed("secret", body, "sha256=ü")
