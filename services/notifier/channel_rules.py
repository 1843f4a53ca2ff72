"""Which channel a message goes by: the rules alone, pure, no I/O. (`handlers/route.py` applies
them to one message; `router.py` is the background worker that feeds it the messages waiting.)

A person's own preference comes first, then WhatsApp, SMS and email, as most people here live on
WhatsApp, some only have SMS, and agencies and banks read email. A channel is passed over when
the person has no address for it, opted out of it, it already failed for good for this message,
or this deployment has no provider for it.
"""

from dataclasses import dataclass

CHANNELS = ("whatsapp", "sms", "email")


@dataclass(frozen=True)
class Reachable:
    """How a recipient can be reached."""

    phone: str | None  # E.164
    email: str | None
    preferred: str | None  # one of CHANNELS, or None for the default order


@dataclass(frozen=True)
class Choice:
    channel: str | None  # None: no channel is left, and the message ends as `ending`
    address: str | None
    opted_out: tuple[str, ...]  # channels passed over because the person opted out of them
    ending: str | None = None  # "skipped", "opted_out" or "failed" when channel is None
    why: str | None = None  # when channel is None: why, for the message log


def address_on(channel: str, person: Reachable) -> str | None:
    return person.email if channel == "email" else person.phone


def channel_order(person: Reachable) -> list[str]:
    """Every channel, the person's preference first."""
    if person.preferred in CHANNELS:
        return [person.preferred, *(c for c in CHANNELS if c != person.preferred)]
    return list(CHANNELS)


def choose(
    person: Reachable,
    *,
    configured: frozenset[str],
    failed: frozenset[str],
    opted_out: frozenset[str],
) -> Choice:
    """The first channel that can carry the message, and the opt-outs passed over on the way."""
    passed_over: list[str] = []
    reachable = [c for c in channel_order(person) if address_on(c, person)]
    for channel in reachable:
        if channel in failed or channel not in configured:
            continue
        if channel in opted_out:
            passed_over.append(channel)
            continue
        return Choice(channel, address_on(channel, person), tuple(passed_over))
    if not reachable:
        return _ending(passed_over, "skipped", "recipient has no phone number or email address")
    usable = [c for c in reachable if c not in failed and c in configured]
    if usable:  # all of them opted out of
        return _ending(passed_over, "opted_out", "recipient opted out of " + ", ".join(usable))
    if failed & set(reachable):
        return _ending(passed_over, "failed", "every channel failed: " + ", ".join(sorted(failed)))
    return _ending(passed_over, "skipped", "no provider configured for " + ", ".join(reachable))


def _ending(passed_over: list[str], ending: str, why: str) -> Choice:
    return Choice(None, None, tuple(passed_over), ending, why)
