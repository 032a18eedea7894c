"""How uvicorn serves the app: on asyncio's event loop, with Nagle's algorithm off.

``cpts-snp serve`` passes :data:`EVENT_LOOP` and :data:`HTTP_PROTOCOL` to uvicorn, for one
process and for ``--workers N`` alike.
"""

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

EVENT_LOOP = "asyncio"
"""Python's own loop, not uvloop (uvicorn's default when it is installed). Under load uvloop
served new connections' first requests one loop turn apart: with 64 connections open, wrk
saw 24 new ones answered 50 ms apart, up to 1.6 s (tcpdump of bench.hot_paths's search), and
timeouts at 256 connections; asyncio takes every pending connection at once, for about 5 %
less throughput."""


class NoDelayHttpProtocol(HttpToolsProtocol):
    """Uvicorn's HTTP protocol on a socket sending each write at once (TCP_NODELAY).

    asyncio turns Nagle's algorithm off only on sockets it knows as TCP; with ``--workers N``
    uvicorn's shared listening socket does not say so, and an answer written in two parts
    (head, then body) waited for the client's delayed ACK: 40 ms for every search."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Turn Nagle's algorithm off on a TCP connection, then serve it."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]


HTTP_PROTOCOL = f"{__name__}:{NoDelayHttpProtocol.__name__}"
"""The protocol as uvicorn imports it in each worker process."""
