"""The WhatsApp adapter against a local stand-in for Meta's Cloud API: the exact request Meta
would get, and what each of Meta's answers means for the dispatcher."""

import time
import uuid

import pytest

from services.notifier.channels.base import Outcome, SendFailure
from services.notifier.channels.http_api import Answer
from services.notifier.channels.whatsapp import WhatsApp, failure
from tests.support.outgoing import assert_discreet, outgoing
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import free_port

NUMBER = "+6281234567890"
# The adapter's timeout: far above any answer of the stand-in on a loaded machine; where the
# stand-in holds its answer, the timeout is what the test is about (the stand-in, in this
# process, has the message long before it).
TIMEOUT = 30.0
TIMEOUT_WHEN_HELD = 1.0


@pytest.fixture
async def meta():
    stub = await WhatsAppCloudStub().start()
    yield stub
    await stub.stop()


def adapter(meta: WhatsAppCloudStub, timeout: float) -> WhatsApp:
    return WhatsApp(
        base_url=meta.base_url,
        phone_number_id=meta.phone_number_id,
        access_token=meta.access_token,
        timeout=timeout,
    )


@pytest.fixture
async def whatsapp(meta: WhatsAppCloudStub):
    channel = adapter(meta, TIMEOUT)
    yield channel
    await channel.close()


@pytest.fixture
async def impatient(meta: WhatsAppCloudStub):
    """The adapter with a short timeout, for an answer the stand-in holds back."""
    channel = adapter(meta, TIMEOUT_WHEN_HELD)
    yield channel
    await channel.close()


async def failed(channel: WhatsApp, address: str = NUMBER, **sent) -> SendFailure:
    with pytest.raises(SendFailure) as raised:
        await channel.send(outgoing(address, **sent))
    assert_discreet(raised.value.answer, address, WhatsAppCloudStub.access_token)
    return raised.value


async def test_a_template_message_goes_out_exactly_as_meta_documents_it(whatsapp, meta):
    message = outgoing(NUMBER)

    accepted = await whatsapp.send(message)

    [request] = meta.received
    assert (request.method, request.path) == ("POST", f"/v21.0/{meta.phone_number_id}/messages")
    assert request.headers["Authorization"] == f"Bearer {meta.access_token}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "template",
        "template": {
            "name": "plut_order_allocated",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Siti"},
                        {"type": "text", "text": "10"},
                        {"type": "text", "text": "masker kain"},
                    ],
                }
            ],
        },
        "biz_opaque_callback_data": str(message.message_id),
    }
    [delivery] = meta.deliveries
    assert accepted.provider_id == delivery.provider_id
    assert accepted.provider_id.startswith("wamid.")
    assert accepted.answer == f"accepted {delivery.provider_id}"
    assert (delivery.template, delivery.language) == ("plut_order_allocated", "id")
    assert delivery.parameters == ("Siti", "10", "masker kain")


async def test_an_english_message_names_its_language_and_the_configured_prefix(meta):
    channel = WhatsApp(
        base_url=meta.base_url,
        phone_number_id=meta.phone_number_id,
        access_token=meta.access_token,
        template_prefix="hub_",
    )
    try:
        await channel.send(outgoing(NUMBER, language="en"))
    finally:
        await channel.close()
    [delivery] = meta.deliveries
    assert (delivery.template, delivery.language) == ("hub_order_allocated", "en")


async def test_a_number_not_on_whatsapp_is_permanent_so_the_dispatcher_falls_back(whatsapp, meta):
    meta.not_on_whatsapp.add("6281234567890")

    raised = await failed(whatsapp)

    assert raised.outcome is Outcome.PERMANENT
    assert "131026" in raised.answer
    assert meta.deliveries == []


async def test_an_empty_template_parameter_is_refused_by_meta_and_is_permanent(whatsapp, meta):
    raised = await failed(whatsapp, parameters=("Siti", "", "masker kain"))

    assert raised.outcome is Outcome.PERMANENT
    assert "131009" in raised.answer
    assert meta.deliveries == []


async def test_a_rate_limit_is_temporary_and_says_how_long_to_wait(whatsapp, meta):
    meta.rate_limit_next(retry_after=2)

    raised = await failed(whatsapp)

    assert raised.outcome is Outcome.TEMPORARY
    assert raised.retry_after == 2.0
    assert "130429" in raised.answer


async def test_meta_being_down_is_temporary(whatsapp, meta):
    meta.down = True

    raised = await failed(whatsapp)

    assert raised.outcome is Outcome.TEMPORARY
    assert "131016" in raised.answer
    assert raised.retry_after is None


async def test_no_answer_after_meta_took_the_message_is_unknown(impatient, meta):
    meta.hold_next(1)
    message_id = uuid.uuid4()

    raised = await failed(impatient, message_id=message_id)

    assert raised.outcome is Outcome.UNKNOWN
    assert "it may have been sent" in raised.answer
    assert meta.count(str(message_id)) == 1  # it did go out


async def test_a_retry_after_an_unknown_outcome_sends_again_for_the_cloud_api_has_no_key(
    impatient, whatsapp, meta
):
    """Documents the limit: only biz_opaque_callback_data lets a webhook tell the two apart."""
    meta.hold_next(1)
    message = outgoing(NUMBER)
    with pytest.raises(SendFailure):
        await impatient.send(message)

    await whatsapp.send(message)

    assert meta.count(str(message.message_id)) == 2


async def test_a_provider_that_cannot_be_reached_is_temporary_and_nothing_was_sent(meta):
    channel = WhatsApp(
        base_url=f"http://127.0.0.1:{free_port()}",
        phone_number_id=meta.phone_number_id,
        access_token=meta.access_token,
    )
    try:
        raised = await failed(channel)
    finally:
        await channel.close()

    assert raised.outcome is Outcome.TEMPORARY
    assert "nothing was sent" in raised.answer


async def test_a_wrong_token_waits_for_an_operator_instead_of_falling_back(meta):
    channel = WhatsApp(
        base_url=meta.base_url, phone_number_id=meta.phone_number_id, access_token="expired-tok"
    )
    try:
        raised = await failed(channel)
    finally:
        await channel.close()

    assert raised.outcome is Outcome.TEMPORARY
    assert "code 190" in raised.answer and "an operator must fix" in raised.answer
    assert_discreet(raised.answer, "expired-tok")


async def test_a_wrong_phone_number_id_waits_for_an_operator_too(meta):
    channel = WhatsApp(
        base_url=meta.base_url, phone_number_id="999", access_token=meta.access_token
    )
    try:
        raised = await failed(channel)
    finally:
        await channel.close()

    assert raised.outcome is Outcome.TEMPORARY
    assert "an operator must fix" in raised.answer


def meta_error(status: int, code: int | None, headers: dict | None = None) -> Answer:
    error = {"message": "(#x) something", "type": "OAuthException", "fbtrace_id": "A1"}
    if code is not None:
        error["code"] = code
    return Answer(status, headers or {}, {"error": error} if code is not None else None)


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        # rate limits
        (400, 4, Outcome.TEMPORARY),
        (400, 80007, Outcome.TEMPORARY),
        (429, 130429, Outcome.TEMPORARY),
        (400, 131048, Outcome.TEMPORARY),
        (400, 131056, Outcome.TEMPORARY),
        # Meta's side
        (500, 1, Outcome.TEMPORARY),
        (503, 2, Outcome.TEMPORARY),
        (500, 131000, Outcome.TEMPORARY),
        (503, 131016, Outcome.TEMPORARY),
        # token, permissions, our account: an operator fixes, messages wait
        (401, 0, Outcome.TEMPORARY),
        (400, 3, Outcome.TEMPORARY),
        (403, 10, Outcome.TEMPORARY),
        (401, 190, Outcome.TEMPORARY),
        (403, 200, Outcome.TEMPORARY),
        (403, 299, Outcome.TEMPORARY),
        (400, 368, Outcome.TEMPORARY),
        (400, 131031, Outcome.TEMPORARY),
        (400, 131042, Outcome.TEMPORARY),
        (400, 133010, Outcome.TEMPORARY),
        # this person cannot get WhatsApp from us
        (400, 131021, Outcome.PERMANENT),
        (400, 131026, Outcome.PERMANENT),
        (400, 131030, Outcome.PERMANENT),
        # this template message cannot be sent
        (400, 100, Outcome.PERMANENT),
        (400, 131008, Outcome.PERMANENT),
        (400, 131009, Outcome.PERMANENT),
        (400, 131047, Outcome.PERMANENT),
        (400, 132000, Outcome.PERMANENT),
        (404, 132001, Outcome.PERMANENT),
        (400, 132005, Outcome.PERMANENT),
        (400, 132007, Outcome.PERMANENT),
        (400, 132012, Outcome.PERMANENT),
        (400, 132015, Outcome.PERMANENT),
        (400, 132016, Outcome.PERMANENT),
        # codes this adapter does not know: the HTTP status decides
        (400, 999999, Outcome.PERMANENT),
        (500, 999999, Outcome.TEMPORARY),
        (429, 999999, Outcome.TEMPORARY),
        (401, 999999, Outcome.TEMPORARY),
        # no error body at all
        (502, None, Outcome.TEMPORARY),
        (400, None, Outcome.PERMANENT),
        (403, None, Outcome.TEMPORARY),
    ],
)
def test_the_outcome_follows_meta_s_error_code_then_the_http_status(status, code, outcome):
    assert failure(meta_error(status, code), NUMBER).outcome is outcome


def test_a_rate_limit_code_honours_retry_after_in_seconds_or_as_a_date():
    in_seconds = failure(meta_error(400, 131056, {"Retry-After": "30"}), NUMBER)
    as_date = failure(meta_error(400, 4, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), NUMBER)

    assert in_seconds.retry_after == 30.0
    assert as_date.retry_after == 0.0  # a date already past: try again now


def test_meta_s_text_is_kept_for_the_log_without_the_number_in_it():
    body = {
        "error": {
            "message": "(#131030) Recipient phone number not in allowed list",
            "type": "OAuthException",
            "code": 131030,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": "Recipient 6281234567890 not in allowed list",
            },
            "fbtrace_id": "A1",
        }
    }

    said = failure(Answer(400, {}, body), NUMBER)

    assert said.answer == (
        "recipient cannot receive WhatsApp: HTTP 400, code 131030: "
        "Recipient 62812****7890 not in allowed list"
    )


async def test_a_chat_reply_goes_as_a_session_message_text_buttons_or_list(whatsapp, meta):
    text = {"text": "Halo"}
    buttons = {
        "text": "Batalkan pesanan?",
        "buttons": [{"id": "cancel:1", "title": "Ya"}, {"id": "keep", "title": "Tidak"}],
    }
    listed = {
        "text": "Pilih hub",
        "list": {"button": "Hub", "rows": [{"id": "hub:a", "title": "A", "description": "a"}]},
    }
    meta.wrote_at[NUMBER.lstrip("+")] = time.monotonic()  # the person wrote: a window is open
    for session in (text, buttons, listed):
        await whatsapp.send(outgoing(NUMBER, session=session))

    bodies = [request.json for request in meta.received]
    assert {k: v for k, v in bodies[0].items() if k != "biz_opaque_callback_data"} == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Halo"},
    }
    assert bodies[1]["interactive"] == {
        "type": "button",
        "body": {"text": "Batalkan pesanan?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "cancel:1", "title": "Ya"}},
                {"type": "reply", "reply": {"id": "keep", "title": "Tidak"}},
            ]
        },
    }
    assert bodies[2]["interactive"] == {
        "type": "list",
        "body": {"text": "Pilih hub"},
        "action": {
            "button": "Hub",
            "sections": [
                {"title": "Hub", "rows": [{"id": "hub:a", "title": "A", "description": "a"}]}
            ],
        },
    }
    assert [d.reply.text for d in meta.deliveries] == ["Halo", "Batalkan pesanan?", "Pilih hub"]
