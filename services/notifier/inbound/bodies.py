"""The top level of what the providers post to the webhooks, as the API documents show it and
the webhooks check it, once the signature or credentials were (their pieces are read one by one
after: `notifications.read_notification`, `infobip.read_inbound_sms`, which skip a malformed
piece rather than refuse the rest). Open: the providers add fields."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WhatsappNotification(BaseModel):
    """A WhatsApp Cloud API webhook notification (Meta's `messages` field): inbound messages
    and the statuses of messages sent, in `entry[].changes[].value`."""

    model_config = ConfigDict(extra="allow")

    object: Literal["whatsapp_business_account"]
    entry: list[Any] = Field(
        description="Meta's entries: {id, changes: [{field: 'messages', value: {"
        "messaging_product, metadata, contacts, messages, statuses}}]}; a malformed one is"
        " skipped"
    )


class InboundSmsForward(BaseModel):
    """Infobip's inbound SMS forwarding ("Receive inbound SMS messages")."""

    model_config = ConfigDict(extra="allow")

    results: list[Any] = Field(
        description="Infobip's results: {messageId, from, to, text, cleanText, keyword,"
        " receivedAt, smsCount, ...}; a malformed one is skipped"
    )
