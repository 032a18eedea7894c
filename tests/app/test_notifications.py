"""Notifications: outbox in the event's transaction, real SMTP and webhook delivery,
retries with backoff, restart safety, no patient identity, channels and listing API."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from ipaddress import IPv4Network
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth import Principal
from app.base import utcnow
from app.clock import get_now
from app.config import Settings
from app.db import make_session_factory
from app.main import create_app
from app.notifications import service as notify
from app.notifications import worker as worker_module
from app.notifications.models import Notification
from app.notifications.worker import LEASE, NotificationWorker
from app.referrals import booking as referral_booking
from app.referrals.schemas import ReferralCreate
from app.rotations.jobs import JobRunner
from app.rotations.solver_process import SolverProcess
from app.schema import upgrade
from app.users.models import Role, User
from tests.app.notification_receivers import (
    WEBHOOK_SECRET,
    Mailbox,
    Receiver,
    smtp_server,
    webhook_receiver,
)
from tests.app.rotation_scenarios import make_scenario, solved_rotation
from tests.app.slot_scenarios import PATIENT, BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock, configured_client
from tests.databases import BACKENDS, drop_database, fresh_database
from tests.factories import make_user_headers

PATIENT_NAME = "Josiane Zébulon"
NAMED_PATIENT = {**PATIENT, "display_name": PATIENT_NAME}
API_NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
LOOPBACK = [IPv4Network("127.0.0.1/32")]


@pytest.fixture
def client(built_app: FastAPI, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API, allowing webhooks to the test receivers on 127.0.0.1."""
    settings = Settings(run_jobs=False, webhook_allowed_networks=LOOPBACK)
    with configured_client(
        built_app, settings, session_factory, raise_server_exceptions=True
    ) as test_client:
        yield test_client


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on localhost."""
    with smtp_server() as box:
        yield box


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP webhook receiver on 127.0.0.1."""
    with webhook_receiver() as endpoint:
        yield endpoint


class WorkerClock:
    """The delivery worker's notion of now, moved by the test (no sleeps)."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=1)

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


def make_worker(
    factory: sessionmaker[Session], mailbox: Mailbox, clock: WorkerClock, **settings: object
) -> NotificationWorker:
    """A worker sending to the test's SMTP server, on the test's clock."""
    config = Settings(
        run_jobs=False,
        webhook_allowed_networks=LOOPBACK,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_security="none",
        **settings,  # type: ignore[arg-type]
    )
    return NotificationWorker(factory, config, clock=lambda: clock.now)


def subscribe(
    client: TestClient, headers: dict[str, str], *, email: str | None, webhook: str | None
) -> None:
    """Set the user's channels through the API."""
    body = {
        "email": {"address": email} if email else None,
        "webhook": {"url": webhook, "secret": WEBHOOK_SECRET} if webhook else None,
    }
    response = client.put("/v1/me/notification-channels", headers=headers, json=body)
    assert response.status_code == 200, response.text


@dataclass(frozen=True)
class Subscribed:
    """A booking scenario whose first offer's practitioner listens on both channels."""

    booking: BookingScenario
    slot_id: int
    practitioner: dict[str, str]


def subscribed_booking(
    client: TestClient,
    session: Session,
    runner: JobRunner,
    receiver: Receiver,
    *,
    email: bool = True,
) -> Subscribed:
    """The booking scenario, the first offered slot, and its practitioner subscribed."""
    booking = make_booking_scenario(client, session, runner)
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    headers = booking.practitioner_headers(session, offer["practitioner"]["id"])
    session.commit()
    address = "dr.docteur@medecin.mssante.fr" if email else None
    subscribe(client, headers, email=address, webhook=receiver.url)
    return Subscribed(booking, offer["slot_id"], headers)


def assert_no_identity(mailbox: Mailbox, receiver: Receiver) -> None:
    """No patient name or phone in any e-mail (subject or body) or webhook."""
    for message in mailbox.messages:
        text = str(message["Subject"]) + message.get_content()
        assert PATIENT_NAME not in text and "0612345678" not in text
    for call in receiver.calls:
        text = call.body.decode()
        assert PATIENT_NAME not in text and "Zébulon" not in text and "0612345678" not in text


def statuses(session: Session) -> list[tuple[str, str, int]]:
    """(channel, status, attempts) of every outbox row."""
    rows = session.execute(
        select(Notification.channel, Notification.status, Notification.attempts).order_by(
            Notification.id
        )
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_booking_sends_exactly_one_email_and_one_signed_webhook_without_identity(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    setup = subscribed_booking(client, session, job_runner, receiver)
    booked = book(client, setup.booking, setup.slot_id, patient=NAMED_PATIENT)
    assert booked.status_code == 201, booked.text
    worker = make_worker(session_factory, mailbox, WorkerClock())
    assert worker.run_pending() == 2
    assert worker.run_pending() == 0
    assert len(mailbox.messages) == 1 and len(receiver.calls) == 1
    email, call = mailbox.messages[0], receiver.calls[0]
    assert email["To"] == "dr.docteur@medecin.mssante.fr"
    assert str(email["Subject"]).startswith("Nouveau patient orienté : mardi 12 janvier 2027")
    assert f"Orientation n° {booked.json()['id']}" in email.get_content()
    assert call.signature_is_valid()
    assert not call.signature_is_valid("another-secret-0123456789")
    document = json.loads(call.body)
    assert document["event"] == "referral_booked"
    assert document["data"]["referral_id"] == booked.json()["id"]
    assert call.headers["X-SNP-Event"] == "referral_booked"
    assert_no_identity(mailbox, receiver)
    listed = client.get("/v1/notifications", headers=setup.practitioner).json()
    assert [(n["channel"], n["status"]) for n in listed["items"]] == [
        ("webhook", "sent"),
        ("email", "sent"),
    ]


def test_refused_or_rolled_back_booking_sends_nothing(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    setup = subscribed_booking(client, session, job_runner, receiver)
    clock.now = datetime(2027, 1, 13, 18, 0, tzinfo=UTC)  # the slot is in the past: 409
    refused = book(client, setup.booking, setup.slot_id)
    assert refused.status_code == 409
    clock.now = API_NOW
    with session_factory() as transaction:
        _book_directly(transaction, setup)
        assert transaction.scalar(select(func.count()).select_from(Notification)) == 2
        transaction.rollback()
    assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert make_worker(session_factory, mailbox, WorkerClock()).run_pending() == 0
    assert mailbox.messages == [] and receiver.calls == []


def _book_directly(session: Session, setup: Subscribed) -> None:
    """Book through the service in the caller's transaction (for rollback tests)."""
    pharmacist = session.scalars(
        select(User).where(User.pharmacy_id == setup.booking.pharmacy_id)
    ).first()
    assert pharmacist is not None
    principal = Principal(
        user_id=pharmacist.id,
        cpts_id=pharmacist.cpts_id,
        role=Role.pharmacist,
        practitioner_id=None,
        pharmacy_id=setup.booking.pharmacy_id,
    )
    data = ReferralCreate.model_validate(
        {"slot_id": setup.slot_id, "patient": NAMED_PATIENT, "reason_category": "infection"}
    )
    referral_booking.book(session, principal=principal, data=data, key="direct", now=API_NOW)


def test_receiver_failing_twice_gets_it_on_the_third_try_with_backoff(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    setup = subscribed_booking(client, session, job_runner, receiver, email=False)
    receiver.failures = 2
    assert book(client, setup.booking, setup.slot_id).status_code == 201
    worker_clock = WorkerClock()
    worker = make_worker(session_factory, mailbox, worker_clock, notify_retry_seconds=60)
    assert worker.run_pending() == 1
    assert statuses(session) == [("webhook", "pending", 1)]
    worker_clock.advance(59)
    assert worker.run_pending() == 0
    worker_clock.advance(1)
    assert worker.run_pending() == 1
    worker_clock.advance(119)
    assert worker.run_pending() == 0
    worker_clock.advance(1)
    assert worker.run_pending() == 1
    assert statuses(session) == [("webhook", "sent", 3)]
    assert [c.headers["X-SNP-Delivery"] for c in receiver.calls] == [
        receiver.calls[0].headers["X-SNP-Delivery"]
    ] * 3
    assert all(c.signature_is_valid() for c in receiver.calls)


def test_final_failure_is_recorded_and_shown_to_the_coordinator_only(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    setup = subscribed_booking(client, session, job_runner, receiver, email=False)
    receiver.failures = 99
    assert book(client, setup.booking, setup.slot_id).status_code == 201
    worker_clock = WorkerClock()
    worker = make_worker(session_factory, mailbox, worker_clock, notify_max_attempts=2)
    assert worker.run_pending() == 1
    worker_clock.advance(3600)
    assert worker.run_pending() == 1
    worker_clock.advance(3600)
    assert worker.run_pending() == 0
    assert statuses(session) == [("webhook", "failed", 2)]
    failed = client.get("/v1/notifications?status=failed", headers=setup.booking.coordinator)
    assert [n["last_error"] for n in failed.json()["items"]] == ["delivery failed"]
    own = client.get("/v1/notifications", headers=setup.booking.coordinator).json()
    assert own["total"] == 0
    pharmacist = client.get("/v1/notifications?status=failed", headers=setup.booking.pharmacist)
    assert pharmacist.json()["total"] == 0


def test_cancel_tells_the_practitioner(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    setup = subscribed_booking(client, session, job_runner, receiver)
    referral_id = book(client, setup.booking, setup.slot_id).json()["id"]
    cancel = client.post(f"/v1/referrals/{referral_id}/cancel", headers=setup.booking.pharmacist)
    assert cancel.status_code == 200
    assert make_worker(session_factory, mailbox, WorkerClock()).run_pending() == 4
    subjects = [str(m["Subject"]) for m in mailbox.messages]
    assert subjects[1].startswith("Orientation annulée : mardi 12 janvier 2027")
    events = [json.loads(c.body)["event"] for c in receiver.calls]
    assert events == ["referral_booked", "referral_cancelled"]


def test_publish_and_a_cancelled_shift_tell_practitioners_and_the_coordinator(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    scenario = make_scenario(session)
    cpts_id = scenario.territory.cpts.id
    for gp in scenario.gps:
        headers = make_user_headers(
            session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=gp.id
        )
        session.commit()
        subscribe(client, headers, email=f"gp{gp.id}@example.org", webhook=None)
    subscribe(client, scenario.territory.headers, email=None, webhook=receiver.url)
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
    )
    headers = scenario.territory.headers
    assert client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers).status_code == 200
    shifts = client.get(f"/v1/rotations/{rotation_id}/shifts?limit=200", headers=headers).json()
    shift = next(s for s in shifts["items"] if s["day"] == "2027-01-20")
    cancelled = client.post(
        f"/v1/rotations/{rotation_id}/shifts/{shift['id']}/cancel",
        headers=headers,
        json={"reason": "arrêt maladie"},
    )
    assert cancelled.status_code == 200
    make_worker(session_factory, mailbox, WorkerClock()).run_pending()
    subjects = sorted(str(m["Subject"]) for m in mailbox.messages)
    published = [s for s in subjects if s.startswith("Planning d'astreinte publié")]
    assert len(published) == len(scenario.gps)
    assert subjects.count("Votre planning d'astreinte a été modifié") == 1
    assert [json.loads(c.body)["event"] for c in receiver.calls] == ["coverage_gap"]
    gap = json.loads(receiver.calls[0].body)["data"]["gaps"]
    assert [(g["day"], g["missing"]) for g in gap] == [("2027-01-20", 1)]
    assert all(n.cpts_id == cpts_id for n in session.scalars(select(Notification)))


def test_reminder_the_day_before_is_written_once_per_shift(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    for gp in booking.scenario.gps:
        headers = booking.practitioner_headers(session, gp.id)
        subscribe(client, headers, email=f"gp{gp.id}@example.org", webhook=None)
    early = datetime(2027, 1, 11, 6, 30, tzinfo=UTC)  # 07:30 in Paris: too early
    assert notify.enqueue_reminders(session, now=early) == 0
    morning = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    assert notify.enqueue_reminders(session, now=morning) == 1
    assert notify.enqueue_reminders(session, now=morning + timedelta(hours=3)) == 0
    reminder = session.scalars(select(Notification)).one()
    assert reminder.subject == "Rappel : astreinte demain, mardi 12 janvier 2027"
    assert reminder.idempotency_key.startswith("shift_reminder:")


def test_channels_are_the_callers_own_and_never_show_the_secret(
    client: TestClient, session: Session, job_runner: JobRunner, receiver: Receiver
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    headers = booking.practitioner_headers(session, booking.scenario.gps[0].id)
    no_secret = client.put(
        "/v1/me/notification-channels", headers=headers, json={"webhook": {"url": receiver.url}}
    )
    assert no_secret.status_code == 422
    assert no_secret.json()["error"]["fields"][0]["field"] == "webhook.secret"
    bad_email = client.put(
        "/v1/me/notification-channels", headers=headers, json={"email": {"address": "nope"}}
    )
    assert bad_email.status_code == 422
    subscribe(client, headers, email="a@example.org", webhook=receiver.url)
    kept = client.put(
        "/v1/me/notification-channels",
        headers=headers,
        json={"webhook": {"url": receiver.url}},
    )
    assert kept.status_code == 200 and WEBHOOK_SECRET not in kept.text
    assert kept.json()["email"] == {"kind": "email", "target": "a@example.org", "enabled": False}
    assert kept.json()["webhook"]["enabled"] is True
    other = client.get("/v1/me/notification-channels", headers=booking.pharmacist).json()
    assert other == {"email": None, "webhook": None}


@pytest.mark.parametrize("backend", BACKENDS)
def test_restarted_worker_neither_loses_nor_duplicates_with_real_commits(
    backend: str,
    tmp_path: Path,
    solver_process: SolverProcess,
    mailbox: Mailbox,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, schema = fresh_database(backend, tmp_path)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        factory = make_session_factory(engine)
        app = create_app(
            Settings(run_jobs=False, webhook_allowed_networks=LOOPBACK), session_factory=factory
        )
        app.dependency_overrides[get_now] = lambda: API_NOW
        client = TestClient(app)
        with factory() as session:
            booking = make_booking_scenario(
                client, session, JobRunner(factory, solver_process=solver_process)
            )
            for gp in booking.scenario.gps:
                headers = booking.practitioner_headers(session, gp.id)
                session.commit()
                subscribe(client, headers, email=f"gp{gp.id}@example.org", webhook=receiver.url)
        offers = client.get("/v1/slots", headers=booking.pharmacist).json()["items"]
        assert len(offers) >= 2
        for n, offer in enumerate(offers):
            assert book(client, booking, offer["slot_id"], key=f"k{n}").status_code == 201
        clock = WorkerClock()
        first = make_worker(factory, mailbox, clock)
        assert first.run_pending(limit=2) == 2
        monkeypatch.setattr(worker_module, "deliver", _die)
        with pytest.raises(SystemExit):
            first.run_pending()
        monkeypatch.undo()
        restarted = make_worker(factory, mailbox, clock)
        assert restarted.run_pending() == 2 * len(offers) - 3
        clock.advance(LEASE.total_seconds() + 1)
        assert restarted.release_stale() == 1
        assert restarted.run_pending() == 1
        assert restarted.run_pending() == 0
        with factory() as session:
            rows = statuses(session)
        assert len(rows) == 2 * len(offers) and {status for _, status, _ in rows} == {"sent"}
        assert len(mailbox.messages) == len(receiver.calls) == len(offers)
        delivered = {json.loads(c.body)["data"]["referral_id"] for c in receiver.calls}
        assert len(delivered) == len(offers)
    finally:
        drop_database(engine, schema)


def _die(*_args: object, **_kwargs: object) -> None:
    """The process is killed while sending."""
    raise SystemExit("killed")
