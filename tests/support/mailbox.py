"""A real SMTP server (aiosmtpd) in the test process that keeps what it receives."""

import email
import email.policy
import threading
from collections import defaultdict
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tools.stack import free_port


class Mailbox:
    """Messages indexed as they arrive, by SMTP recipient and by Message-ID."""

    def __init__(self) -> None:
        self._by_recipient: dict[str, list[EmailMessage]] = defaultdict(list)
        self._by_message_id: dict[str, list[EmailMessage]] = defaultdict(list)
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server, _session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self._by_recipient[recipient].append(message)
            self._by_message_id[message["Message-ID"]].append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return list(self._by_recipient.get(address, ()))

    def with_message_id(self, message_id: str) -> list[EmailMessage]:
        with self._lock:
            return list(self._by_message_id.get(f"<{message_id}@plut-hub>", ()))
