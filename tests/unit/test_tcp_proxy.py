"""The faults suite's TCP proxy: bytes pass both ways; a cut closes what is open and refuses
what comes, until it is restored on the same port."""

import asyncio

import pytest

from tests.support.tcp_proxy import TcpProxy


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


async def round_trip(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await reader.readexactly(len(data))
    finally:
        writer.close()
        await writer.wait_closed()


async def test_a_cut_closes_open_connections_and_refuses_new_ones_until_restored():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    proxy = await TcpProxy("127.0.0.1", server.sockets[0].getsockname()[1]).start()
    try:
        assert await round_trip(proxy.port, b"halo") == b"halo"
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        assert await reader.readexactly(1) == b"x"

        await proxy.cut()
        try:
            closed = await reader.read(1) == b""
        except ConnectionResetError:
            closed = True
        assert closed, "the open connection was closed"
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.close()

        await proxy.restore()
        assert await round_trip(proxy.port, b"lagi") == b"lagi"
        assert proxy.accepted == 3
    finally:
        await proxy.stop()
        server.close()
        await server.wait_closed()
