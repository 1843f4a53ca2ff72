"""How long a person waits for the answer to an order by chat: from their tap on the confirm
button (the signed webhook posted to the notifier) to the reply with the order's code accepted
by the WhatsApp Cloud API stub.

    .venv/bin/python -m bench.whatsapp_chat                   # 40 orders, one chat at a time
    .venv/bin/python -m bench.whatsapp_chat --orders 200 --chats 8 --json out.json

The whole stack runs in one sandbox as in the tests (`tests/support/stack.py`, the notifier
with its own partner key for a hub of its own: `tests/support/chat.py`), the stubs in this
process. Each chat goes through PESAN, the hub, the product and the quantity unmeasured, then
taps "Ya, pesan": the time from just before that webhook is posted to the stub accepting the
reply. In between: the webhook recorded and answered, the inbound worker woken, the order placed
through the orders API (its Idempotency-Key from the tap's id) and read back by its code, the
reply recorded, routed and sent. `--chats` of them at once, each a number of its own.
"""

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

from bench.measure import latency_summary
from shared.logging import configure_logging
from tests.support.chat import Chat, chat_hub, next_reply, replies
from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub
from tests.support.stack import Stack
from tests.support.stack_env import connect_webhooks, stack_env
from tools.sandbox import sandbox


async def one_order(chat: Chat, hub: str, sku: str) -> float:
    """Seconds from the confirm tap to the reply accepted."""
    await chat.says("pesan")
    await chat.picks(f"hub:{hub}")
    await chat.picks(f"sku:{sku}")
    await chat.says(str(random.randint(1, 5)))
    seen = len(replies(chat.whatsapp, chat.phone))
    tapped = time.monotonic()
    await chat.whatsapp.button_reply(chat.phone, "order:yes", "Ya, pesan", name=chat.name)
    await next_reply(chat.whatsapp, chat.phone, seen)
    accepted = [d for d in chat.whatsapp.to(chat.phone) if d.reply is not None][seen]
    return accepted.at - tapped


async def run(args: argparse.Namespace) -> dict:
    logs = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    mailbox = Mailbox()
    mailbox.start()
    whatsapp = await WhatsAppCloudStub().start()
    sms = await SmsGatewayStub().start()
    try:
        async with sandbox() as box:
            env = stack_env(mailbox, whatsapp, sms) | {"CHAT_MESSAGES_PER_MINUTE": "1000"}
            stack = Stack.plan(
                database_url=box.database_url, amqp_url=box.amqp_url, log_dir=logs, extra_env=env
            )
            connect_webhooks(stack["notifier"].url, whatsapp, sms)
            await stack.start()
            try:
                shop = await chat_hub(stack, box.database_url)
                per_chat = -(-args.orders // args.chats)

                async def chatting(n: int) -> list[float]:
                    chat = Chat(whatsapp, f"+62815{n:04d}{random.randint(0, 9999):04d}")
                    return [await one_order(chat, shop.hub, shop.sku) for _ in range(per_chat)]

                started = time.monotonic()
                waits = await asyncio.gather(*(chatting(n) for n in range(args.chats)))
                seconds = time.monotonic() - started
            finally:
                stack.stop()
    finally:
        await whatsapp.stop()
        await sms.stop()
        mailbox.stop()
    flat = [w for chat in waits for w in chat]
    return {
        "chats": args.chats,
        "orders": len(flat),
        "seconds": round(seconds, 1),
        "confirm_to_reply": latency_summary(flat),
        "logs": str(logs),
    }


def report(results: dict) -> str:
    waited = results["confirm_to_reply"]
    return (
        f"order by chat, {results['orders']} orders, {results['chats']} chat(s) at once: "
        f"confirm tapped -> reply accepted p50 {waited['p50_ms']} ms, "
        f"p99 {waited['p99_ms']} ms, max {waited['max_ms']} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--chats", type=int, default=1)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    configure_logging("bench", "console", "WARNING")
    figures = asyncio.run(run(arguments))
    print(report(figures))
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2))
