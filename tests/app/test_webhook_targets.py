"""Webhooks never reach internal addresses: refused at registration, checked again after
resolution at delivery, called at the checked address; users see a generic failure only."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.main import create_app
from app.notifications import service, webhook_targets
from app.notifications.messages import Message
from app.notifications.models import Event, Notification
from app.notifications.webhook_targets import IPAddress
from app.notifications.worker import NotificationWorker
from tests.app.notification_receivers import (
    WEBHOOK_SECRET,
    Receiver,
    tls_listener,
    webhook_receiver,
)
from tests.factories import Territory, make_territory
from tests.live import free_port

LOOPBACK = [IPv4Network("127.0.0.1/32")]
INTERNAL_URLS = [
    "http://127.0.0.1:8000/v1/referrals/purge",
    "http://localhost:8000/hooks",
    "http://2130706433/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hooks",
    "http://172.16.3.4/hooks",
    "http://192.168.1.1/hooks",
    "http://100.64.0.1/hooks",
    "http://0.0.0.0:8000/hooks",
    "http://224.0.0.1/hooks",
    "http://240.0.0.1/hooks",
    "http://[::1]:8000/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://[fc00::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://[ff02::1]/hooks",
    "ftp://files.example.org/hooks",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "https://name-that-does-not-resolve.invalid/hooks",
]


def register(client: TestClient, headers: dict[str, str], url: str) -> dict[str, Any]:
    """PUT the caller's webhook channel; returns the answer's status and body."""
    body = {"webhook": {"url": url, "secret": WEBHOOK_SECRET}}
    response = client.put("/v1/me/notification-channels", headers=headers, json=body)
    return {"status": response.status_code, **response.json()}


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_or_non_http_webhook_is_refused_at_registration(
    client: TestClient, session: Session, url: str
) -> None:
    territory = make_territory(session)
    answer = register(client, territory.headers, url)
    assert answer["status"] == 422, answer
    assert answer["error"]["fields"][0]["field"] == "webhook.url"
    channels = client.get("/v1/me/notification-channels", headers=territory.headers).json()
    assert channels["webhook"] is None


def test_public_address_is_accepted_and_an_allowed_network_opens_a_private_one(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    territory = make_territory(session)
    allowing = create_app(
        Settings(
            run_jobs=False,
            webhook_allowed_networks=[IPv4Network("10.1.2.0/24"), IPv6Network("::1/128")],
        ),
        session_factory=session_factory,
    )
    with TestClient(allowing) as client:
        assert register(client, territory.headers, "https://93.184.215.14/hooks")["status"] == 200
        assert register(client, territory.headers, "http://10.1.2.3:9000/hooks")["status"] == 200
        assert register(client, territory.headers, "http://[::1]:9000/hooks")["status"] == 200
        outside = register(client, territory.headers, "http://10.1.3.3:9000/hooks")
        assert (
            outside["status"] == 422
            and "10.1.3.3, a private address" in outside["error"]["message"]
        )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://files.example.org/hooks", "only http:// and https://"),
        ("http://0.0.0.0/hooks", "an unspecified address"),
        ("http://240.0.0.1/hooks", "a reserved address"),
        ("http://[::ffff:169.254.169.254]/", "a link-local address"),
    ],
)
def test_a_stored_target_is_checked_again_before_any_call(url: str, reason: str) -> None:
    with pytest.raises(webhook_targets.RefusedTarget, match=reason):
        webhook_targets.check(url, allowed=[])


@dataclass
class FakeDns:
    """Answers for host names, as a DNS server that changes its answer would give them."""

    answers: dict[str, list[list[str]]]
    asked: int = 0

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The next answer for ``host`` (the last one repeats); literal addresses as they are."""
        if host not in self.answers:
            return [ip_address(host)]
        self.asked += 1
        queue = self.answers[host]
        return [ip_address(a) for a in (queue.pop(0) if len(queue) > 1 else queue[0])]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP webhook receiver on 127.0.0.1."""
    with webhook_receiver() as endpoint:
        yield endpoint


def _notify(session: Session, territory: Territory) -> None:
    message = Message(Event.coverage_gap, "Trou de couverture", "Il manque un médecin.")
    service.enqueue(
        session,
        cpts_id=territory.cpts.id,
        user_ids=[territory.coordinator.id],
        key="gap-1",
        message=message,
    )
    session.commit()


def _deliver(
    session: Session, factory: sessionmaker[Session], allowed: list[IPv4Network | IPv6Network]
) -> Notification:
    worker = NotificationWorker(factory, Settings(run_jobs=False, webhook_allowed_networks=allowed))
    assert worker.run_pending() == 1
    session.expire_all()
    return session.scalars(select(Notification)).one()


def _register_allowed(
    session_factory: sessionmaker[Session], headers: dict[str, str], url: str
) -> None:
    app = create_app(
        Settings(run_jobs=False, webhook_allowed_networks=LOOPBACK), session_factory=session_factory
    )
    with TestClient(app) as client:
        assert register(client, headers, url)["status"] == 200


def test_an_address_no_longer_allowed_is_not_called_at_delivery(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    territory = make_territory(session)
    _register_allowed(session_factory, territory.headers, receiver.url)
    _notify(session, territory)
    with caplog.at_level(logging.WARNING):
        row = _deliver(session, session_factory, allowed=[])
    assert receiver.calls == []
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "delivery failed")
    assert "127.0.0.1, a loopback address" in caplog.text
    shown = client.get("/v1/notifications?status=failed", headers=territory.headers).json()
    assert [n["last_error"] for n in shown["items"]] == ["delivery failed"]


def test_dns_rebinding_to_an_internal_address_is_refused_at_delivery(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns = FakeDns({"hooks.cpts.test": [["93.184.215.14"], ["127.0.0.1"]]})
    monkeypatch.setattr(webhook_targets, "resolve", dns.resolve)
    territory = make_territory(session)
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://hooks.cpts.test:{port}/hooks/snp"
    assert register(client, territory.headers, url)["status"] == 200
    _notify(session, territory)
    row = _deliver(session, session_factory, allowed=[])
    assert receiver.calls == [] and row.status == "failed" and dns.asked == 2


def test_delivery_connects_to_the_address_it_checked_with_the_name_as_host(
    session: Session,
    session_factory: sessionmaker[Session],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns = FakeDns({"hooks.cpts.test": [["127.0.0.1"], ["127.0.0.1"], ["10.9.9.9"]]})
    monkeypatch.setattr(webhook_targets, "resolve", dns.resolve)
    territory = make_territory(session)
    port = receiver.url.split(":")[2].split("/")[0]
    _register_allowed(
        session_factory, territory.headers, f"http://hooks.cpts.test:{port}/hooks/snp"
    )
    _notify(session, territory)
    row = _deliver(session, session_factory, allowed=LOOPBACK)
    # sent, although the name resolves nowhere for the system resolver: the call went to the
    # address checked, and the name was asked once at delivery (then the answer changed)
    assert row.status == "sent" and dns.asked == 2
    assert [c.headers["Host"] for c in receiver.calls] == [f"hooks.cpts.test:{port}"]
    assert receiver.calls[0].signature_is_valid()


def test_https_delivery_names_the_host_in_sni_and_verifies_its_certificate(
    session: Session,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(
        webhook_targets, "resolve", FakeDns({"hooks.cpts.test": [["127.0.0.1"]]}).resolve
    )
    territory = make_territory(session)
    with tls_listener() as listener:
        url = f"https://hooks.cpts.test:{listener.port}/hooks/snp"
        _register_allowed(session_factory, territory.headers, url)
        _notify(session, territory)
        with caplog.at_level(logging.INFO):
            row = _deliver(session, session_factory, allowed=LOOPBACK)
    assert listener.server_names == ["hooks.cpts.test"]
    assert listener.handshakes != ["done"]
    assert (row.status, row.last_error) == ("pending", "delivery failed")
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_a_failed_attempt_shows_users_a_generic_error_and_logs_the_details(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    territory = make_territory(session)
    _register_allowed(session_factory, territory.headers, f"http://127.0.0.1:{free_port()}/hooks")
    _notify(session, territory)
    with caplog.at_level(logging.INFO):
        row = _deliver(session, session_factory, allowed=LOOPBACK)
    assert (row.status, row.last_error) == ("pending", "delivery failed")
    assert "ConnectError" in caplog.text
    mine = client.get("/v1/notifications", headers=territory.headers).json()["items"]
    assert [n["last_error"] for n in mine] == ["delivery failed"]


def test_allowed_networks_are_read_comma_separated_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "10.20.0.0/16, 192.168.1.7,fd00::/8")
    assert Settings().webhook_allowed_networks == [
        IPv4Network("10.20.0.0/16"),
        IPv4Network("192.168.1.7/32"),
        IPv6Network("fd00::/8"),
    ]
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "10.20.0.1/16")
    with pytest.raises(ValidationError, match="webhook_allowed_networks"):
        Settings()
