"""How ``cpts-snp serve`` runs uvicorn: asyncio's loop, and every TCP connection sending its
writes at once, also on the listening socket ``--workers N`` shares (which asyncio does not
recognise as TCP, so it leaves Nagle's algorithm on)."""

import asyncio
import socket
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app import cli
from app.serving import EVENT_LOOP, HTTP_PROTOCOL, NoDelayHttpProtocol


def _no_app(*_args: Any) -> None:
    """No request reaches an app in these tests."""


def test_serve_passes_the_loop_and_protocol_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.schema, "upgrade", lambda _url: None)
    monkeypatch.setattr(cli, "serve", lambda *a, **kw: served.append(kw))
    cli.main(["serve", "--workers", "2"])
    assert served[0]["workers"] == 2
    assert served[0]["loop"] == EVENT_LOOP == "asyncio"
    config = uvicorn.Config(app=_no_app, http=served[0]["http"])
    config.load()
    assert config.http_protocol_class is NoDelayHttpProtocol


async def _nodelay_of_accepted(protocol: type[HttpToolsProtocol]) -> int:
    """Accept one connection on a listening socket made as uvicorn makes it for workers,
    served by ``protocol``; the accepted socket's TCP_NODELAY."""
    listening = socket.socket(family=socket.AF_INET)  # proto 0, as uvicorn's bind_socket
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app=_no_app, http=protocol)
    config.load()
    state = ServerState()
    server = await asyncio.get_running_loop().create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), sock=listening
    )
    try:
        _reader, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if state.connections:
                break
            await asyncio.sleep(0.01)
        (served,) = state.connections
        accepted = served.transport.get_extra_info("socket")
        writer.close()
        return int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        server.close()


def test_connections_of_a_shared_listening_socket_send_at_once() -> None:
    assert HTTP_PROTOCOL == "app.serving:NoDelayHttpProtocol"
    assert asyncio.run(_nodelay_of_accepted(HttpToolsProtocol)) == 0, "asyncio leaves it on"
    assert asyncio.run(_nodelay_of_accepted(NoDelayHttpProtocol)) != 0
