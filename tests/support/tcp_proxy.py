"""A TCP proxy on a loopback port that a test can cut: every open connection is closed at once
and new ones are refused until it is restored, as when the network between a service and its
database or broker goes away.

    proxy = await TcpProxy("127.0.0.1", 5432).start()   # services use proxy.port
    await proxy.cut()        # open connections closed; connecting is refused
    await proxy.restore()    # connections are taken again, on the same port
    await proxy.stop()
"""

import asyncio
from contextlib import suppress

from tests.support.stack import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, port: int | None = None) -> None:
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.accepted = 0  # connections taken since the start, for a test to see it was used
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> "TcpProxy":
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        return self

    @property
    def is_cut(self) -> bool:
        return self._server is None

    async def cut(self) -> None:
        """Stop listening (new connections are refused) and close both ends of every open one."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()  # at once, unflushed bytes dropped: the link is gone
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        await self.cut()

    async def _serve(self, client_reader, client_writer) -> None:
        self.accepted += 1
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._writers.discard(client_writer)
            client_writer.transport.abort()
            return
        self._writers.add(server_writer)
        if self.is_cut:  # cut while this one was connecting
            self._writers.difference_update((client_writer, server_writer))
            client_writer.transport.abort()
            server_writer.transport.abort()
            return
        pipes = [
            asyncio.create_task(_pipe(client_reader, server_writer)),
            asyncio.create_task(_pipe(server_reader, client_writer)),
        ]
        self._pipes.update(pipes)
        try:
            # Either side hanging up ends the connection for both.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            self._pipes.difference_update(pipes)
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
