"""The WhatsApp Cloud API stub (tests/support/provider_stubs.py) in a process of its own, so that
taking thousands of messages a second does not slow the suite's own measuring, and vice versa.

    python -m bench.whatsapp_stub        # prints {"base_url", "phone_number_id", ...} and serves

The first line on stdout is JSON: the stub's base URL and credentials (for the notifier's
WHATSAPP_* settings) and `control_url`. `GET <control_url>/deliveries?since=N` answers the
messages it accepted from the N-th on, each `[template, order id, at, to]`: `at` is
`time.monotonic()` when it accepted it (CLOCK_MONOTONIC, comparable across processes), and the
order id is the one parameter that is a UUID (a buyer's message's; else null). It keeps no copy
of each request (the stub's `received`), so a long soak does not grow it beyond the deliveries
themselves.
"""

import asyncio
import json
import signal
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import serve_locally


class _Forgetful(list):
    def append(self, _item) -> None:  # the stub's record of every request, not kept
        pass


@dataclass
class LeanWhatsAppStub(WhatsAppCloudStub):
    received: list = field(default_factory=_Forgetful)


def _order_id(parameters: tuple[str, ...]) -> str | None:
    """The full order id among a buyer's message's parameters (the tracking link comes after
    it, so it is not the last one), or None."""
    for parameter in parameters:
        try:
            return str(uuid.UUID(parameter))
        except ValueError:
            continue
    return None


async def main() -> None:
    stub = await LeanWhatsAppStub().start()

    async def deliveries(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        rows = [[d.template, _order_id(d.parameters), d.at, d.to] for d in stub.deliveries[since:]]
        return web.json_response({"total": len(stub.deliveries), "deliveries": rows})

    control = web.Application()
    control.router.add_get("/deliveries", deliveries)
    runner, port = await serve_locally(control)
    print(
        json.dumps(
            {
                "base_url": stub.base_url,
                "phone_number_id": stub.phone_number_id,
                "access_token": stub.access_token,
                "control_url": f"http://127.0.0.1:{port}",
            }
        ),
        flush=True,
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await runner.cleanup()
    await stub.stop()


if __name__ == "__main__":
    asyncio.run(main())
