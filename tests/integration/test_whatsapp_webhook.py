"""Meta's webhook and Infobip's inbound SMS at the running notifier: the handshake, signatures
refused with nothing recorded, a notification sent twice recorded once, and each message a
person sent handed to the conversations once."""

import base64
import json
import random

import aiohttp
import asyncpg
import pytest

from services.notifier.inbound.signature import sign
from tests.support import whatsapp_webhooks as meta
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.replicas import own_replica
from tests.support.stack import Stack
from tools.client import wait_until

# The stand-ins' webhooks point at the stack's notifier once it is planned.
pytestmark = pytest.mark.usefixtures("stack")


def new_phone() -> str:
    return "+62813" + "".join(random.choices("0123456789", k=8))


async def handshake(stack: Stack, **query: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{stack['notifier'].url}/v1/whatsapp/webhook", params=query) as response,
    ):
        return response.status, response.content_type, await response.text()


async def recorded(database: asyncpg.Connection, phone: str) -> list[asyncpg.Record]:
    return await database.fetch(
        "SELECT * FROM notifier.inbound_messages WHERE phone = $1 ORDER BY seq", phone
    )


async def test_the_handshake_answers_the_challenge_to_the_right_token(
    stack: Stack, whatsapp: WhatsAppCloudStub
):
    status, kind, text = await handshake(
        stack,
        **{
            "hub.mode": "subscribe",
            "hub.verify_token": whatsapp.verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert (status, kind, text) == (200, "text/plain", "1158201444")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "test-whatsapp-verify-token"},
        {"hub.challenge": "1"},
    ],
)
async def test_the_handshake_refuses_a_wrong_token_or_mode(stack: Stack, query: dict):
    status, kind, text = await handshake(stack, **query)
    assert (status, kind) == (403, "application/problem+json")
    assert json.loads(text)["type"] == "/problems/verify-token-mismatch"


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", "sha256=", "signed-by-me"],
)
async def test_a_bad_or_missing_signature_is_refused_and_nothing_is_recorded(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection, signature: str
):
    phone = new_phone()
    value = meta.inbound(phone[1:], "Sari", meta.new_wamid(), "text", text={"body": "STOP"})
    value["statuses"] = [meta.status(meta.new_wamid(), phone[1:], "delivered")]
    status, answer = await whatsapp.post_webhook(
        meta.notification(whatsapp.phone_number_id, **value), signature=signature
    )
    assert status == 401 and answer["type"] == "/problems/bad-signature"
    assert await recorded(database, phone) == []
    assert not await database.fetchval(
        "SELECT count(*) FROM notifier.whatsapp_statuses WHERE phone = $1", phone
    )


async def test_a_body_signed_then_changed_is_refused(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    phone = new_phone()
    document = meta.notification(
        whatsapp.phone_number_id,
        **meta.inbound(phone[1:], "Sari", meta.new_wamid(), "text", text={"body": "hai"}),
    )
    signed_body = json.dumps(document).encode()
    signature = sign(whatsapp.app_secret, signed_body)
    changed = signed_body.replace(b"hai", b"BATAL")
    status, _ = await whatsapp.post_webhook(None, body=changed, signature=signature)
    assert status == 401 and await recorded(database, phone) == []


async def test_the_same_notification_twice_is_recorded_once_and_answered_once(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    phone, wamid, sent = new_phone(), meta.new_wamid(), meta.new_wamid()
    value = meta.inbound(phone[1:], "Sari", wamid, "text", text={"body": "STATUS"})
    value["statuses"] = [meta.status(sent, phone[1:], "read")]
    document = meta.notification(whatsapp.phone_number_id, **value)

    first = await whatsapp.post_webhook(document)
    again = await whatsapp.post_webhook(document)
    assert first == (200, {"statuses": 1, "messages": 1})
    assert again == (200, {"statuses": 0, "messages": 0}), "Meta's retry changes nothing"

    async def handled():
        rows = await recorded(database, phone)
        return rows if rows and rows[0]["handled_at"] else None

    [row] = await wait_until(handled, what="the inbound message handled")
    assert (row["provider_id"], row["name"], row["text"], row["channel"]) == (
        wamid,
        "Sari",
        "STATUS",
        "whatsapp",
    )
    assert row["failures"] == 0 and row["last_error"] is None
    statuses = await database.fetch(
        "SELECT provider_id, status FROM notifier.whatsapp_statuses WHERE phone = $1", phone
    )
    assert [tuple(s) for s in statuses] == [(sent, "read")]


async def test_a_numbers_messages_are_handled_in_the_order_they_came(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    phone = new_phone()
    await whatsapp.inbound_text(phone, "PESAN")
    await whatsapp.list_reply(phone, "hub:kalteng", "Kalteng")
    await whatsapp.button_reply(phone, "confirm", "Ya")

    async def all_handled():
        rows = await recorded(database, phone)
        return rows if len(rows) == 3 and all(r["handled_at"] for r in rows) else None

    rows = await wait_until(all_handled, what="three messages handled")
    assert [(r["text"], r["reply_id"]) for r in rows] == [
        ("PESAN", None),
        ("Kalteng", "hub:kalteng"),
        ("Ya", "confirm"),
    ]
    handled_at = [r["handled_at"] for r in rows]
    assert handled_at == sorted(handled_at)


async def test_a_notification_with_bad_pieces_keeps_the_good_ones(
    whatsapp: WhatsAppCloudStub, database: asyncpg.Connection
):
    phone = new_phone()
    value = meta.inbound(phone[1:], "Sari", meta.new_wamid(), "text", text={"body": "hai"})
    value["messages"].append({"from": "x", "id": 5, "type": "text"})
    value["statuses"] = [{"status": "exploded"}, "nonsense"]
    status, answer = await whatsapp.post_webhook(
        meta.notification(whatsapp.phone_number_id, **value)
    )
    assert (status, answer) == (200, {"statuses": 0, "messages": 1})
    assert len(await recorded(database, phone)) == 1


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"not json", "malformed-json"),
        (b'{"object": "page", "entry": []}', "not-a-notification"),
        (b'{"object": "whatsapp_business_account", "entry": {}}', "not-a-notification"),
        (b"[" * 100 + b"]" * 100, "malformed-json"),
    ],
)
async def test_a_signed_body_that_is_no_notification_is_refused(
    whatsapp: WhatsAppCloudStub, body: bytes, kind: str
):
    status, answer = await whatsapp.post_webhook(None, body=body)
    assert status == 400 and answer["type"] == f"/problems/{kind}"


async def test_an_inbound_sms_is_recorded_once_behind_basic_auth(
    sms: SmsGatewayStub, database: asyncpg.Connection
):
    phone = new_phone()
    message_id = await sms.inbound(phone, "STOP")

    async def handled():
        rows = await recorded(database, phone)
        return rows if rows and rows[0]["handled_at"] else None

    [row] = await wait_until(handled, what="the inbound SMS handled")
    assert (row["channel"], row["provider_id"], row["text"]) == ("sms", message_id, "STOP")

    result = {
        "messageId": message_id,
        "from": phone[1:],
        "text": "STOP",
        "receivedAt": "2026-12-05",
    }
    assert await sms.forward({"results": [result]}) == (200, {"statuses": 0, "messages": 0})
    wrong = "Basic " + base64.b64encode(b"infobip:guess").decode()
    for authorization in ("", wrong, "Bearer x", "Basic !!!"):
        other = {**result, "messageId": "other"}
        status, answer = await sms.forward({"results": [other]}, authorization=authorization)
        assert status == 401 and answer["type"] == "/problems/bad-credentials"
    assert len(await recorded(database, phone)) == 1
    status, answer = await sms.forward({"results": "STOP"})
    assert status == 400 and answer["type"] == "/problems/not-a-notification"
    assert "results" in answer["detail"]


async def test_a_notifier_without_the_secrets_refuses_every_notification(
    stack: Stack, whatsapp: WhatsAppCloudStub, sms: SmsGatewayStub, tmp_path
):
    """Never unsigned input: without WHATSAPP_APP_SECRET the webhook is off, and says so."""
    unset = {"WHATSAPP_APP_SECRET": "", "WHATSAPP_VERIFY_TOKEN": "", "SMS_INBOUND_SECRET": ""}
    async with own_replica(stack, "notifier", tmp_path, unset) as replica:
        document = meta.notification(whatsapp.phone_number_id, statuses=[])
        async with aiohttp.ClientSession() as session:
            for path, extra in (
                ("/v1/whatsapp/webhook", {}),
                ("/v1/sms/inbound", {"Authorization": "Basic aW5mb2JpcDo="}),
            ):
                async with session.post(
                    replica.url + path, json=document, headers=extra
                ) as response:
                    answer = await response.json(content_type=None)
                    assert response.status == 503, path
                    assert answer["type"] == "/problems/webhook-not-configured"
                    assert path.startswith("/v1/sms") or "WHATSAPP_APP_SECRET" in answer["detail"]
            query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
            async with session.get(replica.url + "/v1/whatsapp/webhook", params=query) as response:
                assert response.status == 503


async def test_a_notification_past_a_megabyte_is_refused_before_it_is_read(
    whatsapp: WhatsAppCloudStub,
):
    body = b'{"object": "whatsapp_business_account", "entry": [], "x": "' + b"a" * 1_100_000
    status, answer = await whatsapp.post_webhook(None, body=body + b'"}')
    assert status == 413 and answer["type"] == "/problems/body-too-large"
