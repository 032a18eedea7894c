"""Messages: a referral's thread (visibility, audit, purge), the on-call channel of the day
(who may open it, no patient identity), read marks and unread counts, the delayed notice of
an unread message, the posting rate limit."""

from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.audit import AuditEntry
from app.config import Settings
from app.events.models import StreamEvent
from app.messaging.service import enqueue_unread_notices
from app.notifications.models import Notification
from app.notifications.worker import UNREAD_EVERY, NotificationWorker
from app.rotations.jobs import JobRunner
from tests.app.slot_scenarios import BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock

TODAY = "2027-01-12"
DELAY = timedelta(minutes=10)


@dataclass(frozen=True)
class Thread:
    """A booked referral: its pharmacist, its practitioner, and the thread's URL."""

    booking: BookingScenario
    referral_id: int
    practitioner_id: int
    practitioner: dict[str, str]

    @property
    def url(self) -> str:
        """The referral's messages."""
        return f"/v1/referrals/{self.referral_id}/messages"


def booked_thread(client: TestClient, session: Session, runner: JobRunner) -> Thread:
    """The booking scenario with today's first slot booked."""
    booking = make_booking_scenario(client, session, runner)
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    referral = book(client, booking, offer["slot_id"])
    assert referral.status_code == 201, referral.text
    practitioner_id = offer["practitioner"]["id"]
    practitioner = booking.practitioner_headers(session, practitioner_id)
    return Thread(booking, referral.json()["id"], practitioner_id, practitioner)


def say(client: TestClient, url: str, headers: dict[str, str], body: str) -> httpx.Response:
    """POST a message."""
    return client.post(url, headers=headers, json={"body": body})


def _user_id(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/v1/me", headers=headers).json()["id"])


def test_referral_thread_is_seen_by_its_pharmacy_and_practitioner_only(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    sent = say(client, thread.url, thread.booking.pharmacist, "Le patient aura 10 min de retard.")
    assert sent.status_code == 201, sent.text
    assert sent.json()["thread"] == f"referral:{thread.referral_id}"
    reply = say(client, thread.url, thread.practitioner, "Bien noté.")
    assert reply.status_code == 201
    seen = client.get(thread.url, headers=thread.practitioner).json()
    assert [m["body"] for m in seen["items"]] == ["Le patient aura 10 min de retard.", "Bien noté."]
    newer = client.get(thread.url, headers=thread.practitioner, params={"after": sent.json()["id"]})
    assert [m["body"] for m in newer.json()["items"]] == ["Bien noté."]

    other = thread.booking.other_pharmacist(session)
    assert client.get(thread.url, headers=other).status_code == 404
    assert say(client, thread.url, other, "Bonjour").status_code == 404

    coordinator = client.get(thread.url, headers=thread.booking.coordinator).json()
    assert coordinator["total"] == 2
    assert all(
        set(m) == {"id", "thread", "author_role", "created_at"} for m in coordinator["items"]
    )
    assert say(client, thread.url, thread.booking.coordinator, "Hop").status_code == 403


def test_every_read_and_write_of_a_thread_is_audited(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    message_id = say(client, thread.url, thread.booking.pharmacist, "Retard").json()["id"]
    client.get(thread.url, headers=thread.practitioner)
    client.get(thread.url, headers=thread.booking.coordinator)
    rows = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "referral",
            AuditEntry.subject_id == thread.referral_id,
            AuditEntry.action.in_(["write_message", "read_messages"]),
        )
    ).all()
    assert [(r.action, r.details["message_ids"]) for r in rows] == [
        ("write_message", [message_id]),
        ("read_messages", [message_id]),
        ("read_messages", [message_id]),
    ]


def test_purge_blanks_the_thread_with_the_patient_identity(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    say(client, thread.url, thread.booking.pharmacist, "Mme D. rappellera")
    clock.now += timedelta(days=40)
    purged = client.post("/v1/referrals/purge", headers=thread.booking.coordinator)
    assert purged.json() == {"purged": 1}
    items = client.get(thread.url, headers=thread.booking.pharmacist).json()["items"]
    assert len(items) == 1 and items[0]["body"] is None
    closed = say(client, thread.url, thread.booking.pharmacist, "Encore une chose")
    assert closed.status_code == 409


def test_channel_refuses_patient_identity_and_strangers(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    url = f"/v1/channel/{TODAY}/messages"
    posted = say(client, url, thread.booking.pharmacist, "Cabinet Martin fermé à 18 h")
    assert posted.status_code == 201, posted.text
    for text in ("Rappeler au 06 12 34 56 78", "né le 12/03/1984", "née le 3 mars 1984"):
        refused = say(client, url, thread.booking.pharmacist, text)
        assert refused.status_code == 422, text
        error = refused.json()["error"]
        assert error["fields"][0]["field"] == "body" and "patient identity" in error["message"]
    assert say(client, url, thread.booking.pharmacist, "   ").status_code == 422

    on_call = client.get(url, headers=thread.practitioner)
    assert [m["body"] for m in on_call.json()["items"]] == ["Cabinet Martin fermé à 18 h"]
    off_day = client.get("/v1/channel/2027-01-16/messages", headers=thread.practitioner)
    assert off_day.status_code == 403
    tomorrow = say(client, "/v1/channel/2027-01-13/messages", thread.booking.coordinator, "Hop")
    assert tomorrow.status_code == 422 and tomorrow.json()["error"]["fields"][0]["field"] == "date"


def test_unread_counts_and_mark_read(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    first = say(client, thread.url, thread.booking.pharmacist, "Un").json()["id"]
    say(client, thread.url, thread.booking.pharmacist, "Deux")
    say(client, f"/v1/channel/{TODAY}/messages", thread.booking.coordinator, "Bonne garde")
    key = f"referral:{thread.referral_id}"

    unread = client.get("/v1/messages/unread", headers=thread.practitioner).json()
    assert unread["total"] == 3
    assert {t["thread"]: t["unread"] for t in unread["threads"]} == {
        key: 2,
        f"channel:{TODAY}": 1,
    }
    mine = client.get("/v1/messages/unread", headers=thread.booking.pharmacist).json()
    assert mine["total"] == 1  # their own messages are read; the coordinator's is not

    partly = client.post(f"{thread.url}/read", headers=thread.practitioner, json={"up_to": first})
    assert partly.json()["unread"] == 1
    done = client.post(f"{thread.url}/read", headers=thread.practitioner, json={})
    assert done.json() == {"thread": key, "unread": 0, "latest_at": None}
    back = client.post(f"{thread.url}/read", headers=thread.practitioner, json={"up_to": first})
    assert back.json()["unread"] == 0  # a mark never goes back
    assert client.get("/v1/messages/unread", headers=thread.practitioner).json()["total"] == 1
    stranger = client.post(f"{thread.url}/read", headers=thread.practitioner, json={"up_to": 99999})
    assert stranger.status_code == 422

    practitioner_user = _user_id(client, thread.practitioner)
    events = session.scalars(
        select(StreamEvent).where(StreamEvent.user_id == practitioner_user).order_by(StreamEvent.id)
    ).all()
    posted = [e.data for e in events if e.kind == "message.posted"]
    assert posted[:2] == [
        {"thread": key, "message_id": first},
        {"thread": key, "message_id": first + 1},
    ]
    read = [e.data for e in events if e.kind == "message.read"]
    assert read[-1] == {"thread": key, "user_id": practitioner_user, "up_to": first + 1}


def test_unread_message_is_notified_once_after_the_delay(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    channels = {"email": {"address": "dr@example.org"}, "webhook": None}
    client.put("/v1/me/notification-channels", headers=thread.practitioner, json=channels)
    posted_at = clock.now
    unread = say(client, thread.url, thread.booking.pharmacist, "Secret médical").json()["id"]
    clock.now += timedelta(minutes=1)
    read = say(client, thread.url, thread.booking.pharmacist, "Lu à temps").json()["id"]
    client.post(f"{thread.url}/read", headers=thread.practitioner, json={"up_to": read})

    def notices() -> list[Notification]:
        return list(
            session.scalars(select(Notification).where(Notification.event == "message_unread"))
        )

    # The practitioner read up to the second message, which covers the first too: post a
    # third one that stays unread.
    clock.now += timedelta(minutes=1)
    late = say(client, thread.url, thread.booking.pharmacist, "Toujours là ?").json()["id"]
    assert unread < read < late
    assert enqueue_unread_notices(session, now=posted_at + DELAY, delay=DELAY) == 0
    assert notices() == []
    assert (
        enqueue_unread_notices(session, now=clock.now + DELAY - timedelta(seconds=1), delay=DELAY)
        == 0
    )
    assert enqueue_unread_notices(session, now=clock.now + DELAY, delay=DELAY) == 1
    assert enqueue_unread_notices(session, now=clock.now + 2 * DELAY, delay=DELAY) == 0
    [notice] = notices()
    assert notice.data["referral_id"] == thread.referral_id
    assert "Toujours" not in notice.body and "Secret" not in notice.body


def test_the_notification_worker_writes_the_notice_once(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
) -> None:
    thread = booked_thread(client, session, job_runner)
    channels = {"email": {"address": "dr@example.org"}, "webhook": None}
    client.put("/v1/me/notification-channels", headers=thread.practitioner, json=channels)
    say(client, thread.url, thread.booking.pharmacist, "Vous le prenez ?")
    settings = Settings(run_jobs=False, message_unread_delay_minutes=5)
    at = clock.now + timedelta(minutes=5)
    worker = NotificationWorker(session_factory, settings, clock=lambda: at)
    assert worker.write_unread_notices() == 1
    at += UNREAD_EVERY
    assert worker.write_unread_notices() == 0


def test_posting_is_rate_limited_per_user(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    thread = booked_thread(client, session, job_runner)
    client.app.state.settings.message_posts_per_window = 2  # type: ignore[attr-defined]
    assert say(client, thread.url, thread.booking.pharmacist, "Un").status_code == 201
    clock.now += timedelta(seconds=20)
    assert say(client, thread.url, thread.booking.pharmacist, "Deux").status_code == 201
    limited = say(client, thread.url, thread.booking.pharmacist, "Trois")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "too_many_messages"
    assert limited.headers["Retry-After"] == "40"
    assert say(client, thread.url, thread.practitioner, "Moi oui").status_code == 201
    clock.now += timedelta(seconds=41)
    assert say(client, thread.url, thread.booking.pharmacist, "Trois").status_code == 201
