"""The SMS adapter against a local stand-in for Infobip's SMS API: the exact request Infobip
would get, what its statuses and errors mean, and that a retry after an unknown outcome does not
send the message twice."""

import asyncio
import uuid

import pytest

from services.notifier.channels.base import Outcome, SendFailure
from services.notifier.channels.http_api import Answer
from services.notifier.channels.sms import Sms, accepted_or_failure
from tests.support.outgoing import assert_discreet, outgoing
from tests.support.provider_stubs import SmsGatewayStub
from tests.support.stack import free_port

NUMBER = "+6281234567890"
# The adapter's timeout: far above any answer of the stand-in on a loaded machine; where the
# stand-in holds its answer, the timeout is what the test is about (the stand-in, in this
# process, has the message long before it).
TIMEOUT = 30.0
TIMEOUT_WHEN_HELD = 1.0


@pytest.fixture
async def infobip():
    stub = await SmsGatewayStub().start()
    yield stub
    await stub.stop()


def adapter(infobip: SmsGatewayStub, timeout: float) -> Sms:
    return Sms(
        base_url=infobip.base_url, api_key=infobip.api_key, sender_id="PLUTHUB", timeout=timeout
    )


@pytest.fixture
async def sms(infobip: SmsGatewayStub):
    channel = adapter(infobip, TIMEOUT)
    yield channel
    await channel.close()


@pytest.fixture
async def impatient(infobip: SmsGatewayStub):
    """The adapter with a short timeout, for an answer the stand-in holds back."""
    channel = adapter(infobip, TIMEOUT_WHEN_HELD)
    yield channel
    await channel.close()


async def failed(channel: Sms, address: str = NUMBER, **sent) -> SendFailure:
    with pytest.raises(SendFailure) as raised:
        await channel.send(outgoing(address, **sent))
    assert_discreet(raised.value.answer, address, SmsGatewayStub.api_key)
    return raised.value


async def test_the_short_text_goes_out_exactly_as_infobip_documents_it(sms, infobip):
    message = outgoing(NUMBER)

    accepted = await sms.send(message)

    [request] = infobip.received
    assert (request.method, request.path) == ("POST", "/sms/3/messages")
    assert request.headers["Authorization"] == f"App {infobip.api_key}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {
        "messages": [
            {
                "destinations": [{"to": "6281234567890", "messageId": str(message.message_id)}],
                "content": {"text": "PLUT: 10 masker kain siap diambil."},
                "sender": "PLUTHUB",
            }
        ]
    }
    [delivery] = infobip.deliveries
    assert accepted.provider_id == str(message.message_id) == delivery.message_id
    assert accepted.answer == f"accepted {message.message_id}: PENDING_ACCEPTED"
    assert (delivery.to, delivery.text, delivery.sender) == (
        "6281234567890",
        "PLUT: 10 masker kain siap diambil.",
        "PLUTHUB",
    )


async def test_without_a_sender_id_the_account_default_sender_is_used(infobip):
    channel = Sms(base_url=infobip.base_url, api_key=infobip.api_key)
    try:
        await channel.send(outgoing(NUMBER))
    finally:
        await channel.close()
    [request] = infobip.received
    assert "sender" not in request.json["messages"][0]


async def test_an_invalid_number_is_permanent_so_the_dispatcher_falls_back(sms, infobip):
    infobip.invalid_numbers.add("6281234567890")

    raised = await failed(sms)

    assert raised.outcome is Outcome.PERMANENT
    assert "REJECTED_DESTINATION" in raised.answer
    assert infobip.deliveries == []


async def test_no_credit_left_waits_for_an_operator_instead_of_falling_back(sms, infobip):
    infobip.out_of_credit = True

    raised = await failed(sms)

    assert raised.outcome is Outcome.TEMPORARY
    assert "REJECTED_NOT_ENOUGH_CREDITS" in raised.answer
    assert "an operator must fix" in raised.answer


async def test_a_rate_limit_is_temporary_and_says_how_long_to_wait(sms, infobip):
    infobip.rate_limit_next(retry_after=3)

    raised = await failed(sms)

    assert raised.outcome is Outcome.TEMPORARY
    assert raised.retry_after == 3.0
    assert "HTTP 429" in raised.answer


async def test_infobip_being_down_is_temporary(sms, infobip):
    infobip.down = True

    raised = await failed(sms)

    assert raised.outcome is Outcome.TEMPORARY
    assert "unavailable: HTTP 500 E500" in raised.answer


async def test_no_answer_after_infobip_took_the_message_is_unknown(impatient, infobip):
    infobip.hold_next(1)
    message_id = uuid.uuid4()

    raised = await failed(impatient, message_id=message_id)

    assert raised.outcome is Outcome.UNKNOWN
    assert infobip.count(str(message_id)) == 1  # it did go out


async def test_the_retry_after_an_unknown_outcome_is_accepted_without_a_second_sms(
    impatient, sms, infobip
):
    infobip.hold_next(1)
    message_id = uuid.uuid4()
    await failed(impatient, message_id=message_id)

    accepted = await sms.send(outgoing(NUMBER, message_id=message_id))

    assert accepted.answer == f"accepted earlier {message_id}: REJECTED_DUPLICATE_MESSAGE_ID"
    assert infobip.count(str(message_id)) == 1


async def test_a_provider_that_cannot_be_reached_is_temporary_and_nothing_was_sent(infobip):
    channel = Sms(base_url=f"http://127.0.0.1:{free_port()}", api_key=infobip.api_key)
    try:
        raised = await failed(channel)
    finally:
        await channel.close()

    assert raised.outcome is Outcome.TEMPORARY
    assert "nothing was sent" in raised.answer


async def test_a_wrong_api_key_waits_for_an_operator_instead_of_falling_back(infobip):
    channel = Sms(base_url=infobip.base_url, api_key="revoked-key")
    try:
        raised = await failed(channel)
    finally:
        await channel.close()

    assert raised.outcome is Outcome.TEMPORARY
    assert "HTTP 401" in raised.answer and "an operator must fix" in raised.answer
    assert_discreet(raised.answer, "revoked-key")


async def test_an_empty_text_is_a_request_infobip_refuses_and_is_permanent(sms, infobip):
    raised = await failed(sms, short="")

    assert raised.outcome is Outcome.PERMANENT
    assert "messages[0].content.text must not be blank" in raised.answer


async def test_concurrent_messages_each_go_out_once(sms, infobip):
    messages = [outgoing(f"+62812345678{i:02}") for i in range(20)]

    await asyncio.gather(*(sms.send(message) for message in messages))

    assert all(infobip.count(str(message.message_id)) == 1 for message in messages)


def status_answer(name: str, group: str = "REJECTED") -> Answer:
    status = {"groupId": 5, "groupName": group, "id": 0, "name": name, "description": "why"}
    return Answer(200, {}, {"bulkId": "b", "messages": [{"messageId": "m", "status": status}]})


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("REJECTED_DESTINATION", Outcome.PERMANENT),
        ("REJECTED_PREFIX_MISSING", Outcome.PERMANENT),
        ("MISSING_TO", Outcome.PERMANENT),
        ("REJECTED_DND", Outcome.PERMANENT),
        ("REJECTED_DESTINATION_BLOCKLISTED", Outcome.PERMANENT),
        ("REJECTED_NETWORK", Outcome.PERMANENT),
        ("REJECTED_DESTINATION_NOT_REGISTERED", Outcome.PERMANENT),
        ("REJECTED_MESSAGE_TOO_LONG", Outcome.PERMANENT),
        ("REJECTED_NOT_ENOUGH_CREDITS", Outcome.TEMPORARY),
        ("REJECTED_PREPAID_PACKAGE_EXPIRED", Outcome.TEMPORARY),
        ("REJECTED_SOURCE", Outcome.TEMPORARY),
        ("REJECTED_SENDER", Outcome.TEMPORARY),
        ("REJECTED_ROUTE_NOT_AVAILABLE", Outcome.TEMPORARY),
        ("REJECTED_FLOODING_FILTER", Outcome.TEMPORARY),
        ("REJECTED_SYSTEM_ERROR", Outcome.TEMPORARY),
    ],
)
def test_a_rejection_s_outcome_follows_its_status_name(name, outcome):
    with pytest.raises(SendFailure) as raised:
        accepted_or_failure(status_answer(name), outgoing(NUMBER))
    assert raised.value.outcome is outcome


@pytest.mark.parametrize("group", ["PENDING", "DELIVERED"])
def test_pending_or_delivered_is_accepted(group):
    accepted = accepted_or_failure(status_answer(f"{group}_X", group), outgoing(NUMBER))
    assert accepted.provider_id == "m"


def test_a_200_without_a_message_status_is_unknown():
    with pytest.raises(SendFailure) as raised:
        accepted_or_failure(Answer(200, {}, {"bulkId": "b"}), outgoing(NUMBER))
    assert raised.value.outcome is Outcome.UNKNOWN
