"""A service process of a test's own beside the shared stack, for what must not touch the
stack's processes: settings of its own (trusted proxies, Secure cookies, a metrics token), or
memory of its own (how many wrong tokens a source has sent)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.stack import Stack
from tools.local_services import ServiceProcess


@asynccontextmanager
async def own_replica(
    stack: Stack, name: str, log_dir: Path, env: dict[str, str]
) -> AsyncIterator[ServiceProcess]:
    # The defaults an attacker meets, not the shared stack's leniency (stack_env.py).
    replica = stack.replica(name, log_dir / f"{name}-own.log", {"GUESS_FREE_FAILURES": "", **env})
    replica.start()
    try:
        await replica.wait_ready()
        yield replica
    finally:
        await asyncio.to_thread(replica.stop)
