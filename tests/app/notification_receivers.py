"""Real local receivers for notification tests: an SMTP server, an HTTP webhook endpoint and
a TLS listener, all on 127.0.0.1 only, started and stopped by the test."""

import hashlib
import hmac
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.live import free_port

WEBHOOK_SECRET = "test-webhook-secret-0123456789"
CERTS = Path(__file__).parent / "certs"


@dataclass
class Mailbox:
    """What the SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        """aiosmtpd hook: keep the parsed message."""
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """An aiosmtpd server on a free local port."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class Call:
    """One webhook request as received."""

    headers: dict[str, str]
    body: bytes

    def signature_is_valid(self, secret: str = WEBHOOK_SECRET) -> bool:
        """Recompute HMAC-SHA256 of ``timestamp.body`` as a receiver would."""
        signed = self.headers["X-SNP-Timestamp"].encode() + b"." + self.body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers["X-SNP-Signature"])


@dataclass
class Receiver:
    """A webhook endpoint that answers 500 to its first ``failures`` calls, then 204."""

    url: str = ""
    failures: int = 0
    calls: list[Call] = field(default_factory=list)

    def answer(self, call: Call) -> int:
        """Record the call and choose the status code."""
        self.calls.append(call)
        return 500 if len(self.calls) <= self.failures else 204


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.answer(Call(dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1, in a thread."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/snp"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class TlsListener:
    """A TLS endpoint with a self-signed certificate for ``hooks.cpts.test``: it records the
    server name (SNI) each client asks for and how the handshake ended."""

    port: int = 0
    server_names: list[str | None] = field(default_factory=list)
    handshakes: list[str] = field(default_factory=list)


@contextmanager
def tls_listener() -> Iterator[TlsListener]:
    """Accept one TLS connection on 127.0.0.1, in a thread."""
    listener = TlsListener()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERTS / "hooks.cpts.test.pem", CERTS / "hooks.cpts.test.key")
    context.sni_callback = lambda _socket, name, _context: listener.server_names.append(name)
    server = socket.create_server(("127.0.0.1", 0))
    listener.port = server.getsockname()[1]

    def accept_one() -> None:
        connection, _ = server.accept()
        try:
            with context.wrap_socket(connection, server_side=True):
                listener.handshakes.append("done")
        except (ssl.SSLError, OSError) as exc:
            listener.handshakes.append(type(exc).__name__)

    thread = threading.Thread(target=accept_one, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        thread.join(timeout=5)
        server.close()
