"""Email over SMTP: one connection per batch of messages."""

import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from services.notifier.templates import Rendered

# Errors that mean "try again later": the server or the network, not the message.
CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    OSError,
    TimeoutError,
)


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): retrying cannot help."""


class Mailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.start_tls = start_tls
        self.timeout = timeout

    def connection(self) -> aiosmtplib.SMTP:
        """An SMTP client to use as `async with`; it connects on entry."""
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )

    def compose(
        self, message_id: uuid.UUID, to_name: str, to_address: str, rendered: Rendered
    ) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = formataddr((to_name, to_address))
        email["Subject"] = rendered.subject
        email["Date"] = formatdate(localtime=False)
        # Stable per message: if a crash makes us send it twice, mail clients show it once.
        email["Message-ID"] = f"<{message_id}@plut-hub>"
        email["Content-Language"] = "id, en"
        email.set_content(rendered.body)
        return email

    async def send(self, smtp: aiosmtplib.SMTP, email: EmailMessage) -> None:
        try:
            await smtp.send_message(email)
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"recipient refused: {error.recipients[0].message}") from error
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise PermanentFailure(f"{error.code} {error.message}") from error
            raise
