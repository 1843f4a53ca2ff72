"""A real SMTP server (aiosmtpd) in the test process that keeps what it receives, and can refuse,
defer, stall or hang up the way real servers do."""

import asyncio
import email
import email.policy
import threading
from collections import defaultdict
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.stack import free_port


class Mailbox:
    """Messages indexed as they arrive, by SMTP recipient and by Message-ID.

    Failure modes a test may set, each until it says otherwise (never for so many seconds: what a
    request meets must not depend on how fast a loaded machine brings it): `refused` recipients
    get 550 at RCPT; while `deferring` every RCPT gets 451; while `holding_data` the server keeps
    a message and does not answer its DATA; `hang_up()` closes every open connection.
    `connections` counts the connections clients opened (one EHLO each, as there is no TLS).
    With `login` (user, password) it offers AUTH over plain TCP and takes only that login.
    """

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self._by_recipient: dict[str, list[EmailMessage]] = defaultdict(list)
        self._by_message_id: dict[str, list[EmailMessage]] = defaultdict(list)
        self._lock = threading.Lock()
        self.refused: set[str] = set()
        self.deferring = False
        self.holding_data = False
        self.connections = 0
        self._sessions: list = []  # the server side of each connection, to hang up on
        self.port = free_port()
        self._login = login
        auth = {"authenticator": self._authenticate, "auth_require_tls": False} if login else {}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)

    def _authenticate(self, _server, _session, _envelope, _mechanism, data) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            (data.login.decode(), data.password.decode()) == self._login
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535

    async def handle_EHLO(self, server, session, _envelope, hostname, responses) -> list[str]:
        session.host_name = hostname  # this hook's duty, as aiosmtpd documents it
        with self._lock:
            self.connections += 1
            self._sessions.append(server)
        return responses

    async def handle_RCPT(self, _server, _session, envelope, address, options) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.deferring:
            return "451 4.3.0 Mail server temporarily busy, try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self._by_recipient[recipient].append(message)
            self._by_message_id[message["Message-ID"]].append(message)
        while self.holding_data:  # kept already: a client that gives up cannot know
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def hang_up(self) -> None:
        """Close every connection from the server's side, as an idle timeout would."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for server in sessions:
            if server.transport is not None:
                self._controller.loop.call_soon_threadsafe(server.transport.close)

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
