"""The server's own listening socket (app/cli/tools._listen, bound before the banner) gives
connections that send small writes at once, as uvicorn's own bind would."""

from __future__ import annotations

import asyncio
import socket

from app.cli.tools import _listen


def test_connections_of_the_servers_socket_turn_nagle_off() -> None:
    """asyncio sets TCP_NODELAY on a connection only when its socket's protocol is TCP; a
    socket made with protocol 0 left Nagle's algorithm on, and every response of a kept-alive
    connection waited ~40 ms for the client's delayed ACK. Served the way uvicorn serves the
    socket it is given (``loop.create_server(sock=...)``)."""
    sock = _listen("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    accepted: asyncio.Queue[int] = asyncio.Queue()

    class Note(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made = transport.get_extra_info("socket")
            accepted.put_nowait(made.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def connect() -> int:
        server = await asyncio.get_running_loop().create_server(Note, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(host, port)
            nodelay = await asyncio.wait_for(accepted.get(), timeout=10)
            writer.close()
            return nodelay

    assert asyncio.run(connect()) != 0
