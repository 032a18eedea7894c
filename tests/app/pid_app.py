"""An ASGI app answering each request with its process id: which worker served it."""

import os
from typing import Any


async def app(scope: dict[str, Any], _receive: Any, send: Any) -> None:
    """Answer an HTTP request with this process's id as text."""
    body = str(os.getpid()).encode()
    length = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": length})
    await send({"type": "http.response.body", "body": body})
