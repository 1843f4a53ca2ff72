"""Routing one message: the channel it goes by, by the rules of `channel_rules`, with every
channel the person opted out of passed over on the record; or its end, when no channel is left
(a failure is announced). A reply in a chat goes by the channel the person wrote on only."""

import structlog

from services.notifier.channel_rules import Reachable, choose
from services.notifier.outcomes import failed_event
from services.notifier.store import AbstractRoutingWork
from services.notifier.store.attempts import Attempt
from services.notifier.store.routes import Waiting

log = structlog.get_logger(__name__)

CHAT = "chat"  # the recipient kind of a reply in a conversation
OPTED_OUT_ANSWER = "recipient opted out of this channel"


def route_message(work: AbstractRoutingWork, message: Waiting, configured: frozenset[str]) -> None:
    if message.kind == CHAT:  # a reply goes back the way the person wrote, or not at all
        configured = configured & {message.preferred}
    person = Reachable(message.phone, message.email, message.preferred)
    choice = choose(
        person,
        configured=configured,
        failed=message.failed_channels,
        opted_out=message.opted_out,
    )
    for channel in choice.opted_out:
        work.add_attempt(Attempt(message.id, channel, "opted_out", OPTED_OUT_ANSWER))
    if choice.channel is not None:
        work.route(message.id, choice.channel, choice.address, message.language)
        return
    work.end(message.id, choice.ending, choice.why)
    if choice.ending == "failed":
        work.publish(failed_event(message, None, choice.why))
    log.info(
        "message not sent",
        ending=choice.ending,
        reason=choice.why,
        template=message.template,
        correlation_id=message.correlation_id,
        message_id=str(message.id),
    )
