"""A request the HTTP parser cannot read was logged at ERROR quoting its raw header line,
`Authorization` included: anyone could write credentials into our logs (and whoever reads them
could take them). Sent over a socket, as an attacker would, to each real service process."""

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from tests.support.stack import Stack
from tools.client import HubClient, wait_until


def malformed(secret: str) -> list[bytes]:
    """Requests the parser refuses, each carrying `secret` as a credential."""
    return [
        # A control character in the Authorization header's value.
        b"GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\x01\r\n\r\n",
        # A space before the colon: an invalid header name, quoted whole.
        b"GET /health HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer %s\r\n\r\n",
        # A bad Content-Length after the credentials.
        b"POST /v1/orders HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Length: x\r\n\r\n",
        # A NUL in the path, with a partner key and a cookie.
        b"GET /\x00 HTTP/1.1\r\nAuthorization: Bearer plut_%s\r\nCookie: session=%s\r\n\r\n",
    ]


async def send_raw(url: str, raw: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(raw)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()


def lines_of(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


@pytest.mark.parametrize("service", ["intake", "orders", "allocator", "notifier"])
async def test_malformed_requests_leave_no_credential_in_the_log(
    client: HubClient, stack: Stack, service: str
):
    process = stack[service]
    secret = f"s3cret-{uuid.uuid4().hex}"
    warned_before = sum(
        "malformed request refused" in line.get("event", "") for line in lines_of(process.log_path)
    )
    requests = malformed(secret)
    answers = [await send_raw(process.url, raw.replace(b"%s", secret.encode())) for raw in requests]

    async def logged() -> list[dict]:
        found = [
            line
            for line in lines_of(process.log_path)
            if "malformed request refused" in line.get("event", "")
        ]
        return found[warned_before:] if len(found) >= warned_before + len(requests) else []

    refused = await wait_until(logged, what="each malformed request logged")

    assert all(answer.startswith(b"HTTP/1.") and b" 400 " in answer[:20] for answer in answers)
    assert {line["level"] for line in refused} == {"warning"}, refused
    assert secret not in process.log_path.read_text(errors="replace")
