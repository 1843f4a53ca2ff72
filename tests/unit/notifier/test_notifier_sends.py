"""What a send's answer means for its message: no database, no provider."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.notifier.channels.base import Accepted, Outcome, Outgoing, SendFailure
from services.notifier.handlers import send
from services.notifier.store.sends import Claimed
from shared.backoff import RetryPolicy

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
RETRY = RetryPolicy(first_retry_seconds=30, max_retry_seconds=600, give_up_seconds=3600)
SITE = "https://plut.example.id"


def claimed(**changes) -> Claimed:
    message = Claimed(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        correlation_id="test-send",
        hub="kalteng",
        template="order_cancelled",
        params={"product": "Masker kain", "order_id": "x", "order_ref": "ABCD1234"},
        attempts=1,
        language="id",
        address="+6281234567890",
        routed_at=NOW - timedelta(minutes=1),
        order_id=uuid.uuid4(),
        producer_id=None,
        recipient_name="Bu Rina",
        order_code="7K3QD-M9X2A",
        opted_out=False,
    )
    return replace(message, **changes)


def test_a_buyers_message_goes_out_with_the_link_to_the_orders_page():
    prepared = send.outgoing(claimed(), "whatsapp", SITE)

    assert isinstance(prepared, Outgoing)
    assert f"{SITE}/lacak/7K3QD-M9X2A" in prepared.content.text


def test_a_message_to_a_person_who_opted_out_since_goes_back_to_the_router():
    result = send.outgoing(claimed(opted_out=True), "whatsapp", SITE)

    assert (result.then, result.attempt.outcome) == ("reroute", "opted_out")


def test_a_chat_reply_goes_as_a_session_message_whatever_the_opt_outs():
    reply = {"text": "Batalkan?", "buttons": [{"id": "cancel:1", "title": "Ya, batalkan"}]}
    message = claimed(template="chat_reply", params=reply, order_id=None, opted_out=True)

    prepared = send.outgoing(message, "whatsapp", SITE)

    assert isinstance(prepared, Outgoing)
    assert prepared.content.session == reply
    assert prepared.content.short == "Batalkan?\n- Ya, batalkan"


def test_a_message_that_cannot_be_written_is_given_up():
    result = send.outgoing(claimed(params={}), "whatsapp", SITE)

    assert (result.then, result.attempt.outcome) == ("give_up", "permanent")


def test_accepted_is_sent():
    result = send.accepted(claimed(), "sms", Accepted("sms-1", "accepted sms-1"))

    assert (result.then, result.attempt.provider_id) == ("sent", "sms-1")


def test_a_channel_that_cannot_reach_the_person_falls_back_and_a_busy_one_retries_later():
    permanent = SendFailure(Outcome.PERMANENT, "not on WhatsApp")
    busy = SendFailure(Outcome.TEMPORARY, "rate limit", retry_after=120)

    assert send.failed(claimed(), "whatsapp", permanent, RETRY, NOW).then == "fall_back"
    later = send.failed(claimed(), "whatsapp", busy, RETRY, NOW)
    assert (later.then, later.retry_at) == ("retry", NOW + timedelta(seconds=120))


def test_past_the_give_up_time_a_message_fails():
    old = claimed(routed_at=NOW - timedelta(hours=2), attempts=9)
    result = send.failed(old, "sms", SendFailure(Outcome.UNKNOWN, "no answer"), RETRY, NOW)

    assert result.then == "give_up"
    assert result.attempt.answer == "gave up after 9 attempts: no answer"
