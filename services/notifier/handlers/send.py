"""Sending one claimed message: what goes to the provider, and what its answer means for the
message (sent; tried again later; back to the router for another channel; or given up). Pure:
the sender (`sender.py`) does the sending and writes the results."""

from datetime import datetime, timedelta

from services.notifier.channels.base import Accepted, Content, Outcome, Outgoing, SendFailure
from services.notifier.conversations import replies
from services.notifier.handlers.route import OPTED_OUT_ANSWER
from services.notifier.links import buyer_params
from services.notifier.store.attempts import Attempt
from services.notifier.store.sends import Claimed, Result
from services.notifier.templates import render, shown
from shared.backoff import RetryPolicy


def outgoing(message: Claimed, channel: str, site: str) -> Outgoing | Result:
    """The message as the provider takes it, or its result when it cannot go: the person opted
    out of the channel since it was routed here (back to the router), or it cannot be written
    (no retry can mend that). `site` is the buyers' site, for the tracking links. A reply in a
    chat goes whatever the person's opt-outs: it answers what they just wrote on that channel."""
    if message.opted_out and message.template != replies.TEMPLATE:
        return result(message, channel, "opted_out", OPTED_OUT_ANSWER, "reroute")
    if message.template == replies.TEMPLATE:
        return Outgoing(
            message_id=message.id,
            correlation_id=message.correlation_id,
            address=message.address,
            recipient_name=shown(message.recipient_name),
            content=reply_content(message.params, message.language),
        )
    params = message.params
    if message.order_id is not None:  # a buyer's
        params = buyer_params(params, message.order_code, site)
    try:
        content = render(message.template, message.language, message.recipient_name, params)
    except (LookupError, TypeError, ValueError) as error:
        return result(message, channel, "permanent", f"cannot be written: {error}", "give_up")
    return Outgoing(
        message_id=message.id,
        correlation_id=message.correlation_id,
        address=message.address,
        # As the message shows it: an email's To header cannot hold a line break.
        recipient_name=shown(message.recipient_name),
        content=content,
    )


def reply_content(params: dict, language: str) -> Content:
    """A chat reply: its text as is (written by `conversations`, names in it made harmless
    there), the session message WhatsApp sends, the text and choices SMS sends."""
    reply = replies.from_params(params)
    return Content(
        template=replies.TEMPLATE,
        language=language,
        subject=reply.text.split("\n", 1)[0],
        text=reply.text,
        short=reply.as_sms(),
        parameters=(),
        session=reply.as_params(),
    )


def accepted(message: Claimed, channel: str, answer: Accepted) -> Result:
    return result(message, channel, "accepted", answer.answer, "sent", answer.provider_id)


def failed(
    message: Claimed, channel: str, failure: SendFailure, retry: RetryPolicy, now: datetime
) -> Result:
    """Another channel for a person this one cannot reach; else the same channel later, until
    the retry policy gives up."""
    outcome, answer = failure.outcome.value, failure.answer
    if failure.outcome is Outcome.PERMANENT:
        return result(message, channel, outcome, answer, "fall_back")
    retry_at = retry.next_attempt(message.attempts, message.routed_at, now)
    if retry_at is None:
        reason = f"gave up after {message.attempts} attempts: {answer}"
        return result(message, channel, outcome, reason, "give_up")
    if failure.retry_after is not None:
        retry_at = max(retry_at, now + timedelta(seconds=failure.retry_after))
    return result(message, channel, outcome, answer, "retry", retry_at=retry_at)


def result(
    message: Claimed,
    channel: str,
    outcome: str,
    answer: str,
    then: str,
    provider_id: str | None = None,
    retry_at: datetime | None = None,
) -> Result:
    attempt = Attempt(message.id, channel, outcome, answer, provider_id)
    return Result(message, attempt, then, retry_at)
