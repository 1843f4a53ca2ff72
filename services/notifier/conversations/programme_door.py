"""Applying to a free-mask programme by WhatsApp (issue 21): PROGRAM lists the open programmes
at the chat's hubs; one chosen, the applicant types their name, their regency, how many (where
the programme allows more than one) and last their NIK, and the application goes at once with
the notifier's chat key (scope `programmes:apply`), the number that wrote as the applicant's
verified phone.

The NIK is never kept: it is the last answer, so no step holds it; the message that carried it
has its text forgotten in the handling's transaction (`ChatStore.forget_text`). Handled again
(a transaction that failed after the call), the same Idempotency-Key makes no second
application. Only individuals apply by chat: the phone is a person's.
"""

import uuid
from typing import TYPE_CHECKING, Any

import structlog

from services.notifier.conversations import programme_texts as texts
from services.notifier.conversations.errors import OrdersError
from services.notifier.conversations.state import Conversation, Step, quantity_from
from services.notifier.conversations.texts import EXPIRED, ORDERS_AWAY, ORDERS_CLOSED
from shared.nik import nik_problem
from shared.programme_form import NUMBER_LIKE_A_NIK, nik_from, valid_name

if TYPE_CHECKING:
    from services.notifier.conversations.handling import Chat

log = structlog.get_logger(__name__)

RECIPIENT_TYPE = "individual"
MOST_LISTED = 10  # a WhatsApp list's rows
TYPED_STEPS = frozenset(
    {Step.PROGRAMME_NAME, Step.PROGRAMME_REGION, Step.PROGRAMME_QUANTITY, Step.PROGRAMME_NIK}
)


class ProgrammeDoor:
    """One message's part in an application by chat, for `handling.Chat`."""

    def __init__(self, chat: "Chat") -> None:
        self.chat = chat

    async def begin(self, conversation: Conversation) -> Conversation:
        chat = self.chat
        if not chat.orders.open:
            await chat.tell(ORDERS_CLOSED)
            return conversation.at(None, chat.now)
        listed: list[dict] = []
        try:
            for hub in await chat.ordering_hubs():
                listed += [p for p in await chat.orders.programmes(hub.code) if _open(p)]
        except OrdersError as error:
            log.warning("chat programmes unread", status=error.status, why=error.why)
            await chat.tell(ORDERS_AWAY)
            return conversation.at(None, chat.now)
        await chat.say(texts.programme_list(listed[:MOST_LISTED], chat.language))
        return conversation.at(Step.PROGRAMME if listed else None, chat.now)

    async def chosen(self, conversation: Conversation, programme_id: str) -> Conversation:
        chat = self.chat
        programme = await self._programme(programme_id)
        if programme is None:
            await chat.tell(EXPIRED)
            return conversation.at(None, chat.now)
        name = texts.shown(programme["name"])
        if RECIPIENT_TYPE not in programme["buyer_types"]:
            await chat.tell(texts.NOT_BY_CHAT, programme["hub"], programme=name)
            return conversation.at(None, chat.now)
        await chat.tell(texts.ASK_NAME, programme["hub"], programme=name)
        return conversation.at(Step.PROGRAMME_NAME, chat.now, programme_id=programme["id"])

    async def typed(self, conversation: Conversation) -> Conversation:
        """The answer to the step's question; the programme read afresh, as it may close."""
        chat, step = self.chat, conversation.step
        programme = await self._programme(conversation.choices.get("programme_id", ""))
        if programme is None:
            await chat.tell(EXPIRED)
            return conversation.at(None, chat.now)
        text = (chat.inbound.text or "").strip()
        if step is not Step.PROGRAMME_NIK and NUMBER_LIKE_A_NIK.search(text):
            # A NIK typed too early: no name or regency; kept nowhere, as at its own step.
            await chat.store.forget_text(chat.inbound)
            await chat.tell(texts.NIK_TOO_EARLY)
            return conversation.at(step, chat.now)
        if step is Step.PROGRAMME_NAME:
            return await self._name(conversation, programme, text)
        if step is Step.PROGRAMME_REGION:
            return await self._region(conversation, programme, text)
        if step is Step.PROGRAMME_QUANTITY:
            most = programme["units_per_recipient"]
            quantity = quantity_from(text, most)
            if quantity is None:
                await chat.tell(texts.ASK_QUANTITY, most=most)
                return conversation.at(step, chat.now)
            await chat.tell(texts.ASK_NIK)
            return conversation.at(Step.PROGRAMME_NIK, chat.now, quantity=quantity)
        return await self._apply(conversation, programme, text)

    async def _name(self, conversation, programme, text) -> Conversation:
        chat = self.chat
        name = valid_name(text)
        if name is None:
            await chat.tell(texts.BAD_NAME)
            return conversation.at(Step.PROGRAMME_NAME, chat.now)
        if programme["regencies"]:
            await chat.tell(texts.ASK_LISTED_REGION, regencies=texts.regencies(programme))
        else:
            await chat.tell(texts.ASK_REGION)
        return conversation.at(Step.PROGRAMME_REGION, chat.now, name=name)

    async def _region(self, conversation, programme, text) -> Conversation:
        chat = self.chat
        listed = {regency.casefold(): regency for regency in programme["regencies"]}
        region = listed.get(text.casefold()) if listed else valid_name(text)
        if region is None:
            if listed:
                await chat.tell(texts.NOT_COVERED, regencies=texts.regencies(programme))
            else:
                await chat.tell(texts.ASK_REGION)
            return conversation.at(Step.PROGRAMME_REGION, chat.now)
        most = programme["units_per_recipient"]
        if most > 1:
            await chat.tell(texts.ASK_QUANTITY, most=most)
            return conversation.at(Step.PROGRAMME_QUANTITY, chat.now, region=region)
        await chat.tell(texts.ASK_NIK)
        return conversation.at(Step.PROGRAMME_NIK, chat.now, region=region, quantity=1)

    async def _apply(self, conversation, programme, text) -> Conversation:
        chat = self.chat
        await chat.store.forget_text(chat.inbound)  # whatever it said, it was meant as a NIK
        nik = nik_from(text)
        why = nik_problem(nik)
        if why is not None:
            await chat.tell(texts.BAD_NIK, why=why.in_language(chat.language))
            return conversation.at(Step.PROGRAMME_NIK, chat.now)
        choices = conversation.choices
        body = {
            "sku": programme["products"][0]["sku"],
            "quantity": int(choices["quantity"]),
            "recipient": {
                "name": choices["name"],
                "type": RECIPIENT_TYPE,
                "region": choices["region"],
                "phone": chat.inbound.phone,
                "language": chat.language,
                "channel": chat.inbound.channel,
                "nik": nik,
            },
        }
        key = f"notifier-chat-programme:{chat.inbound.provider_id}"
        try:
            made = await chat.orders.apply(programme["id"], body, key, chat.language)
        except OrdersError as error:
            if error.status >= 500 or error.status in (401, 429):
                raise  # the handling is tried again, with the same key
            await chat.tell(texts.NOT_APPLIED, programme["hub"], why=error.fields_why)
            return conversation.at(None, chat.now)
        reply = texts.applied(made, chat.rules.site, chat.language)
        await chat.say(reply, programme["hub"], uuid.UUID(made["order_id"]))
        return conversation.at(None, chat.now)

    async def _programme(self, programme_id: str) -> dict[str, Any] | None:
        """The programme if it is open at one of the chat's hubs, else None."""
        try:
            programme = await self.chat.orders.programme(uuid.UUID(programme_id))
        except ValueError:
            return None
        except OrdersError as error:
            if error.status >= 500 or error.status in (401, 429):
                raise  # the handling is tried again
            return None
        hubs = {hub.code for hub in await self.chat.ordering_hubs()}
        return programme if _open(programme) and programme.get("hub") in hubs else None


def _open(programme: dict) -> bool:
    return programme.get("status") == "open"
