"""The email adapter against a real SMTP server (aiosmtpd) in the test process: the message it
composes, what the server's refusals mean, and the pool of connections it keeps."""

import asyncio
import uuid

import pytest

from services.notifier.channels.base import Outcome, SendFailure
from services.notifier.channels.email import Email
from tests.support.mailbox import Mailbox
from tests.support.outgoing import CONTENT, assert_discreet, outgoing
from tests.support.stack import free_port

ADDRESS = "siti.aminah@contoh.id"
SENDER = "PLUT Kalteng <pesan@plut.test>"
POOL_SIZE = 3


@pytest.fixture
def server():
    mailbox = Mailbox()
    mailbox.start()
    yield mailbox
    mailbox.stop()


# The adapter's timeout: far above any answer of the mailbox on a loaded machine; where the
# mailbox holds its answer, the timeout is what the test is about.
TIMEOUT = 30.0
TIMEOUT_WHEN_HELD = 1.0


def adapter(server: Mailbox, timeout: float) -> Email:
    return Email(
        host="127.0.0.1", port=server.port, sender=SENDER, timeout=timeout, pool_size=POOL_SIZE
    )


@pytest.fixture
async def email(server: Mailbox):
    channel = adapter(server, TIMEOUT)
    yield channel
    await channel.close()


@pytest.fixture
async def impatient(server: Mailbox):
    """The adapter with a short timeout, for an answer the mailbox holds back."""
    channel = adapter(server, TIMEOUT_WHEN_HELD)
    yield channel
    await channel.close()


async def failed(channel: Email, address: str = ADDRESS, **sent) -> SendFailure:
    with pytest.raises(SendFailure) as raised:
        await channel.send(outgoing(address, **sent))
    assert_discreet(raised.value.answer, address)
    return raised.value


async def test_the_email_has_a_plain_and_an_html_part_and_our_message_id(email, server):
    message = outgoing(ADDRESS)

    accepted = await email.send(message)

    [received] = server.to(ADDRESS)
    assert received["From"] == SENDER
    assert received["To"] == f"Siti Aminah <{ADDRESS}>"
    assert received["Subject"] == CONTENT.subject
    assert received["Message-ID"] == f"<{message.message_id}@plut-hub>"
    assert received["Content-Language"] == "id"
    assert received.get_content_type() == "multipart/alternative"
    plain, html = received.iter_parts()
    assert (plain.get_content_type(), plain.get_content().strip()) == ("text/plain", CONTENT.text)
    page = html.get_content().replace("\r\n", "\n")
    assert (html.get_content_type(), page.strip()) == ("text/html", CONTENT.html.strip())
    assert accepted.provider_id == f"<{message.message_id}@plut-hub>"
    assert accepted.answer.startswith("250 ")
    assert_discreet(accepted.answer, ADDRESS)


async def test_a_retried_message_keeps_its_message_id(email, server):
    message_id = uuid.uuid4()

    await email.send(outgoing(ADDRESS, message_id=message_id))
    await email.send(outgoing(ADDRESS, message_id=message_id))

    assert len(server.with_message_id(str(message_id))) == 2  # one thread in the reader's client


async def test_text_beyond_ascii_arrives_intact(email, server):
    await email.send(outgoing(ADDRESS, text="Harga Rp 10.000 — siap diambil ✓", subject="Siap ✓"))

    [received] = server.to(ADDRESS)
    assert received["Subject"] == "Siap ✓"
    assert next(received.iter_parts()).get_content().strip() == "Harga Rp 10.000 — siap diambil ✓"


async def test_a_refused_recipient_is_permanent_and_the_answer_masks_the_address(email, server):
    server.refused.add(ADDRESS)

    raised = await failed(email)

    assert raised.outcome is Outcome.PERMANENT
    assert raised.answer.startswith("SMTP server refused the recipient s***@contoh.id: 550")
    assert "s***@contoh.id" in raised.answer


async def test_a_server_that_defers_is_temporary_and_the_connection_serves_on(email, server):
    server.deferring = True

    raised = await failed(email)
    server.deferring = False
    await email.send(outgoing(ADDRESS))

    assert raised.outcome is Outcome.TEMPORARY
    assert "451" in raised.answer
    assert len(server.to(ADDRESS)) == 1
    assert server.connections == 1  # RSET after the refusal kept it usable


async def test_no_answer_to_data_is_unknown_for_the_server_may_have_kept_it(impatient, server):
    server.holding_data = True
    message_id = uuid.uuid4()

    try:
        raised = await failed(impatient, message_id=message_id)
    finally:
        server.holding_data = False

    assert raised.outcome is Outcome.UNKNOWN
    assert len(server.with_message_id(str(message_id))) == 1


async def test_a_server_that_cannot_be_reached_is_temporary():
    channel = Email(host="127.0.0.1", port=free_port(), sender=SENDER, timeout=0.5)
    try:
        raised = await failed(channel)
    finally:
        await channel.close()

    assert raised.outcome is Outcome.TEMPORARY
    assert raised.answer.startswith("cannot connect to the SMTP server")


async def test_a_wrong_login_waits_for_an_operator_instead_of_falling_back():
    server = Mailbox(login=("plut", "rahasia"))
    server.start()
    wrong = Email(
        host="127.0.0.1", port=server.port, sender=SENDER, username="plut", password="salah"
    )
    right = Email(
        host="127.0.0.1", port=server.port, sender=SENDER, username="plut", password="rahasia"
    )
    try:
        raised = await failed(wrong)
        await right.send(outgoing(ADDRESS))
    finally:
        await wrong.close()
        await right.close()
        server.stop()

    assert raised.outcome is Outcome.TEMPORARY
    assert "SMTP login refused: 535" in raised.answer
    assert "an operator must fix" in raised.answer
    assert_discreet(raised.answer, "salah")
    assert len(server.to(ADDRESS)) == 1


async def test_many_messages_in_a_row_share_one_connection(email, server):
    for _ in range(20):
        await email.send(outgoing(ADDRESS))

    assert len(server.to(ADDRESS)) == 20
    assert server.connections == 1


async def test_concurrent_messages_use_at_most_the_pool_s_connections(email, server):
    messages = [outgoing(f"orang{i}@contoh.id") for i in range(20)]

    await asyncio.gather(*(email.send(message) for message in messages))

    assert all(len(server.to(message.address)) == 1 for message in messages)
    assert 1 <= server.connections <= POOL_SIZE


async def test_a_connection_the_server_closed_while_idle_is_replaced(email, server):
    await email.send(outgoing(ADDRESS))
    server.hang_up()
    await asyncio.sleep(0.1)  # the client notices the close

    await email.send(outgoing(ADDRESS))

    assert len(server.to(ADDRESS)) == 2
    assert server.connections == 2
