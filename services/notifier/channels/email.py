"""Email over SMTP (aiosmtplib), through a small pool of open connections.

Each send takes a connection of its own from the pool (or opens one while fewer than `pool_size`
are open), so concurrent sends never share an SMTP dialogue, and a burst of messages does not
connect once per message. A pooled connection the server has since closed is left behind and a
new one opened.

The message is multipart/alternative (plain text, then HTML) with a Message-ID derived from our
message id: the same on every retry, so a receiving client shows a message sent twice once. That
is email's only idempotency means; SMTP itself has none.

Outcomes: a message that cannot be written (the email library refuses a header): PERMANENT.
Refused before DATA, or in answer to it, with 5xx: PERMANENT; with 4xx: TEMPORARY.
Cannot connect, log in or be accepted as sender: TEMPORARY (nothing was sent). Disconnected or
timed out once DATA started: UNKNOWN, the server may have queued the message.
"""

import asyncio
from email.errors import MessageError
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, parseaddr
from typing import ClassVar

import aiosmtplib

from services.notifier.channels.addresses import mask_address, redact
from services.notifier.channels.base import Accepted, Outcome, Outgoing, SendFailure

# CRLF lines, and non-ASCII text as quoted-printable or base64: no server needs 8BITMIME for it.
POLICY = SMTP.clone(cte_type="7bit")
# Everything that means the connection is gone or stuck, rather than a refusal.
CONNECTION_LOST = (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError)


class Email:
    """Sends each message as one email to the person's address."""

    name: ClassVar[str] = "email"

    def __init__(
        self,
        *,
        host: str,
        sender: str,
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        timeout: float = 10.0,
        pool_size: int = 4,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender  # the From header, e.g. "PLUT Hub <pesan@plut.example>"
        self._username = username
        self._password = password
        self._start_tls = start_tls
        self._timeout = timeout
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(pool_size)

    def compose(self, outgoing: Outgoing) -> EmailMessage:
        content = outgoing.content
        message = EmailMessage(policy=POLICY)
        message["From"] = self.sender
        message["To"] = formataddr((outgoing.recipient_name, outgoing.address))
        message["Subject"] = content.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id_header(outgoing)
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        # After the parts: set_content drops, and add_alternative moves, any Content-* header.
        message["Content-Language"] = content.language
        return message

    async def send(self, outgoing: Outgoing) -> Accepted:
        try:
            raw = self.compose(outgoing).as_bytes()
        except (ValueError, TypeError, LookupError, MessageError) as error:
            # A header or part the email library refuses (a line break in a name from older
            # data, say) is refused again on every retry: give up on email for this message.
            # The error's own words may quote the name: only its type goes in the record.
            raise SendFailure(
                Outcome.PERMANENT, f"the email cannot be written ({type(error).__name__})"
            ) from error
        async with self._slots:
            smtp = await self._connection()
            try:
                answer = await self._transfer(smtp, outgoing.address, raw)
            except asyncio.CancelledError:
                smtp.close()  # stopped mid-dialogue: the connection is in no state to reuse
                raise
            finally:
                self._put_back(smtp)
        return Accepted(provider_id=message_id_header(outgoing), answer=answer)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for smtp in idle:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, *CONNECTION_LOST):
                smtp.close()

    async def _transfer(self, smtp: aiosmtplib.SMTP, address: str, raw: bytes) -> str:
        """MAIL, RCPT and DATA on one connection; the outcome of whichever step failed."""
        step = "the sender"
        try:
            await smtp.mail(parseaddr(self.sender)[1])
            step = f"the recipient {mask_address(address)}"
            await smtp.rcpt(address)
            step = "the message"
            response = await smtp.data(raw)
        except aiosmtplib.SMTPResponseException as error:
            await _reset(smtp)
            raise _refusal(error, address, step) from error
        except CONNECTION_LOST as error:
            smtp.close()
            if step == "the message":
                raise SendFailure(
                    Outcome.UNKNOWN,
                    f"SMTP connection lost after DATA started ({type(error).__name__}): "
                    "the server may have taken the message",
                ) from error
            raise SendFailure(
                Outcome.TEMPORARY,
                f"SMTP connection lost before DATA ({type(error).__name__}): nothing was sent",
            ) from error
        return redact(f"{response.code} {response.message}", address)

    async def _connection(self) -> aiosmtplib.SMTP:
        """An idle connection still open, else a new one (we hold a slot, so one may open)."""
        while self._idle:
            smtp = self._idle.pop()
            if smtp.is_connected:
                return smtp
            smtp.close()  # the server hung up while it was idle
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self._username,
            password=self._password,
            start_tls=self._start_tls,
            timeout=self._timeout,
        )
        try:
            await smtp.connect()  # greeting, EHLO, STARTTLS and login as configured
        except aiosmtplib.SMTPAuthenticationError as error:
            said = redact(f"{error.code} {error.message}", self._username or "")
            raise SendFailure(
                Outcome.TEMPORARY,
                f"SMTP login refused: {said}; an operator must fix the SMTP login, messages wait",
            ) from error
        except (aiosmtplib.SMTPException, *CONNECTION_LOST) as error:
            raise SendFailure(
                Outcome.TEMPORARY, f"cannot connect to the SMTP server: {type(error).__name__}"
            ) from error
        return smtp

    def _put_back(self, smtp: aiosmtplib.SMTP) -> None:
        if smtp.is_connected:
            self._idle.append(smtp)


def message_id_header(outgoing: Outgoing) -> str:
    return f"<{outgoing.message_id}@plut-hub>"


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """RSET after a refusal, so the connection can carry the next message; else drop it."""
    try:
        await smtp.rset()
    except (aiosmtplib.SMTPException, *CONNECTION_LOST):
        smtp.close()


def _refusal(error: aiosmtplib.SMTPResponseException, address: str, step: str) -> SendFailure:
    said = redact(f"{error.code} {error.message}", address)
    if step == "the sender":  # our configured From: every message would fail, so they wait
        return SendFailure(
            Outcome.TEMPORARY,
            f"SMTP server refused our sender: {said}; an operator must fix the sender, "
            "messages wait",
        )
    outcome = Outcome.PERMANENT if error.code >= 500 else Outcome.TEMPORARY
    return SendFailure(outcome, f"SMTP server refused {step}: {said}")
